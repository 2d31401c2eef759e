"""The floor's day in review: exceptions (refused scans, out-of-tolerance weights, force-packed parcels) and
per-person counts (picked, packed, errors), for a China day. Reads only.

- picked: orders a person moved into picking (waved them, or packed a single order straight from accepted);
- packed: parcels a person sealed;
- errors: scans of that person the floor refused (packing station and dispatch), weights refused included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import FloorRefusal, OrderEvent, PackRecord
from kuaifa.services.dispatch_scan import day_bounds


@dataclass(frozen=True)
class FloorException:
    kind: str  # "refused_scan", "overweight" (outside the tolerance, refused), "force_packed"
    at: datetime
    actor: str  # as stored
    order_sn: str
    where: str  # pack / dispatch
    station: str
    code: str
    detail: str


@dataclass(frozen=True)
class PersonCounts:
    actor: str  # as stored
    picked: int
    packed: int
    errors: int


def floor_exceptions(day: date) -> list[FloorException]:
    """Everything that went wrong on the floor on ``day``, oldest first."""
    start, end = day_bounds(day)
    out = []
    refusals = FloorRefusal.objects.filter(at__gte=start, at__lt=end).values_list(
        "at", "actor", "order__order_sn", "where", "station", "code", "barcode", "reason")  # fmt: skip
    for at, actor, order_sn, where, station, code, barcode, reason in refusals:
        kind = "overweight" if code == "pack.weight_out_of_tolerance" else "refused_scan"
        out.append(FloorException(kind, at, actor, order_sn or "", where, station, code, f"{barcode}: {reason}"))
    forced = PackRecord.objects.filter(packed_at__gte=start, packed_at__lt=end, forced=True).values_list(
        "packed_at", "actor", "order__order_sn", "verdict", "expected_g", "measured_g")  # fmt: skip
    for at, actor, order_sn, verdict, expected_g, measured_g in forced:
        out.append(FloorException("force_packed", at, actor, order_sn, FloorRefusal.Where.PACK, "", f"weigh.{verdict}",
                                  f"{measured_g} g / {expected_g} g"))  # fmt: skip
    return sorted(out, key=lambda e: (e.at, e.kind))


def people_counts(day: date) -> list[PersonCounts]:
    """Per person on ``day``: orders picked, parcels packed, scans refused; busiest first."""
    start, end = day_bounds(day)
    picked = dict(
        OrderEvent.objects.filter(created_at__gte=start, created_at__lt=end, to_status=OrderStatus.PICKING)
        .values("actor").annotate(n=Count("id")).values_list("actor", "n")
    )  # fmt: skip
    packed = dict(
        PackRecord.objects.filter(packed_at__gte=start, packed_at__lt=end)
        .values("actor").annotate(n=Count("id")).values_list("actor", "n")
    )  # fmt: skip
    errors = dict(
        FloorRefusal.objects.filter(at__gte=start, at__lt=end)
        .values("actor").annotate(n=Count("id")).values_list("actor", "n")
    )  # fmt: skip
    people = set(picked) | set(packed) | set(errors)
    rows = [PersonCounts(a, picked.get(a, 0), packed.get(a, 0), errors.get(a, 0)) for a in people]
    return sorted(rows, key=lambda r: (-(r.picked + r.packed), r.actor))
