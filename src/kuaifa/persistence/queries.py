"""The read side: lists, the ledger check and "why is this order where it is". Edges read here, write via services."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from kuaifa.domain.inventory.bundles import BundleCycle, BundleTooDeep
from kuaifa.domain.inventory.bundles import expand as expand_bundle
from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.orders.status import RESERVING
from kuaifa.persistence.bundles import load_bundle_graph
from kuaifa.persistence.models import (
    BundleComponent,
    Order,
    OrderEvent,
    OrderLine,
    Reservation,
    Shop,
    Sku,
    StockLevel,
    StockMove,
    Wave,
)


def shop_by_name(name: str) -> Shop | None:
    return Shop.objects.filter(name=name).first()


@dataclass(frozen=True, slots=True)
class OrderRow:
    """An order as a list shows it (receiver masked)."""

    id: int
    order_sn: str
    shop_name: str
    status: str
    hold_reasons: list[str]
    ship_by: datetime | None
    pay_amount: int  # fen
    province: str
    receiver_name_mask: str


def orders(*, status: str | None = None, shop_id: int | None = None, limit: int = 50) -> list[OrderRow]:
    query = Order.objects.all()
    if status:
        query = query.filter(status=status)
    if shop_id:
        query = query.filter(shop_id=shop_id)
    return [
        OrderRow(*row)
        for row in query.order_by(F("ship_by").asc(nulls_last=True), "order_sn").values_list(
            "id",
            "order_sn",
            "shop__name",
            "status",
            "hold_reasons",
            "ship_by",
            "pay_amount",
            "province",
            "receiver_name_mask",
        )[:limit]
    ]


def status_counts(*, shop_id: int | None = None) -> dict[str, int]:
    query = Order.objects.all() if shop_id is None else Order.objects.filter(shop_id=shop_id)
    return dict(query.values_list("status").annotate(n=Count("id")).order_by())


@dataclass(frozen=True, slots=True)
class StockRow:
    sku_code: str
    sku_name: str
    warehouse_code: str
    on_hand: int
    reserved: int
    sku_incomplete: bool  # the SKU master lacks something a parcel needs (weight, size)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def stock_levels() -> list[StockRow]:
    return [
        StockRow(*row)
        for row in StockLevel.objects.order_by("sku__code", "warehouse__priority").values_list(
            "sku__code", "sku__name", "warehouse__code", "on_hand", "reserved", "sku__incomplete"
        )
    ]


def order_by_sn(order_sn: str, shop_id: int | None = None) -> list[Order]:
    query = Order.objects.filter(order_sn=order_sn).select_related("shop")
    return list(query if shop_id is None else query.filter(shop_id=shop_id))


@dataclass(frozen=True)
class LineStock:
    line_id: int
    sku_code: str | None
    goods_name: str
    quantity: int  # units of this SKU the line needs (bundle lines: per component)
    reserved_for_this_order: int
    on_hand: int
    reserved_by_others: int
    earlier_orders_holding: int  # other orders due no later than this one holding this SKU
    bundle: str = ""  # the bundle this component row belongs to


def line_stock(order: Order) -> list[LineStock]:
    """Per line (bundles per leaf unit, bundles of bundles followed): reserved for this order, on the shelf, and
    held by others first. A bundle line whose structure is broken (a cycle, too deep) is shown as the bundle itself,
    which holds no stock; review holds such an order (``bundle_invalid``)."""
    lines = list(OrderLine.objects.filter(order=order).select_related("sku").order_by("id"))
    components = load_bundle_graph({line.sku_id for line in lines if line.sku_id})
    needs: list[tuple[OrderLine, int | None, int, str]] = []
    for line in lines:
        if line.sku_id in components:
            try:
                units = expand_bundle(line.sku_id, line.quantity, components).units
            except (BundleCycle, BundleTooDeep):
                units = ((line.sku_id, line.quantity),)
            code = line.sku.code if line.sku is not None else ""
            needs += [(line, leaf, quantity, code) for leaf, quantity in units]
        else:
            needs.append((line, line.sku_id, line.quantity, ""))
    sku_ids = {sku_id for _, sku_id, _, _ in needs if sku_id}
    code_of = dict(Sku.objects.filter(id__in=sku_ids).values_list("id", "code"))
    shelf: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for level_sku, on_hand, reserved in StockLevel.objects.filter(sku_id__in=sku_ids).values_list(
        "sku_id", "on_hand", "reserved"
    ):
        shelf[level_sku][0] += on_hand
        shelf[level_sku][1] += reserved
    mine = {
        (line_id, sku_id): q
        for line_id, sku_id, q in Reservation.objects.filter(order=order, state=Reservation.State.OPEN)
        .values_list("line_id", "sku_id")
        .annotate(q=Sum("quantity"))
        .order_by()
    }
    earlier: dict[int, int] = {}
    if order.ship_by is not None and sku_ids:
        earlier = dict(
            Reservation.objects.filter(
                sku_id__in=sku_ids, state=Reservation.State.OPEN, order__ship_by__lte=order.ship_by
            )
            .exclude(order=order)
            .values_list("sku_id")
            .annotate(n=Count("order_id", distinct=True))
            .order_by()
        )
    out = []
    for line, sku_id, quantity, bundle in needs:
        reserved_here = mine.get((line.id, sku_id), 0) if sku_id else 0
        on_hand, reserved = shelf[sku_id] if sku_id else (0, 0)
        out.append(
            LineStock(
                line.id,
                code_of.get(sku_id) if sku_id else None,
                line.goods_name,
                quantity,
                reserved_here,
                on_hand,
                reserved - reserved_here,
                earlier.get(sku_id, 0) if sku_id else 0,
                bundle,
            )
        )
    return out


def events(order: Order) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order).order_by("created_at", "id"))


@dataclass(frozen=True)
class LedgerProblem:
    what: str
    sku_code: str
    warehouse: str
    detail: str


def ledger_problems() -> list[LedgerProblem]:
    """Check the stock invariants: on_hand = Σ moves, reserved = Σ open reservations, 0 ≤ reserved ≤ on_hand,
    and no open reservation belongs to an order that should not hold stock."""
    moves = StockMove.objects.filter(stock_level=OuterRef("pk")).values("stock_level").annotate(t=Sum("quantity"))
    held = (
        Reservation.objects.filter(stock_level=OuterRef("pk"), state=Reservation.State.OPEN)
        .values("stock_level")
        .annotate(t=Sum("quantity"))
    )
    rows = StockLevel.objects.annotate(
        moved=Coalesce(Subquery(moves.values("t")[:1], output_field=IntegerField()), 0),
        held=Coalesce(Subquery(held.values("t")[:1], output_field=IntegerField()), 0),
    ).filter(~Q(on_hand=F("moved")) | ~Q(reserved=F("held")) | Q(reserved__lt=0) | Q(reserved__gt=F("on_hand")))
    problems = []
    for level in rows.values("sku__code", "warehouse__code", "on_hand", "moved", "reserved", "held"):
        sku, wh = level["sku__code"], level["warehouse__code"]
        if level["on_hand"] != level["moved"]:
            problems.append(LedgerProblem("on_hand", sku, wh, f"on_hand {level['on_hand']} ≠ Σ moves {level['moved']}"))
        if level["reserved"] != level["held"]:
            problems.append(
                LedgerProblem(
                    "reserved", sku, wh, f"reserved {level['reserved']} ≠ Σ open reservations {level['held']}"
                )
            )
        if not 0 <= level["reserved"] <= level["on_hand"]:
            problems.append(
                LedgerProblem("oversold", sku, wh, f"reserved {level['reserved']} outside 0…{level['on_hand']}")
            )
    stray = (
        Reservation.objects.filter(state=Reservation.State.OPEN)
        .exclude(order__status__in=list(RESERVING))
        .values("sku__code", "stock_level__warehouse__code", "order__order_sn", "order__status")
    )
    for row in stray:
        problems.append(
            LedgerProblem(
                "stray_reservation",
                row["sku__code"],
                row["stock_level__warehouse__code"],
                f"order {row['order__order_sn']} is {row['order__status']} but still holds stock",
            )
        )
    return problems


def sku_specs() -> list[SkuSpec]:
    """The SKU master as the merchant's sheet holds it, bundles with their components."""
    components: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for bundle_id, code, quantity in BundleComponent.objects.order_by("id").values_list(
        "bundle_id", "component__code", "quantity"
    ):
        components[bundle_id].append((code, quantity))
    return [
        SkuSpec(
            code=s.code,
            name=s.name,
            spec=s.spec,
            barcode=s.barcode,
            weight_g=s.weight_g,
            length_mm=s.length_mm,
            width_mm=s.width_mm,
            height_mm=s.height_mm,
            bin_location=s.bin_location,
            enclosures=tuple(s.enclosures),
            components=tuple(components.get(s.id, ())),
        )
        for s in Sku.objects.order_by("code")
    ]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    shop_name: str
    kind: str
    key: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str


