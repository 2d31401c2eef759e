"""Read-only queries of the warehouse floor's pages: open waves with each slot's progress, return-to-stock tasks."""

from collections import defaultdict

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import DispatchScan, PrintLog, ReturnToStockTask, Wave, WaveOrder

PACKED_OR_LATER = frozenset({OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})
SHIPPED_OR_LATER = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})
LABELS = (PrintLog.Kind.E_WAYBILL, PrintLog.Kind.LABEL)
PRINTED = (PrintLog.Status.SUCCESS, PrintLog.Status.PRINTED)


def open_waves(limit: int = 50) -> list[dict]:
    """Open and picked waves, newest first, each with its slots in order and what happened to each slot:
    picked (the pick list was printed), packed, labelled (a label or e-waybill printed), shipped. Four queries."""
    waves = list(
        Wave.objects.exclude(state=Wave.State.CLOSED)
        .order_by("-created_at", "-id")
        .values("id", "code", "state", "created_at", "rule", "actor")[:limit]
    )
    ids = [w["id"] for w in waves]
    members = (
        WaveOrder.objects.filter(wave_id__in=ids, active=True)
        .order_by("slot")
        .values("wave_id", "slot", "order_id", "order__order_sn", "order__status")
    )
    picked = set(
        PrintLog.objects.filter(wave_id__in=ids, kind=PrintLog.Kind.PICK_LIST).values_list("wave_id", flat=True)
    )
    rows = list(members)
    order_ids = [r["order_id"] for r in rows]
    labelled = set(
        PrintLog.objects.filter(order_id__in=order_ids, kind__in=LABELS, status__in=PRINTED).values_list(
            "order_id", flat=True
        )
    )
    scanned = set(DispatchScan.objects.filter(order_id__in=order_ids).values_list("order_id", flat=True))
    slots: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        slots[r["wave_id"]].append(
            {
                "slot": r["slot"],
                "order_id": r["order_id"],
                "order_sn": r["order__order_sn"],
                "status": r["order__status"],
                "picked": r["wave_id"] in picked,
                "packed": r["order__status"] in PACKED_OR_LATER,
                "labelled": r["order_id"] in labelled,
                "shipped": r["order__status"] in SHIPPED_OR_LATER or r["order_id"] in scanned,
            }
        )
    for wave in waves:
        wave["slots"] = slots.get(wave["id"], [])
        wave["counts"] = {
            key: sum(1 for s in wave["slots"] if s[key]) for key in ("picked", "packed", "labelled", "shipped")
        }
    return waves


def return_tasks(limit: int = 200) -> list[dict]:
    """Return-to-stock tasks still open, oldest first."""
    return list(
        ReturnToStockTask.objects.filter(done_at__isnull=True)
        .order_by("created_at", "id")
        .values("id", "order__order_sn", "from_status", "reason", "created_at")[:limit]
    )
