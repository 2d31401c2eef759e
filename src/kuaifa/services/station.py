"""The packing station (打包验货台), one scan at a time: open a parcel, scan its units, seal it.

Business rules:

- A parcel is opened by scanning its wave slot (``W261201-001/3``: wave code, then the slot after ``/``, ``#`` or
  ``-``), its order number or its tracking (e-waybill) number. Only an order waiting to be packed (accepted or
  being picked) and not intercepted opens; a station holds one open parcel, an order is open at one station.
  Scanning the open parcel again just shows it.
- Then each scan is one unit: the answer is the running checklist (expected vs scanned per SKU, enclosures to
  add) and a verdict — ``right``, ``wrong`` with one sentence saying why and what to do, or ``complete`` when every
  unit and enclosure is there. A bundle's barcode counts as its components (all of them, or none when one does not
  fit). Scanning an enclosure's name (a sticker on the shelf) or tapping it confirms it.
- A refused scan changes nothing on the parcel; it is recorded in the floor's refusals (who, what, why).
- Sealing hands the accepted scans, the confirmed enclosures, the weight and the box to
  :func:`kuaifa.services.packing.pack_order`, which verifies all again and is all or nothing; a weight it refuses is
  recorded as a refusal and the parcel stays open.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kuaifa.domain.fulfilment.boxes import Box, PackItem, choose_box
from kuaifa.domain.fulfilment.packing import PARCEL, Outcome, PackingSession, clean_barcode
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import (
    BoxType,
    BundleComponent,
    FloorRefusal,
    Order,
    Sku,
    StationParcel,
    WaveOrder,
    Waybill,
)
from kuaifa.persistence.queries import OrderContents, ParcelUnit, order_contents
from kuaifa.services.audit import event
from kuaifa.services.errors import InvalidInput
from kuaifa.services.packing import PackResult, WeightOutOfTolerance, expected_items, pack_order
from kuaifa.services.shipping import interception_reason

WAVE_SLOT = re.compile(r"^(W\d{6}-\d+)[/#-](\d+)$")
WAITING = (OrderStatus.ACCEPTED, OrderStatus.PICKING)

RIGHT, WRONG, COMPLETE, OPENED = "right", "wrong", "complete", "opened"


class StationRefused(DomainError):
    """A scan or action the station refused; ``reason`` is the one sentence shown to the packer."""

    code = "station.refused"
    template = "%(reason)s"

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason=reason)
        self.code = code


@dataclass(frozen=True)
class ChecklistLine:
    sku_code: str
    name: str
    expected: int
    scanned: int


@dataclass(frozen=True)
class EnclosureLine:
    sku_code: str  # "" for the whole parcel
    name: str
    confirmed: bool


@dataclass(frozen=True)
class StationView:
    """What the station shows after an action: the parcel's checklist and the verdict of the last scan."""

    station: str
    parcel_id: int
    order_id: int
    order_sn: str
    wave_code: str
    slot: int | None
    lines: tuple[ChecklistLine, ...]
    enclosures: tuple[EnclosureLine, ...]
    verdict: str  # OPENED, RIGHT, WRONG, COMPLETE
    code: str  # the stable code of the verdict (pack.accepted, pack.sku_not_in_order, …)
    reason: str  # one sentence for the packer
    suggested_box: str = ""  # the smallest box in stock the units fit; "" when a size is unknown or none fits

    @property
    def complete(self) -> bool:
        return all(line.scanned >= line.expected for line in self.lines) and all(e.confirmed for e in self.enclosures)


def _clean_station(station: str) -> str:
    station = station.strip()
    if not station:
        raise InvalidInput(field="station", reason=Text("say which station this is"))
    return station[:32]


def _find_order(scanned: str) -> Order | None:
    match = WAVE_SLOT.match(scanned)
    if match:
        member = (
            WaveOrder.objects.filter(wave__code=match[1], slot=int(match[2]), active=True).select_related("order")
        ).first()
        return member.order if member else None
    found = list(Order.objects.filter(order_sn=scanned)[:2])
    if len(found) == 1:
        return found[0]
    waybill = Waybill.objects.filter(waybill_code=scanned).exclude(state=Waybill.State.CANCELLED).first()
    if waybill is not None:
        return Order.objects.get(id=waybill.order_id)
    return Order.objects.filter(tracking_number=scanned).first()