def outbox_entries(*, states: list[str], limit: int = 50) -> list[OutboxRow]:
    from kuaifa.persistence.models import OutboxEntry

    return [
        OutboxRow(*row)
        for row in OutboxEntry.objects.filter(state__in=states)
        .order_by("next_attempt_at")
        .values_list("id", "shop__name", "kind", "key", "state", "attempts", "next_attempt_at", "last_error")[:limit]
    ]


# --- fulfilment: what a parcel holds, waves, boxes, documents ---------------------------------------------------


class ParcelUnit(NamedTuple):  # a tuple: 4× cheaper to build than a dataclass, and there are many
    """One physical SKU of an order (bundles expanded to their components), as the pack station needs it."""

    sku_id: int
    sku_code: str
    name: str
    spec: str
    barcode: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    bin_location: str
    enclosures: tuple[str, ...]
    quantity: int


class OrderContents(NamedTuple):
    """What goes into an order's parcel: physical units per SKU in line order, the enclosures a bundle asks for
    (they go in once per parcel), what the buyer bought as sold (bundle codes kept), and lines mapped to no SKU.
    ``problem``: why a bundle line could not be expanded (a cycle, nested too deep); the units are then incomplete
    and the order must not be picked or packed."""

    units: tuple[ParcelUnit, ...]
    parcel_enclosures: tuple[str, ...]
    sold: tuple[tuple[str, int], ...]
    unmapped: tuple[str, ...]
    problem: str = ""


