"""Packing an order at the pack station (验货打包): scan-verified, enclosures confirmed, box chosen, weighed.

``pack_order`` replays what the station recorded — every barcode scanned, every enclosure ticked, the scale
reading — through ``domain.fulfilment.packing.PackingSession`` and is all or nothing: the first refused scan (wrong
SKU, one too many, unknown barcode) refuses the whole parcel with that barcode and the reason, and nothing is saved.
The parcel closes only when every unit and every enclosure is accounted for; the refusal lists what is missing.

The box is the one the packer names, else the smallest box in stock the items are shown to fit (rotation allowed,
``domain.fulfilment.boxes.choose_box``); a named box is checked for fit the same way and refused when the items do
not fit, unless the packer gives a reason to override (recorded). One box leaves the packing-material stock.
Bundles count as their leaf units (bundles of bundles followed, ``domain.inventory.bundles``): a scan of a bundle's
own barcode counts as every unit of that bundle. The scale reading is checked
against units + box (``domain.fulfilment.weighing``): outside the tolerance the parcel is refused unless a person
overrides it (``force``), which is recorded. An order the platform stopped since picking (cancelled, refund, risk
review, ship_hold) is refused. The order moves PICKING → PACKED; an order packed straight from ACCEPTED (single
order, no wave) goes ACCEPTED → PICKING → PACKED, each move an event.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from kuaifa.domain.fulfilment.boxes import Box, FitResult, PackItem, check_fit, choose_box
from kuaifa.domain.fulfilment.packing import PARCEL, ExpectedItem, PackingSession, clean_barcode
from kuaifa.domain.fulfilment.weighing import WeighedItem, WeighResult, WeighTolerance, check_weight, expected_weight
from kuaifa.domain.inventory.bundles import expand as expand_bundle
from kuaifa.domain.orders.status import OrderStatus, transition
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.bundles import load_bundle_graph
from kuaifa.persistence.models import BoxType, Order, OrderEvent, PackRecord, Sku, WaveOrder
from kuaifa.persistence.queries import OrderContents, ParcelUnit, order_contents
from kuaifa.services.audit import event
from kuaifa.services.errors import InvalidInput, NotFound, OrderConflict
from kuaifa.services.shipping import interception_reason
from kuaifa.services.waves import settle_waves


class PackRefused(DomainError):
    code = "pack.refused"
    template = "Order %(order_sn)s cannot be packed: %(reason)s"


class ScanRefused(DomainError):
    """A scan the session refused; ``code`` is the session's own outcome code (pack.sku_not_in_order …)."""

    code = "pack.scan_refused"
    template = "Order %(order_sn)s, scan %(position)s: %(reason)s Nothing was saved."

    def __init__(self, outcome_code: str, **params: object) -> None:
        super().__init__(**params)
        self.code = outcome_code


class ParcelIncomplete(DomainError):
    code = "pack.incomplete"
    template = "Order %(order_sn)s cannot be closed yet: %(missing)s."


class NoBoxFits(DomainError):
    code = "pack.no_box_fits"
    template = "Order %(order_sn)s: no box in stock fits (%(tried)s)."


class BoxDoesNotFit(DomainError):
    code = "pack.box_does_not_fit"
    template = (
        "Order %(order_sn)s does not fit box %(box)s (%(failure)s). Choose another box, or give the reason to "
        "use it anyway (--box-override-reason)."
    )


class BoxOutOfStock(DomainError):
    code = "pack.box_out_of_stock"
    template = "Box %(box)s is out of stock: count it in again (kuaifa box add) or choose another box."


class WeightOutOfTolerance(DomainError):
    code = "pack.weight_out_of_tolerance"
    template = (
        "Order %(order_sn)s weighs %(measured)s g, expected %(expected)s g ± %(allowance)s g: %(verdict)s. "
        "Check the parcel, or override with --force-weight."
    )


@dataclass(frozen=True)
class PackResult:
    order_sn: str
    box_code: str
    box_chosen_by: str  # "packer" (named) or "rule" (smallest box that fits)
    expected_g: int
    measured_g: int | None
    verdict: str  # PackRecord.Verdict
    forced: bool
    unknown_weight_skus: tuple[str, ...]  # SKUs with no weight in the master: the check proves less
    box_stock_left: int
    wave_code: str | None
    slot: int | None
    pack_record_id: int


