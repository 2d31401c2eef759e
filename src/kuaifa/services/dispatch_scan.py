"""Scan-to-ship (出库扫描): each parcel's label is scanned as it is handed to the courier, and that ships it.

Business rules:

- The scanned barcode is the e-waybill number on the label. A number Kuaifa did not issue (or gave back) is refused.
- A parcel is shipped only when it is packed and the platform has not stopped it since (cancelled, refund asked,
  risk review, ship_hold — ``interception_reason``): anything else is refused loudly with the reason, recorded in
  the floor's refusals, and changes nothing else. An intercepted parcel goes back to stock, not to the courier.
- Shipping goes through :func:`kuaifa.services.waybills.ship_with_waybill` (the shipping service's checks — the
  platform asked about refunds right then — stock consumed, the upload queued in the outbox; the e-waybill number
  needs no confirmation). The scan is recorded once per order: scanning the same label again
  answers "already scanned" and never ships twice; a parcel shipped some other way is counted when scanned.
- :func:`dispatch_progress` tells per carrier how many parcels were scanned out on a (China) day against how many
  are expected — those scanned that day plus those packed with a waybill, not intercepted and not yet scanned — and
  lists the ones still on the floor, so nothing is left behind at pickup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from kuaifa.domain.carriers.catalog import carrier_by_code
from kuaifa.domain.fulfilment.packing import clean_barcode
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.models import DispatchScan, FloorRefusal, Order, Waybill
from kuaifa.services.carriers import UnknownCarrier
from kuaifa.services.shipping import ShipRefused, interception_reason
from kuaifa.services.waybills import WaybillRefused, ship_with_waybill


class DispatchRefused(DomainError):
    """A parcel that must not leave; ``reason`` is the sentence shown (and sounded) at the dispatch desk."""

    code = "dispatch.refused"
    template = "%(reason)s"

    def __init__(self, code: str, reason: str, order_sn: str = "") -> None:
        super().__init__(reason=reason)
        self.code = code
        self.order_sn = order_sn


@dataclass(frozen=True)
class DispatchResult:
    order_sn: str
    carrier_code: str
    waybill_code: str
    already: bool  # scanned before: nothing was shipped now
    outbox_entry_id: int | None


@dataclass(frozen=True)
class CarrierProgress:
    carrier_code: str
    carrier_name: str
    expected: int
    scanned: int
    left: tuple[str, ...]  # order numbers packed with this carrier's waybill, not yet scanned out


def _refused(code: str, reason: str, barcode: str, order: Order | None, station: str, *, actor: Actor,
             now: datetime) -> DispatchRefused:  # fmt: skip
    with transaction.atomic(durable=True):
        FloorRefusal.objects.create(where=FloorRefusal.Where.DISPATCH, station=station[:32], order=order,
                                    barcode=barcode[:128], code=code, reason=reason[:300], actor=actor.stored,
                                    at=now)  # fmt: skip
    return DispatchRefused(code, reason, order.order_sn if order else "")


def _record(order: Order, waybill: Waybill, *, actor: Actor, now: datetime) -> bool:
    """Record the scan; False when it was recorded already (by a second scan meanwhile)."""
    try:
        with transaction.atomic(durable=True):
            DispatchScan.objects.create(order=order, carrier_code=waybill.carrier_code,
                                        waybill_code=waybill.waybill_code, actor=actor.stored, at=now)  # fmt: skip
    except IntegrityError:
        return False
    return True


def dispatch_scan(barcode: str, *, station: str = "", actor: Actor, now: datetime) -> DispatchResult:
    """Ship the parcel whose label was scanned, once; refuse (and record) a parcel that must not leave."""
    code = clean_barcode(barcode)
    waybill = (
        Waybill.objects.filter(waybill_code=code).exclude(state=Waybill.State.CANCELLED).order_by("-id").first()
        if code else None
    )  # fmt: skip
    if waybill is None:
        reason = _("Label %(barcode)s is no waybill of ours: put the parcel aside and check its label.") % {
            "barcode": code or "∅"}  # fmt: skip
        raise _refused("dispatch.unknown_label", reason, code, None, station, actor=actor, now=now)
    order = Order.objects.get(id=waybill.order_id)
    if DispatchScan.objects.filter(order=order).exists():
        return DispatchResult(order.order_sn, waybill.carrier_code, waybill.waybill_code, True, None)
    shipped_with_it = order.status == OrderStatus.SHIPPED and order.tracking_number == waybill.waybill_code
    if not shipped_with_it:
        intercepted = interception_reason(order)
        if intercepted:
            raise _refused("dispatch.intercepted", _("Stop: order %(order_sn)s must not leave (%(reason)s); take the "
                           "parcel back to stock.") % {"order_sn": order.order_sn, "reason": _(intercepted)}, code,
                           order, station, actor=actor, now=now)  # fmt: skip
        if order.status != OrderStatus.PACKED:
            raise _refused("dispatch.not_packed", _("Order %(order_sn)s is %(status)s, not packed: it cannot leave "
                           "yet.") % {"order_sn": order.order_sn, "status": order.get_status_display()}, code, order,
                           station, actor=actor, now=now)  # fmt: skip
        try:
            shipped = ship_with_waybill(order.id, actor=actor, now=now)
        except (ShipRefused, WaybillRefused, UnknownCarrier) as error:
            order.refresh_from_db()
            if not (order.status == OrderStatus.SHIPPED and order.tracking_number == waybill.waybill_code):
                raise _refused("dispatch.ship_refused", str(error), code, order, station, actor=actor,
                               now=now) from None  # fmt: skip
            shipped = None  # a second scan shipped it meanwhile
        _record(order, waybill, actor=actor, now=now)  # once: a second scan meanwhile may have recorded it
        entry = shipped.outbox_entry_id if shipped is not None else None
        return DispatchResult(order.order_sn, waybill.carrier_code, waybill.waybill_code,
                              already=shipped is None, outbox_entry_id=entry)  # fmt: skip
    recorded = _record(order, waybill, actor=actor, now=now)
    return DispatchResult(order.order_sn, waybill.carrier_code, waybill.waybill_code, not recorded, None)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The China day ``day`` as a UTC-aware [start, end)."""
    start = datetime.combine(day, time(0), tzinfo=CHINA)
    return start, start + timedelta(days=1)


def dispatch_progress(day: date) -> list[CarrierProgress]:
    """Per carrier: parcels scanned out on ``day`` (China time) vs expected, and those still on the floor."""
    start, end = day_bounds(day)
    scanned = dict(
        DispatchScan.objects.filter(at__gte=start, at__lt=end)
        .values("carrier_code").annotate(n=Count("id")).values_list("carrier_code", "n")
    )  # fmt: skip
    waiting: dict[str, list[str]] = {}
    rows = (
        Waybill.objects.filter(state=Waybill.State.ISSUED, order__status=OrderStatus.PACKED)
        .select_related("order").order_by("order__ship_by", "order__order_sn")
    )  # fmt: skip
    for waybill in rows:
        if interception_reason(waybill.order) is None:  # an intercepted parcel goes back to stock, not out
            waiting.setdefault(waybill.carrier_code, []).append(waybill.order.order_sn)
    out = []
    for code in sorted(set(scanned) | set(waiting)):
        carrier = carrier_by_code(code)
        left = tuple(waiting.get(code, ()))
        out.append(CarrierProgress(code, carrier.name if carrier else code, scanned.get(code, 0) + len(left),
                                   scanned.get(code, 0), left))  # fmt: skip
    return out