class _SkuRow(NamedTuple):
    """A SKU as a parcel unit needs it (a :class:`ParcelUnit` without the quantity)."""

    sku_id: int
    sku_code: str
    name: str
    spec: str
    barcode: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    bin_location: str
    enclosures: tuple[str, ...]


class _LineRow(NamedTuple):
    order_id: int | None
    sku_id: int | None
    quantity: int
    outer_id: str
    goods_name: str


_UNIT_FIELDS = ("id", "code", "name", "spec", "barcode", "weight_g", "length_mm", "width_mm", "height_mm",
                "bin_location", "enclosures")  # fmt: skip


def order_contents(order_ids: Iterable[int] | QuerySet[Any, Any]) -> dict[int, OrderContents]:
    """Contents of many orders with a fixed number of queries. ``order_ids``: ids, or a subquery of order ids
    (``Order.objects.filter(…).values("id")``), which keeps a 10,000-order wave out of a parameter list."""
    lines = [
        _LineRow._make(row)
        for row in OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("order_id", "id")
        .values_list("order_id", "sku_id", "quantity", "outer_id", "goods_name")
    ]
    sku_ids = {line.sku_id for line in lines if line.sku_id is not None}
    components = load_bundle_graph(sku_ids)
    sku_ids |= {component for parts in components.values() for component, _ in parts}
    base = {
        row[0]: _SkuRow._make((*row[:10], tuple(name for name in (row[10] or ()) if name.strip())))
        for row in Sku.objects.filter(id__in=sku_ids).values_list(*_UNIT_FIELDS)
    }

    def expand(sku_id: int, quantity: int, into: dict[int, int], parcel: list[str]) -> str:
        try:
            expansion = expand_bundle(sku_id, quantity, components)
        except (BundleCycle, BundleTooDeep):  # said again with SKU codes, for a person
            code = base[sku_id].sku_code
            by_code = {base[b].sku_code: [(base[c].sku_code, q) for c, q in parts] for b, parts in components.items()}
            try:
                expand_bundle(code, quantity, by_code)
            except (BundleCycle, BundleTooDeep) as error:
                return error.message
            return f"bundle {code} cannot be expanded"
        for leaf, units in expansion.units:
            into[leaf] = into.get(leaf, 0) + units
        for bundle in expansion.bundles:
            parcel.extend(base[bundle].enclosures)
        return ""

    out: dict[int, OrderContents] = {}
    made: dict[tuple[int, int], ParcelUnit] = {}  # the same SKU and quantity recur across a wave's orders

    def unit(sku_id: int, quantity: int) -> ParcelUnit:
        found = made.get((sku_id, quantity))
        if found is None:
            found = made[sku_id, quantity] = ParcelUnit(*base[sku_id], quantity)
        return found

    order_id: int | None = None
    units: dict[int, int] = {}
    parcel: list[str] = []
    sold: list[tuple[str, int]] = []
    unmapped: list[str] = []
    problem = ""
    for line in (*lines, _LineRow(None, None, 0, "", "")):  # a sentinel closes the last order
        if line.order_id != order_id:
            if order_id is not None:
                out[order_id] = OrderContents(
                    tuple(unit(sku_id, quantity) for sku_id, quantity in units.items()),
                    tuple(dict.fromkeys(parcel)),
                    tuple(sold),
                    tuple(unmapped),
                    problem,
                )
            order_id, units, parcel, sold, unmapped, problem = line.order_id, {}, [], [], [], ""
        if order_id is None:
            break
        sku_id, quantity = line.sku_id, line.quantity
        if sku_id is None:
            unmapped.append(line.outer_id or line.goods_name)
            sold.append((line.outer_id or line.goods_name, quantity))
        elif sku_id in components:
            sold.append((base[sku_id].sku_code, quantity))
            problem = problem or expand(sku_id, quantity, units, parcel)
        else:
            sold.append((base[sku_id].sku_code, quantity))
            units[sku_id] = units.get(sku_id, 0) + quantity
    return out


