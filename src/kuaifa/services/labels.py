"""What the printed documents say — labels (面单), packing slips (发货单), pick lists (拣货单) — and the print log.

These are reads: each returns plain data that the edge renders with ``kuaifa.documents`` (services do not import
the renderers). Paper leaves the building, so the receiver is masked here already (the renderers mask again): a
platform mask is printed as it is, plaintext (manual orders) is masked, ciphertext is never printed.

Decision — no "pre-label": a label is printed only for an order whose parcel has a tracking number (its primary
shipment, or the one the platform reported). The label's barcode *is* the tracking number the carrier scans; a
label without one cannot be scanned into the carrier's network, and PDD e-waybill numbers (取号) are not built yet.
So the flow is pack → ``ship`` with the carrier's number → labels. A wave prints its orders in slot order (the pick
and pack sequence) as one PDF; orders without a number are refused as a list, or skipped when asked.

``log_print`` records every print; printing the same document again is marked as a reprint (补打).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kuaifa.domain.carriers.catalog import carrier_by_id
from kuaifa.domain.fulfilment.masking import mask_address, mask_name, mask_phone
from kuaifa.domain.fulfilment.waves import pick_list_of
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.bulk import insert_rows
from kuaifa.persistence.models import Order, PrintLog, Wave, WaveOrder
from kuaifa.persistence.queries import (
    DocumentOrder,
    ParcelUnit,
    document_orders,
    logistics_company_names,
    order_contents,
    printed_before,
    wave_by_code,
    wave_members,
)
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.waves import IN_FLOW


class LabelRefused(DomainError):
    code = "label.no_tracking_number"
    template = (
        "No tracking number yet for %(orders)s: ship the order with the carrier's number first "
        "(kuaifa ship ORDER --carrier ID --tracking NUMBER), or leave these out with --skip-unshipped."
    )


@dataclass(frozen=True)
class MaskedReceiver:
    name: str
    phone: str
    province: str
    city: str
    town: str
    address: str  # detailed part, masked unless ``full``
    full: bool = False  # the merchant's own order: name, phone and address printed as entered


@dataclass(frozen=True)
class LabelInfo:
    order_id: int
    order_sn: str
    shop_name: str
    carrier_name: str
    tracking_number: str
    receiver: MaskedReceiver
    contents: tuple[tuple[str, int], ...]  # (SKU code as sold, quantity)
    sender_name: str = ""  # the shop's stored sender (kuaifa shop set-sender); empty when none was set
    sender_phone: str = ""
    sender_address: str = ""


@dataclass(frozen=True)
class SlipItem:
    sku_code: str
    name: str
    spec: str
    quantity: int
    enclosures: tuple[str, ...]


@dataclass(frozen=True)
class SlipInfo:
    order_id: int
    order_sn: str
    shop_name: str
    receiver: MaskedReceiver
    items: tuple[SlipItem, ...]
    parcel_enclosures: tuple[str, ...]
    buyer_memo: str
    carrier_name: str
    tracking_number: str


@dataclass(frozen=True)
class PickRowInfo:
    bin_location: str
    sku_code: str
    name: str
    quantity: int
    slots: tuple[tuple[int, int], ...]
    spec: str = ""  # 规格


@dataclass(frozen=True)
class PickListInfo:
    wave_id: int
    wave_code: str
    created_at: datetime
    rows: tuple[PickRowInfo, ...]  # in walking order (natural bin order)
    order_count: int
    slot_orders: tuple[tuple[int, str, int], ...] = ()  # (slot, order number, units), by slot


@dataclass(frozen=True)
class LabelBatch:
    labels: tuple[LabelInfo, ...]
    skipped: tuple[str, ...]  # order numbers left out for want of a tracking number


@dataclass(frozen=True)
class PrintReport:
    printed: int
    reprints: tuple[str, ...]  # order numbers (or the wave code) printed before


def masked_receiver(row: DocumentOrder) -> MaskedReceiver:
    """The receiver as it may be printed: the platform's masks, else masked plaintext, never ciphertext."""
    plain = row.receiver_is_plaintext

    def pick(mask: str, value: str, masker: Callable[[str], str]) -> str:
        return masker(mask) if mask else (masker(value) if plain and value else "")

    return MaskedReceiver(
        name=pick(row.receiver_name_mask, row.receiver_name, mask_name),
        phone=pick(row.receiver_phone_mask, row.receiver_phone, mask_phone),
        province=row.province,
        city=row.city,
        town=row.town,
        address=pick(row.receiver_address_mask, row.receiver_address, mask_address),
    )


OWN_SOURCES = ("manual", "reissue")


def label_receiver(row: DocumentOrder) -> MaskedReceiver:
    """The receiver a label prints. The merchant's own orders (manual, reissue) were entered by the merchant, who
    owns that address: the carrier gets it in full (name, phone, address). Platform orders keep the platform's
    masks — their full address travels only through the platform's own print component."""
    if row.source in OWN_SOURCES and row.receiver_is_plaintext:
        return MaskedReceiver(
            name=row.receiver_name, phone=row.receiver_phone, province=row.province, city=row.city,
            town=row.town, address=row.receiver_address, full=True,
        )  # fmt: skip
    return masked_receiver(row)


def carrier_name(logistics_id: int, fetched: dict[int, str] | None = None) -> str:
    """The carrier's name as PDD spells it: the built-in table, else the list fetched from the platform."""
    carrier = carrier_by_id(logistics_id)
    if carrier is not None:
        return carrier.name
    names = logistics_company_names() if fetched is None else fetched
    return names.get(logistics_id, "")