def _refuse(where_station: str, order: Order | None, barcode: str, code: str, reason: str, *, actor: Actor,
            now: datetime) -> StationRefused:  # fmt: skip
    FloorRefusal.objects.create(where=FloorRefusal.Where.PACK, station=where_station, order=order,
                                barcode=barcode[:128], code=code, reason=reason[:300],
                                actor=actor.stored, at=now)  # fmt: skip
    return StationRefused(code, reason)


def open_parcel(station: str, scanned: str, *, actor: Actor, now: datetime) -> StationView:
    """Open the parcel a scanned wave slot, order number or tracking number names, at ``station``."""
    station, scanned = _clean_station(station), clean_barcode(scanned)
    with transaction.atomic(durable=True):
        order = _find_order(scanned) if scanned else None
        refusal = _open_refusal(station, order, scanned)
        if refusal is not None:
            error = _refuse(station, order, scanned, *refusal, actor=actor, now=now)
        elif order is not None:  # always, when nothing was refused: a scan that found no order is refused
            parcel = StationParcel.objects.filter(station=station, state=StationParcel.State.OPEN).first()
            if parcel is None:
                try:
                    with transaction.atomic():
                        parcel = StationParcel.objects.create(station=station, order=order, actor=actor.stored,
                                                              opened_at=now, updated_at=now,
                                                              snapshot=_snapshot(order))  # fmt: skip
                except IntegrityError:
                    error = _refuse(station, order, scanned, "station.open_elsewhere",
                                    _("Order %(order_sn)s was opened at another station just now.")
                                    % {"order_sn": order.order_sn}, actor=actor, now=now)  # fmt: skip
                    parcel = None
            if parcel is not None:
                contents = _contents(parcel)
                opened = _("Parcel %(order_sn)s is open: scan its units.") % {"order_sn": order.order_sn}
                return _view(parcel, order, _replay(contents, parcel), OPENED, "station.opened", opened, contents)
    raise error


def _open_refusal(station: str, order: Order | None, scanned: str) -> tuple[str, str] | None:
    if order is None:
        return "station.nothing_found", _(
            "No order, wave slot or tracking number %(scanned)s: scan the parcel's slot, order number or label again."
        ) % {"scanned": scanned or "∅"}
    current = StationParcel.objects.filter(station=station, state=StationParcel.State.OPEN).first()
    if current is not None and current.order_id != order.id:
        return "station.busy", _("This station is packing %(order_sn)s: finish it or put it aside first.") % {
            "order_sn": Order.objects.get(id=current.order_id).order_sn}  # fmt: skip
    if current is None and StationParcel.objects.filter(order=order, state=StationParcel.State.OPEN).exists():
        return "station.open_elsewhere", _("Order %(order_sn)s is open at another station.") % {
            "order_sn": order.order_sn}  # fmt: skip
    reason = interception_reason(order)
    if reason:
        return "station.intercepted", _("Order %(order_sn)s must not be packed (%(reason)s): put the goods back.") % {
            "order_sn": order.order_sn, "reason": _(reason)}  # fmt: skip
    if order.status not in WAITING:
        return "station.not_waiting", _("Order %(order_sn)s is %(status)s, not waiting to be packed.") % {
            "order_sn": order.order_sn, "status": order.get_status_display()}  # fmt: skip
    contents = order_contents([order.id]).get(order.id)
    if contents is None or not contents.units or contents.unmapped:
        return "station.unmapped", _("Order %(order_sn)s has lines mapped to no SKU: it cannot be packed by scan.") % {
            "order_sn": order.order_sn}  # fmt: skip
    return None


def _session(contents: OrderContents, barcodes: list[str]) -> PackingSession:
    own = {clean_barcode(u.barcode) or clean_barcode(u.sku_code) for u in contents.units}
    wanted = {clean_barcode(b) for b in barcodes} - {""} - own  # only a stranger needs the catalogue
    catalogue: dict[str, str] = {}
    if wanted:
        catalogue = dict(Sku.objects.filter(barcode__in=wanted).values_list("barcode", "code"))
        catalogue |= {c: c for c in Sku.objects.filter(code__in=wanted, barcode="").values_list("code", flat=True)}
    return PackingSession.start(expected_items(contents), parcel_enclosures=contents.parcel_enclosures,
                                catalogue_barcodes=catalogue)  # fmt: skip