@dataclass(frozen=True, slots=True)
class BoxTypeRow:
    code: str
    name: str
    length_mm: int
    width_mm: int
    height_mm: int
    max_load_g: int
    weight_g: int
    price_fen: int
    stock: int | None  # None: not counted


def box_types() -> list[BoxTypeRow]:
    from kuaifa.persistence.models import BoxType

    return [
        BoxTypeRow(*row)
        for row in BoxType.objects.order_by("length_mm", "width_mm", "height_mm", "code").values_list(
            "code", "name", "length_mm", "width_mm", "height_mm", "max_load_g", "weight_g", "price_fen", "stock"
        )
    ]


def wave_by_code(code: str) -> Wave | None:
    return Wave.objects.filter(code=code.strip()).first()


@dataclass(frozen=True, slots=True)
class WaveRow:
    id: int
    code: str
    state: str
    created_at: datetime
    actor: str  # as stored
    rule: dict[str, Any]
    orders: int


def waves(*, states: list[str] | None = None, limit: int = 50) -> list[WaveRow]:
    """Waves, newest first, with their order count (orders removed from a wave are not counted)."""
    query = Wave.objects.all() if not states else Wave.objects.filter(state__in=states)
    return [
        WaveRow(*row)
        for row in query.annotate(orders=Count("members"))
        .order_by("-created_at", "-id")
        .values_list("id", "code", "state", "created_at", "actor", "rule", "orders")[:limit]
    ]


class WaveMember(NamedTuple):
    order_id: int
    slot: int
    order_sn: str
    status: str


def wave_members(wave_id: int) -> list[WaveMember]:
    """The orders of a wave in slot order (the pick and pack sequence), with their status."""
    from kuaifa.persistence.models import WaveOrder

    return [
        WaveMember._make(row)
        for row in WaveOrder.objects.filter(wave_id=wave_id)
        .order_by("slot")
        .values_list("order_id", "slot", "order__order_sn", "order__status")
    ]


@dataclass(frozen=True, slots=True)
class DocumentOrder:
    """What a label or slip prints of one order. Receiver fields: the platform's masks, and for manual orders
    (``receiver_is_plaintext``) the plaintext the merchant entered."""

    id: int
    order_sn: str
    status: str
    source: str
    shop_name: str
    sender_name: str
    sender_mobile: str
    sender_province: str
    sender_city: str
    sender_district: str
    sender_detail: str
    province: str
    city: str
    town: str
    receiver_name: str
    receiver_phone: str
    receiver_address: str
    receiver_name_mask: str
    receiver_phone_mask: str
    receiver_address_mask: str
    receiver_is_plaintext: bool
    buyer_memo: str
    logistics_id: int | None
    tracking_number: str


_DOCUMENT_FIELDS = (
    "id", "order_sn", "status", "source", "shop__name", "shop__sender_name", "shop__sender_mobile",
    "shop__sender_province", "shop__sender_city", "shop__sender_district", "shop__sender_detail", "province", "city",
    "town", "receiver_name", "receiver_phone", "receiver_address", "receiver_name_mask", "receiver_phone_mask",
    "receiver_address_mask", "receiver_is_plaintext", "buyer_memo", "logistics_id", "tracking_number",
)  # fmt: skip