@transaction.atomic(durable=True)
def upsert_box_type(
    code: str,
    *,
    length_mm: int,
    width_mm: int,
    height_mm: int,
    max_load_g: int,
    weight_g: int = 0,
    price_fen: int = 0,
    stock: int = 0,
    name: str = "",
    now: datetime,
) -> tuple[BoxType, bool]:
    """Add a box type to the packing-material catalogue, or update it; ``stock`` is the counted number on hand.
    Returns the row and whether it was created."""
    code = code.strip()
    if not code:
        raise InvalidInput(field="code", reason=Text("a box type needs a code"))
    if stock < 0:
        raise InvalidInput(field="stock", reason=Text("a count cannot be negative, not %(stock)s", stock=stock))
    box = Box(code, length_mm, width_mm, height_mm, max_load_g, price_fen, weight_g, name)  # validates
    values = {"name": box.name, "length_mm": box.length_mm, "width_mm": box.width_mm, "height_mm": box.height_mm,
              "max_load_g": box.max_load_g, "weight_g": box.weight_g, "price_fen": box.price_fen, "stock": stock,
              "updated_at": now}  # fmt: skip
    row, created = BoxType.objects.update_or_create(code=code, defaults=values, create_defaults=values | {
        "created_at": now})  # fmt: skip
    return row, created


def expected_items(contents: OrderContents) -> list[ExpectedItem]:
    """What the pack station expects, per physical SKU: barcode (else its code), units, its enclosures."""
    return [ExpectedItem(u.sku_code, u.barcode, u.quantity, u.enclosures, u.name) for u in contents.units]


def unbundle_scans(scans: list[str]) -> list[str]:
    """A scan of a bundle's own barcode (or code, when it has none) becomes one scan per leaf unit of the bundle
    (each leaf's barcode, else its code); every other scan is kept as it was."""
    wanted = {clean_barcode(raw) for raw in scans} - {""}
    if not wanted:
        return scans
    bundles = {
        key: sku_id
        for sku_id, code, barcode in Sku.objects.filter(is_bundle=True)
        .filter(Q(barcode__in=wanted) | Q(code__in=wanted, barcode=""))
        .values_list("id", "code", "barcode")
        for key in (barcode or code,)
    }
    if not bundles:
        return scans
    graph = load_bundle_graph(set(bundles.values()))
    leaves = {sku_id: expand_bundle(sku_id, 1, graph).units for sku_id in bundles.values()}
    token = {
        sku_id: barcode or code
        for sku_id, code, barcode in Sku.objects.filter(
            id__in={leaf for units in leaves.values() for leaf, _ in units}
        ).values_list("id", "code", "barcode")
    }
    out: list[str] = []
    for raw in scans:
        sku_id = bundles.get(clean_barcode(raw))
        if sku_id is None:
            out.append(raw)
        else:
            out += [token[leaf] for leaf, units in leaves[sku_id] for _ in range(units)]
    return out


def start_session(contents: OrderContents, scans: list[str]) -> PackingSession:
    """A fresh session that also knows which SKU any scanned barcode belongs to (for "not in this parcel")."""
    wanted = {clean_barcode(raw) for raw in scans} - {""}
    catalogue = dict(Sku.objects.filter(barcode__in=wanted).values_list("barcode", "code"))
    catalogue |= {code: code for code in Sku.objects.filter(code__in=wanted, barcode="").values_list("code", flat=True)}
    return PackingSession.start(
        expected_items(contents), parcel_enclosures=contents.parcel_enclosures, catalogue_barcodes=catalogue
    )


def _confirm_all(session: PackingSession, names: list[str], order_sn: str, sku_codes: set[str]) -> PackingSession:
    for raw in names:
        name, sku = raw.strip(), None
        for sep in (":", "："):
            head, found, tail = raw.partition(sep)
            if found and head.strip() in sku_codes:
                sku, name = head.strip(), tail.strip()
                break
        result = session.confirm_enclosure(name, sku)
        if not result.accepted:
            raise PackRefused(order_sn=order_sn, reason=result.message)
        session = result.session
    return session


def _missing_text(session: PackingSession) -> str:
    check = session.can_close()
    parts = [f"{sku} {left} more unit(s) to scan" for sku, left in check.missing_items]
    parts += [
        f"enclosure {r.name}" + (f" ({r.sku_code})" if r.sku_code != PARCEL else " (parcel)")
        for r in check.missing_enclosures
    ]
    return "; ".join(parts)