def _replay(contents: OrderContents, parcel: StationParcel, extra: Sequence[str] = ()) -> PackingSession:
    """The parcel's session from its stored scans (all accepted when stored) and confirmed enclosures."""
    session = _session(contents, [*parcel.scans, *extra])
    for barcode in parcel.scans:
        session = session.scan(barcode).session
    for confirmed in parcel.enclosures:
        sku, _sep, name = confirmed.rpartition(":")
        session = session.confirm_enclosure(name, sku if _sep else None).session
    return session


def _bundle_parts(barcode: str) -> list[str] | None:
    """A bundle's barcode (or code) as its components' barcodes, one per unit; None when it is no bundle."""
    bundle = Sku.objects.filter(Q(barcode=barcode) | Q(code=barcode, barcode="")).order_by("-barcode").first()
    if bundle is None:
        return None
    parts = list(BundleComponent.objects.filter(bundle=bundle).values_list("component_id", "quantity"))
    if not parts:
        return None
    skus = {s.id: s for s in Sku.objects.filter(id__in=[c for c, _ in parts])}
    out: list[str] = []
    for component_id, quantity in parts:
        nested = _bundle_parts(skus[component_id].barcode or skus[component_id].code)
        out += (nested or [skus[component_id].barcode or skus[component_id].code]) * quantity
    return out


_WRONG = {
    Outcome.EMPTY_BARCODE: gettext_noop("Nothing was scanned: scan the unit's barcode again."),
    Outcome.UNKNOWN_BARCODE: gettext_noop("Barcode %(barcode)s belongs to no SKU: check the label, put it aside."),
    Outcome.SKU_NOT_IN_ORDER: gettext_noop("This is %(sku_code)s, which is not in this parcel: put it back."),
    Outcome.QUANTITY_COMPLETE: gettext_noop("All %(expected)s of %(sku_code)s are already scanned: put this one back."),
}


def scan_unit(station: str, barcode: str, *, actor: Actor, now: datetime) -> StationView:
    """One scan at the station's open parcel: a unit (or a bundle's units), or an enclosure's name."""
    station, barcode = _clean_station(station), clean_barcode(barcode)
    with transaction.atomic(durable=True):
        parcel = (
            StationParcel.objects.select_for_update().filter(station=station, state=StationParcel.State.OPEN).first()
        )
        if parcel is None:
            error = _refuse(station, None, barcode, "station.no_parcel",
                            _("No parcel is open here: scan a wave slot, order number or label first."),
                            actor=actor, now=now)  # fmt: skip
        elif reason := interception_reason(order := Order.objects.get(id=parcel.order_id)):
            error = _refuse(station, order, barcode, "station.intercepted",
                            _("Order %(order_sn)s must not be packed (%(reason)s): put the goods back.")
                            % {"order_sn": order.order_sn, "reason": _(reason)}, actor=actor, now=now)  # fmt: skip
        else:
            contents = _contents(parcel)
            own = {u.barcode or u.sku_code for u in contents.units}  # physical units: never a bundle
            parts = _bundle_parts(barcode) if barcode and barcode not in own else None
            units = parts or [barcode]
            session = _replay(contents, parcel, units)
            enclosure = _enclosure_named(session, barcode)
            if enclosure is not None and barcode not in session.barcodes:
                confirmed = session.confirm_enclosure(barcode, enclosure)
                if confirmed.accepted:
                    parcel.enclosures = [*parcel.enclosures, _enclosure_key(session, barcode, enclosure)]
                    parcel.updated_at = now
                    parcel.save(update_fields=["enclosures", "updated_at"])
                    return _after(parcel, order, confirmed.session,
                                  _("%(name)s confirmed.") % {"name": barcode}, contents)  # fmt: skip
            for unit in units:
                result = session.scan(unit)
                if not result.accepted:
                    reason = _(_WRONG[result.outcome]) % dict(result.params)
                    error = _refuse(station, order, barcode, result.code, reason, actor=actor, now=now)
                    break
                session = result.session
            else:
                parcel.scans = [*parcel.scans, *units]
                parcel.updated_at = now
                parcel.save(update_fields=["scans", "updated_at"])
                sku = session.history[-1].sku_code
                message = _("%(sku_code)s: %(scanned)s of %(expected)s.") % {
                    "sku_code": sku,
                    "scanned": session.scanned.get(sku, 0),
                    "expected": session.expected[sku],
                }
                if parts:
                    message = _("Bundle %(barcode)s counted as %(count)s units.") % {
                        "barcode": barcode, "count": len(parts)}  # fmt: skip
                return _after(parcel, order, session, message, contents)
    raise error