def wave_order_ids(wave_code: str) -> tuple[Wave, list[int]]:
    """A wave and its orders still in the flow, in slot order."""
    wave = wave_by_code(wave_code)
    if wave is None:
        raise NotFound(kind="wave", key=wave_code)
    return wave, [m.order_id for m in wave_members(wave.id) if m.status in IN_FLOW]


def label_data(order_ids: Sequence[int], *, skip_unshipped: bool = False) -> LabelBatch:
    """Labels for ``order_ids`` in the order given; refused (listing them) if some have no tracking number."""
    if not order_ids:
        raise InvalidInput(field="orders", reason=Text("nothing to print"))
    rows = document_orders(order_ids)
    contents = order_contents(order_ids)
    fetched = logistics_company_names()
    labels: list[LabelInfo] = []
    skipped: list[str] = []
    for order_id in order_ids:
        row = rows[order_id]
        if not row.tracking_number:
            skipped.append(row.order_sn)
            continue
        found = contents.get(order_id)
        labels.append(
            LabelInfo(
                order_id=order_id,
                order_sn=row.order_sn,
                shop_name=row.shop_name,
                carrier_name=(carrier_name(row.logistics_id, fetched) if row.logistics_id is not None else "")
                or str(row.logistics_id),
                tracking_number=row.tracking_number,
                receiver=label_receiver(row),
                contents=found.sold if found else (),
                sender_name=row.sender_name,
                sender_phone=row.sender_mobile,
                sender_address="".join(
                    part for part in (row.sender_province, row.sender_city, row.sender_district, row.sender_detail)
                ),
            )
        )
    if skipped and not skip_unshipped:
        raise LabelRefused(orders=", ".join(skipped))
    if not labels:
        raise LabelRefused(orders=", ".join(skipped))
    return LabelBatch(tuple(labels), tuple(skipped))


def slip_data(order_ids: Sequence[int]) -> list[SlipInfo]:
    """Packing slips in the order given: every physical unit with its enclosures, then the parcel's own."""
    if not order_ids:
        raise InvalidInput(field="orders", reason=Text("nothing to print"))
    rows = document_orders(order_ids)
    contents = order_contents(order_ids)
    fetched = logistics_company_names()
    slips = []
    for order_id in order_ids:
        row = rows[order_id]
        found = contents.get(order_id)
        units = found.units if found else ()
        slips.append(
            SlipInfo(
                order_id=order_id,
                order_sn=row.order_sn,
                shop_name=row.shop_name,
                receiver=masked_receiver(row),
                items=tuple(SlipItem(u.sku_code, u.name, u.spec, u.quantity, u.enclosures) for u in units),
                parcel_enclosures=found.parcel_enclosures if found else (),
                buyer_memo=row.buyer_memo,
                carrier_name=carrier_name(row.logistics_id, fetched) if row.logistics_id else "",
                tracking_number=row.tracking_number,
            )
        )
    return slips


def pick_list_data(wave_code: str) -> PickListInfo:
    """The wave's pick list from its orders still in the flow: one row per SKU, natural bin order, with slots."""
    wave = wave_by_code(wave_code)
    if wave is None:
        raise NotFound(kind="wave", key=wave_code)
    live = WaveOrder.objects.filter(wave=wave, order__status__in=list(IN_FLOW))
    members = sorted(live.values_list("slot", "order_id", "order__order_sn"))
    contents = order_contents(live.values("order_id"))
    first: dict[int, ParcelUnit] = {}  # a SKU's name and spec, from its first unit
    slotted: list[tuple[int, tuple[ParcelUnit, ...]]] = []
    slot_orders: list[tuple[int, str, int]] = []
    for slot, order_id, order_sn in members:  # by slot, the order the pick list adds them up in
        found = contents.get(order_id)
        count = 0
        if found is not None and found.units:
            slotted.append((slot, found.units))
            for unit in found.units:
                count += unit.quantity
                if unit.sku_id not in first:
                    first[unit.sku_id] = unit
        slot_orders.append((slot, order_sn, count))
    rows = tuple(
        PickRowInfo(line.bin_location, line.sku_code, first[line.sku_id].name, line.quantity, line.slots,
                    first[line.sku_id].spec)
        for line in pick_list_of(slotted)
    )  # fmt: skip
    return PickListInfo(wave.id, wave.code, wave.created_at, rows, len(members), tuple(slot_orders))


@transaction.atomic(durable=True)
def log_print(
    kind: str, *, order_ids: Iterable[int] = (), wave_id: int | None = None, actor: Actor, now: datetime
) -> PrintReport:
    """Record that ``kind`` was printed for these orders (labels, slips; ``wave_id`` says which wave they came with)
    or for the wave itself (pick list); a document printed before is recorded as a reprint."""
    if kind not in PrintLog.Kind.values:
        raise InvalidInput(field="kind", reason=Text("unknown document kind %(kind)r", kind=kind))
    ids = list(dict.fromkeys(order_ids))
    if ids:
        before = printed_before(kind, order_ids=ids)
        rows: list[tuple[str, int | None, int | None, bool, str, datetime]] = [
            (kind, order_id, wave_id, order_id in before, actor.stored, now) for order_id in ids
        ]
        sns = dict(Order.objects.filter(id__in=[i for i in ids if i in before]).values_list("id", "order_sn"))
        reprints = tuple(sns[i] for i in ids if i in before)
    elif wave_id is not None:
        before = printed_before(kind, wave_id=wave_id)
        rows = [(kind, None, wave_id, bool(before), actor.stored, now)]
        reprints = tuple(Wave.objects.filter(id=wave_id).values_list("code", flat=True)) if before else ()
    else:
        raise InvalidInput(field="orders", reason=Text("a print is of some orders or of a wave"))
    insert_rows(PrintLog, ("kind", "order_id", "wave_id", "reprint", "actor", "at"), rows)
    return PrintReport(len(rows), reprints)