def _pack_items(units: tuple[ParcelUnit, ...]) -> list[PackItem] | None:
    """Items for the box check, or None when some SKU's dimensions are unknown."""
    if any(min(u.length_mm, u.width_mm, u.height_mm) == 0 for u in units):
        return None
    return [PackItem(u.sku_code, u.length_mm, u.width_mm, u.height_mm, u.weight_g, u.quantity) for u in units]


def _box(row: BoxType) -> Box:
    return Box(row.code, row.length_mm, row.width_mm, row.height_mm, row.max_load_g, row.price_fen, row.weight_g,
               row.name)  # fmt: skip


def _choose(
    order_sn: str, units: tuple[ParcelUnit, ...], box_code: str | None, override_reason: str = ""
) -> tuple[BoxType, FitResult | None]:
    items = _pack_items(units)
    if box_code:
        row = BoxType.objects.filter(code=box_code.strip()).first()
        if row is None:
            raise NotFound(kind="box type", key=box_code)
        fit = check_fit(items, _box(row)) if items else None
        if fit is not None and not fit.fits and not override_reason:
            failure = fit.failure.value if fit.failure else ""
            raise BoxDoesNotFit(order_sn=order_sn, box=row.code, failure=f"{failure} {fit.detail}".strip())
        return row, fit
    if items is None:
        unknown = ", ".join(u.sku_code for u in units if min(u.length_mm, u.width_mm, u.height_mm) == 0)
        raise PackRefused(
            order_sn=order_sn,
            reason=Text("no dimensions for %(unknown)s in the SKU master: name the box", unknown=unknown),
        )
    rows = {row.code: row for row in BoxType.objects.filter(stock__gt=0)}
    choice = choose_box(items, [_box(row) for row in rows.values()])
    if choice.box is None:
        tried = ", ".join(f"{r.box.code}: {r.failure.value if r.failure else ''}" for r in choice.rejected)
        raise NoBoxFits(order_sn=order_sn, tried=tried or "no box types in stock")
    return rows[choice.box.code], choice.fit


def _weigh(
    order_sn: str,
    units: tuple[ParcelUnit, ...],
    box: BoxType,
    measured_g: int | None,
    tolerance: WeighTolerance,
    force: bool,
) -> tuple[int, tuple[str, ...], WeighResult | None]:
    expected = expected_weight(
        [WeighedItem(u.sku_code, u.weight_g, u.quantity) for u in units], box_weight_g=box.weight_g
    )
    if measured_g is None:
        return expected.grams, expected.unknown_skus, None
    if isinstance(measured_g, bool) or not isinstance(measured_g, int) or measured_g <= 0:
        raise InvalidInput(
            field="weight",
            reason=Text("a scale reading is whole grams above 0, not %(measured_g)r", measured_g=measured_g),
        )
    result = check_weight(expected.grams, measured_g, tolerance)
    if not result.ok and not force:
        verdict = "too light (a unit missing?)" if result.difference_g < 0 else "too heavy (an extra or wrong unit?)"
        raise WeightOutOfTolerance(order_sn=order_sn, measured=measured_g, expected=result.expected_g,
                                   allowance=result.allowance_g, verdict=verdict)  # fmt: skip
    return expected.grams, expected.unknown_skus, result


#: ±max(20 g, 5 %): the usual allowance at a pack-station scale.
DEFAULT_TOLERANCE = WeighTolerance()

_VERDICTS = {"weigh.ok": PackRecord.Verdict.OK, "weigh.too_light": PackRecord.Verdict.TOO_LIGHT,
             "weigh.too_heavy": PackRecord.Verdict.TOO_HEAVY}  # fmt: skip