def _enclosure_named(session: PackingSession, name: str) -> str | None:
    """The SKU (or PARCEL) of the one unconfirmed enclosure called ``name``, else None."""
    open_ = [r for r in session.requirements if r.name == name and r not in session.confirmed]
    return open_[0].sku_code if open_ else None


def _enclosure_key(session: PackingSession, name: str, sku: str) -> str:
    several = sum(1 for r in session.requirements if r.name == name) > 1
    return f"{sku}:{name}" if several else name


def confirm_enclosure(station: str, name: str, *, actor: Actor, now: datetime) -> StationView:
    """Tick an enclosure off by tapping it (``SKU:name`` when several SKUs need the same name)."""
    return scan_unit(station, name, actor=actor, now=now) if ":" not in name else _confirm_named(
        station, name, actor=actor, now=now)  # fmt: skip


def _confirm_named(station: str, name: str, *, actor: Actor, now: datetime) -> StationView:
    station = _clean_station(station)
    sku, _sep, wanted = name.partition(":")
    with transaction.atomic(durable=True):
        parcel = StationParcel.objects.select_for_update().filter(station=station, state="open").first()
        if parcel is None:
            error = _refuse(station, None, name, "station.no_parcel",
                            _("No parcel is open here: scan a wave slot, order number or label first."),
                            actor=actor, now=now)  # fmt: skip
        else:
            order = Order.objects.get(id=parcel.order_id)
            session = _replay(_contents(parcel), parcel)
            result = session.confirm_enclosure(wanted.strip(), sku.strip())
            if result.accepted:
                parcel.enclosures = [*parcel.enclosures, f"{sku.strip()}:{wanted.strip()}"]
                parcel.updated_at = now
                parcel.save(update_fields=["enclosures", "updated_at"])
                return _after(parcel, order, result.session, _("%(name)s confirmed.") % {"name": wanted.strip()})
            reason = _("%(name)s is not needed in this parcel.") % {"name": name}
            error = _refuse(station, order, name, result.code, reason, actor=actor, now=now)
    raise error


def _after(parcel: StationParcel, order: Order, session: PackingSession, message: str,
           contents: OrderContents | None = None) -> StationView:  # fmt: skip
    if session.can_close().ok:
        return _view(parcel, order, session, COMPLETE, "station.complete",
                     _("Parcel %(order_sn)s is complete: weigh it and seal it.") % {"order_sn": order.order_sn},
                     contents)  # fmt: skip
    return _view(parcel, order, session, RIGHT, "pack.accepted", message, contents)


def _snapshot(order: Order) -> dict[str, Any]:
    """What the station needs of the parcel while it is open, read once."""
    contents = order_contents([order.id])[order.id]
    member = WaveOrder.objects.filter(order=order, active=True).select_related("wave").first()
    return {"units": [list(u) for u in contents.units], "parcel_enclosures": list(contents.parcel_enclosures),
            "wave_code": member.wave.code if member else "", "slot": member.slot if member else None,
            "suggested_box": suggested_box(contents)}  # fmt: skip


def _contents(parcel: StationParcel) -> OrderContents:
    units = tuple(ParcelUnit._make((*row[:10], tuple(row[10]), row[11])) for row in parcel.snapshot["units"])
    return OrderContents(units, tuple(parcel.snapshot["parcel_enclosures"]), (), ())


def _view(parcel: StationParcel, order: Order, session: PackingSession, verdict: str, code: str,
          reason: str, contents: OrderContents | None = None) -> StationView:  # fmt: skip
    contents = contents or _contents(parcel)
    names = {u.sku_code: u.name for u in contents.units}
    return StationView(
        station=parcel.station, parcel_id=parcel.id, order_id=order.id, order_sn=order.order_sn,
        wave_code=parcel.snapshot["wave_code"], slot=parcel.snapshot["slot"],
        lines=tuple(ChecklistLine(sku, names.get(sku, ""), qty, session.scanned.get(sku, 0))
                    for sku, qty in session.expected.items()),
        enclosures=tuple(EnclosureLine(r.sku_code if r.sku_code != PARCEL else "", r.name, r in session.confirmed)
                         for r in session.requirements),
        verdict=verdict, code=code, reason=reason, suggested_box=parcel.snapshot["suggested_box"],
    )  # fmt: skip


