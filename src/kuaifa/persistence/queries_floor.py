"""Read-only queries of the warehouse floor's pages: open waves with each slot's progress, return-to-stock tasks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import DispatchScan, PrintLog, ReturnToStockTask, Wave, WaveOrder

PACKED_OR_LATER = frozenset({OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})
SHIPPED_OR_LATER = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})
LABELS = (PrintLog.Kind.E_WAYBILL, PrintLog.Kind.LABEL)
PRINTED = (PrintLog.Status.SUCCESS, PrintLog.Status.PRINTED)


@dataclass(frozen=True, slots=True)
class WaveSlot:
    """One slot of a wave and what happened to its order so far."""

    slot: int
    order_id: int
    order_sn: str
    status: str
    picked: bool  # the wave's pick list was printed
    packed: bool
    labelled: bool  # a label or e-waybill was printed
    shipped: bool


@dataclass(frozen=True, slots=True)
class WaveCounts:
    """How many of a wave's slots are picked, packed, labelled, shipped."""

    picked: int
    packed: int
    labelled: int
    shipped: int


@dataclass(frozen=True, slots=True)
class OpenWave:
    id: int
    code: str
    state: str
    created_at: datetime
    rule: Any  # the wave rule as stored (JSON)
    actor: str
    slots: list[WaveSlot]
    counts: WaveCounts


@dataclass(frozen=True, slots=True)
class ReturnTask:
    """A return-to-stock task still open."""

    id: int
    order_sn: str
    from_status: str
    reason: str
    created_at: datetime


def open_waves(limit: int = 50) -> list[OpenWave]:
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
    slots: dict[int, list[WaveSlot]] = defaultdict(list)
    for r in rows:
        slots[r["wave_id"]].append(
            WaveSlot(
                slot=r["slot"],
                order_id=r["order_id"],
                order_sn=r["order__order_sn"],
                status=r["order__status"],
                picked=r["wave_id"] in picked,
                packed=r["order__status"] in PACKED_OR_LATER,
                labelled=r["order_id"] in labelled,
                shipped=r["order__status"] in SHIPPED_OR_LATER or r["order_id"] in scanned,
            )
        )
    found: list[OpenWave] = []
    for wave in waves:
        its = slots.get(wave["id"], [])
        counts = WaveCounts(
            picked=sum(s.picked for s in its),
            packed=sum(s.packed for s in its),
            labelled=sum(s.labelled for s in its),
            shipped=sum(s.shipped for s in its),
        )
        found.append(OpenWave(**wave, slots=its, counts=counts))
    return found


def return_tasks(limit: int = 200) -> list[ReturnTask]:
    """Return-to-stock tasks still open, oldest first."""
    rows = (
        ReturnToStockTask.objects.filter(done_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("id", "order__order_sn", "from_status", "reason", "created_at")[:limit]
    )
    return [ReturnTask(*row) for row in rows]