@transaction.atomic(durable=True)
def pack_order(
    order_id: int,
    *,
    scans: list[str],
    enclosures: list[str],
    measured_weight_g: int | None,
    box_code: str | None,
    actor: Actor,
    now: datetime,
    force: bool = False,
    box_override_reason: str = "",
    tolerance: WeighTolerance = DEFAULT_TOLERANCE,
) -> PackResult:
    """Seal one order's parcel after verifying every unit and enclosure; see the module docstring for the rules.

    ``enclosures`` are names (说明书) or ``SKU:name`` when several SKUs need the same name. ``force`` accepts a
    weight outside the tolerance; only a person at the station may give it, and it is recorded.
    ``box_override_reason`` lets a named box be used although the items are not shown to fit (recorded).
    """
    box_override_reason = box_override_reason.strip()
    order = Order.objects.select_for_update().filter(id=order_id).first()
    if order is None:
        raise NotFound(kind="order", key=order_id)
    reason = interception_reason(order)
    if reason:
        raise PackRefused(order_sn=order.order_sn, reason=Text("%(reason)s; put the goods back", reason=Text(reason)))
    if order.status not in (OrderStatus.ACCEPTED, OrderStatus.PICKING):
        raise PackRefused(
            order_sn=order.order_sn,
            reason=Text("it is %(status)s, not waiting to be packed", status=Text(order.status)),
        )
    contents = order_contents([order.id]).get(order.id)
    if contents is not None and contents.problem:
        raise PackRefused(order_sn=order.order_sn, reason=contents.problem)
    if contents is None or not contents.units or contents.unmapped:
        raise PackRefused(order_sn=order.order_sn, reason=Text("some of its lines are not mapped to a SKU"))

    scans = unbundle_scans(scans)
    session = start_session(contents, scans)
    for position, raw in enumerate(scans, start=1):
        result = session.scan(raw)
        if not result.accepted:
            raise ScanRefused(result.code, order_sn=order.order_sn, position=position, reason=result.message)
        session = result.session
    session = _confirm_all(session, enclosures, order.order_sn, {u.sku_code for u in contents.units})
    if not session.can_close():
        raise ParcelIncomplete(order_sn=order.order_sn, missing=_missing_text(session))

    box, fit = _choose(order.order_sn, contents.units, box_code, box_override_reason)
    expected_g, unknown, weighed = _weigh(order.order_sn, contents.units, box, measured_weight_g, tolerance, force)
    forced = weighed is not None and not weighed.ok
    if not BoxType.objects.filter(id=box.id, stock__gt=0).update(stock=F("stock") - 1, updated_at=now):
        raise BoxOutOfStock(box=box.code)

    verdict = _VERDICTS[weighed.verdict.value] if weighed else PackRecord.Verdict.NOT_WEIGHED
    record = PackRecord.objects.create(
        order=order, box_type=box, expected_g=expected_g, measured_g=measured_weight_g, verdict=verdict,
        forced=forced, scans=[{"barcode": s.barcode, "sku": s.sku_code} for s in session.history],
        enclosures=[{"sku": r.sku_code, "name": r.name} for r in session.requirements],
        actor=actor.stored, packed_at=now,
    )  # fmt: skip
    _move_to_packed(order, actor=actor, now=now, details={
        "box": box.code, "box_chosen_by": "packer" if box_code else "rule", "box_fits": fit.fits if fit else None,
        "expected_g": expected_g, "measured_g": measured_weight_g, "verdict": verdict, "forced": forced,
        "unknown_weight_skus": list(unknown), "pack_record": record.id,
        **({"box_override_reason": box_override_reason} if fit is not None and not fit.fits else {}),
    })  # fmt: skip
    member = WaveOrder.objects.select_related("wave").filter(order=order, active=True).first()
    if member is not None:
        settle_waves([member.wave_id])
    return PackResult(
        order_sn=order.order_sn, box_code=box.code, box_chosen_by="packer" if box_code else "rule",
        expected_g=expected_g, measured_g=measured_weight_g, verdict=verdict, forced=forced,
        unknown_weight_skus=unknown, box_stock_left=box.stock - 1, wave_code=member.wave.code if member else None,
        slot=member.slot if member else None, pack_record_id=record.id,
    )  # fmt: skip


def _move_to_packed(order: Order, *, actor: Actor, now: datetime, details: dict[str, Any]) -> None:
    current = OrderStatus(order.status)
    steps = [OrderStatus.PICKING, OrderStatus.PACKED] if current == OrderStatus.ACCEPTED else [OrderStatus.PACKED]
    events = []
    for target in steps:
        transition(current, target, order_sn=order.order_sn)
        kind = "packed" if target == OrderStatus.PACKED else "picked_single"
        events.append(event(order.id, kind, actor=actor, now=now, from_status=current, to_status=target,
                            **(details if target == OrderStatus.PACKED else {})))  # fmt: skip
        current = target
    changed = Order.objects.filter(id=order.id, version=order.version).update(
        status=current, version=F("version") + len(steps), updated_at=now
    )
    if not changed:
        raise OrderConflict(order_sn=order.order_sn, reason=Text("changed by someone else meanwhile; try again"))
    OrderEvent.objects.bulk_create(events)