def suggested_box(contents: OrderContents) -> str:
    """The box the packing service would choose by rule: the smallest in stock the units are shown to fit."""
    units = contents.units
    if not units or any(min(u.length_mm, u.width_mm, u.height_mm) == 0 for u in units):
        return ""
    items = [PackItem(u.sku_code, u.length_mm, u.width_mm, u.height_mm, u.weight_g, u.quantity) for u in units]
    boxes = [Box(r.code, r.length_mm, r.width_mm, r.height_mm, r.max_load_g, r.price_fen, r.weight_g, r.name)
             for r in BoxType.objects.filter(stock__gt=0)]  # fmt: skip
    choice = choose_box(items, boxes)
    return choice.box.code if choice.box else ""


def current_parcel(station: str) -> StationView | None:
    """The station's open parcel as it stands, or None."""
    parcel = StationParcel.objects.filter(station=_clean_station(station), state=StationParcel.State.OPEN).first()
    if parcel is None:
        return None
    order = Order.objects.get(id=parcel.order_id)
    session = _replay(_contents(parcel), parcel)
    return _view(parcel, order, session, COMPLETE if session.can_close().ok else OPENED, "station.open", "")


def seal_parcel(
    station: str, *, weight_g: int | None, box_code: str | None, actor: Actor, now: datetime, force: bool = False
) -> PackResult:
    """Pack the open parcel through the packing service with what the station recorded; the parcel then closes."""
    station = _clean_station(station)
    parcel = StationParcel.objects.filter(station=station, state=StationParcel.State.OPEN).first()
    if parcel is None:
        raise StationRefused("station.no_parcel",
                             _("No parcel is open here: scan a wave slot, order number or label first."))  # fmt: skip
    order = Order.objects.get(id=parcel.order_id)
    if order.status == OrderStatus.PACKED:  # sealed already, the station's mark was lost: close it
        StationParcel.objects.filter(id=parcel.id, state=StationParcel.State.OPEN).update(
            state=StationParcel.State.PACKED, updated_at=now)  # fmt: skip
        raise StationRefused("station.already_packed", _("Order %(order_sn)s is packed already: open the next "
                             "parcel.") % {"order_sn": order.order_sn})  # fmt: skip
    try:
        result = pack_order(parcel.order_id, scans=list(parcel.scans), enclosures=list(parcel.enclosures),
                            measured_weight_g=weight_g, box_code=box_code, actor=actor, now=now,
                            force=force)  # fmt: skip
    except WeightOutOfTolerance as error:
        with transaction.atomic(durable=True):
            FloorRefusal.objects.create(where=FloorRefusal.Where.PACK, station=station, order_id=parcel.order_id,
                                        barcode=str(weight_g), code=error.code, reason=str(error)[:300],
                                        actor=actor.stored,
                                        at=now)  # fmt: skip
        raise
    StationParcel.objects.filter(id=parcel.id, state=StationParcel.State.OPEN).update(
        state=StationParcel.State.PACKED, updated_at=now)  # fmt: skip
    return result


@transaction.atomic(durable=True)
def put_aside(station: str, *, actor: Actor, now: datetime) -> str | None:
    """Close the station's open parcel unpacked (the goods go back to its slot); nothing is packed. Returns the
    order number put aside, or None when nothing was open."""
    parcel = StationParcel.objects.select_for_update().filter(station=_clean_station(station),
                                                              state=StationParcel.State.OPEN).first()  # fmt: skip
    if parcel is None:
        return None
    parcel.state, parcel.updated_at = StationParcel.State.CLOSED, now
    parcel.save(update_fields=["state", "updated_at"])
    event(parcel.order_id, "station_put_aside", actor=actor, now=now, station=parcel.station,
          scans=len(parcel.scans)).save()  # fmt: skip
    return Order.objects.filter(id=parcel.order_id).values_list("order_sn", flat=True).first()