def document_orders(order_ids: Iterable[int]) -> dict[int, DocumentOrder]:
    """Per order what a label or slip prints: shop, receiver fields (masks and, for manual orders, plaintext),
    memo, and the carrier and tracking number of its primary shipment (else what the platform reported)."""
    from kuaifa.persistence.models import Shipment, Waybill

    order_ids = list(order_ids)
    rows = {
        row[0]: DocumentOrder(*row) for row in Order.objects.filter(id__in=order_ids).values_list(*_DOCUMENT_FIELDS)
    }
    # not shipped yet but holding an e-waybill (取号 before printing): the label carries that number
    for order_id, logistics_id, code in Waybill.objects.filter(
        order_id__in=order_ids, state=Waybill.State.ISSUED
    ).values_list("order_id", "logistics_id", "waybill_code"):
        if not rows[order_id].tracking_number:
            rows[order_id] = replace(rows[order_id], logistics_id=logistics_id, tracking_number=code)
    for order_id, logistics_id, tracking_number in Shipment.objects.filter(
        order_id__in=order_ids, is_primary=True
    ).values_list("order_id", "logistics_id", "tracking_number"):
        rows[order_id] = replace(rows[order_id], logistics_id=logistics_id, tracking_number=tracking_number)
    return rows


def logistics_company_names() -> dict[int, str]:
    """The carrier names fetched from the platform (platform id → name), for ids the built-in table lacks."""
    from kuaifa.persistence.models import LogisticsCompany

    return dict(LogisticsCompany.objects.filter(platform="pdd").values_list("platform_id", "name"))


def printed_before(kind: str, *, order_ids: Iterable[int] = (), wave_id: int | None = None) -> set[int]:
    """Orders (or, with ``wave_id`` and no orders, the wave itself as {wave_id}) already printed as ``kind``."""
    from kuaifa.persistence.models import PrintLog

    if order_ids:
        return set(PrintLog.objects.filter(kind=kind, order_id__in=list(order_ids)).values_list("order_id", flat=True))
    if wave_id is not None and PrintLog.objects.filter(kind=kind, wave_id=wave_id, order__isnull=True).exists():
        return {wave_id}
    return set()


@dataclass(frozen=True, slots=True)
class PrintLogRow:
    kind: str
    order_sn: str | None  # None: a print of the whole wave
    wave_code: str | None
    reprint: bool
    actor: str  # as stored
    at: datetime


def print_logs(*, order_id: int | None = None, wave_id: int | None = None) -> list[PrintLogRow]:
    from kuaifa.persistence.models import PrintLog

    query = PrintLog.objects.all()
    if order_id is not None:
        query = query.filter(order_id=order_id)
    if wave_id is not None:
        query = query.filter(wave_id=wave_id)
    return [
        PrintLogRow(*row)
        for row in query.order_by("at", "id").values_list(
            "kind", "order__order_sn", "wave__code", "reprint", "actor", "at"
        )
    ]


@dataclass(frozen=True, slots=True)
class CaseRow:
    """An after-sales case as the list shows it."""

    id: int
    after_sales_id: str
    shop_name: str
    order_sn: str
    case_type: str
    platform_status: int  # the platform's own status code
    state: str
    refund_amount: int  # fen
    refunded_amount: int  # fen
    outer_id: str
    quantity: int
    reason: str
    expire_time: datetime | None
    return_tracking_number: str


def aftersales_cases(*, states: list[str] | None = None, shop_id: int | None = None, limit: int = 100) -> list[CaseRow]:
    """Cases, the ones whose deadline to act comes first at the top."""
    from kuaifa.persistence.models import AfterSalesCase

    query = AfterSalesCase.objects.all()
    if states:
        query = query.filter(state__in=states)
    if shop_id:
        query = query.filter(shop_id=shop_id)
    return [
        CaseRow(*row)
        for row in query.order_by(F("expire_time").asc(nulls_last=True), "-platform_updated_at").values_list(
            "id",
            "after_sales_id",
            "shop__name",
            "order_sn",
            "case_type",
            "platform_status",
            "state",
            "refund_amount",
            "refunded_amount",
            "outer_id",
            "quantity",
            "reason",
            "expire_time",
            "return_tracking_number",
        )[:limit]
    ]


def bundle_components(sku_ids: set[int]) -> dict[int, list[tuple[int, int]]]:
    """Bundle id → its direct components (id, units per bundle), following bundles of bundles (see
    ``persistence.bundles``, the one loader)."""
    return load_bundle_graph(sku_ids)
