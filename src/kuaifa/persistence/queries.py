"""The read side: lists, the ledger check and "why is this order where it is". Edges read here, write via services."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.orders.status import RESERVING
from kuaifa.persistence.bulk import fetch, in_list
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
)


def shop_by_name(name: str) -> Shop | None:
    return Shop.objects.filter(name=name).first()


def orders(*, status: str | None = None, shop_id: int | None = None, limit: int = 50) -> list[dict]:
    query = Order.objects.all()
    if status:
        query = query.filter(status=status)
    if shop_id:
        query = query.filter(shop_id=shop_id)
    return list(
        query.order_by(F("ship_by").asc(nulls_last=True), "order_sn").values(
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
    )


def status_counts(*, shop_id: int | None = None) -> dict[str, int]:
    query = Order.objects.all() if shop_id is None else Order.objects.filter(shop_id=shop_id)
    return dict(query.values_list("status").annotate(n=Count("id")).order_by())


def stock_levels() -> list[dict]:
    return list(
        StockLevel.objects.order_by("sku__code", "warehouse__priority").values(
            "sku__code", "sku__name", "warehouse__code", "on_hand", "reserved", "sku__incomplete"
        )
    )


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


def _components(sku_ids: set[int]) -> dict[int, list[tuple[int, int]]]:
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for bundle_id, component_id, quantity in BundleComponent.objects.filter(bundle_id__in=sku_ids).values_list(
        "bundle_id", "component_id", "quantity"
    ):
        out[bundle_id].append((component_id, quantity))
    return out


def line_stock(order: Order) -> list[LineStock]:
    """Per line (bundles per component): reserved for this order, on the shelf, and held by others first."""
    lines = list(OrderLine.objects.filter(order=order).select_related("sku").order_by("id"))
    components = _components({line.sku_id for line in lines if line.sku_id})
    needs: list[tuple[OrderLine, int | None, int, str]] = []
    for line in lines:
        if line.sku_id in components:
            needs += [(line, cid, qty * line.quantity, line.sku.code) for cid, qty in components[line.sku_id]]
        else:
            needs.append((line, line.sku_id, line.quantity, ""))
    sku_ids = {sku_id for _, sku_id, _, _ in needs if sku_id}
    code_of = dict(Sku.objects.filter(id__in=sku_ids).values_list("id", "code"))
    shelf: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for sku_id, on_hand, reserved in StockLevel.objects.filter(sku_id__in=sku_ids).values_list(
        "sku_id", "on_hand", "reserved"
    ):
        shelf[sku_id][0] += on_hand
        shelf[sku_id][1] += reserved
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


def sync_health(*, since) -> list[dict]:
    """Per shop with platform credentials: cursor, last good window, errors by code, rate limits, token, backlog."""
    from kuaifa.persistence.models import OutboxEntry, PushMessage, ShopCredential, SyncCursor, SyncLog

    out = []
    for cred in ShopCredential.objects.select_related("shop").order_by("shop__name"):
        shop = cred.shop
        logs = SyncLog.objects.filter(shop=shop, created_at__gte=since)
        last_ok = SyncLog.objects.filter(shop=shop, stream="orders", error_code="").order_by("-id").first()
        out.append(
            {
                "shop": shop.name,
                "cursor": SyncCursor.objects.filter(shop=shop, stream="orders")
                .values_list("position", flat=True)
                .first(),
                "last_success_at": last_ok.created_at if last_ok else None,
                "last_window_end": last_ok.window_end if last_ok else None,
                "windows": logs.filter(error_code="").count(),
                "errors": dict(
                    logs.exclude(error_code="").values_list("error_code").annotate(n=Count("id")).order_by()
                ),
                "rate_limited": logs.aggregate(n=Sum("rate_limited"))["n"] or 0,
                "token_expires_at": cred.access_expires_at,
                "needs_authorization": cred.needs_authorization,
                "outbox": dict(
                    OutboxEntry.objects.filter(shop=shop)
                    .exclude(state=OutboxEntry.State.DONE)
                    .values_list("state")
                    .annotate(n=Count("id"))
                    .order_by()
                ),
                "pushes_pending": PushMessage.objects.filter(shop=shop, handled_at__isnull=True).count(),
            }
        )
    return out


def outbox_entries(*, states: list[str], limit: int = 50) -> list[dict]:
    from kuaifa.persistence.models import OutboxEntry

    return list(
        OutboxEntry.objects.filter(state__in=states)
        .order_by("next_attempt_at")
        .values("id", "shop__name", "kind", "key", "state", "attempts", "next_attempt_at", "last_error")[:limit]
    )


# --- fulfilment: what a parcel holds, waves, boxes, documents ---------------------------------------------------


from typing import NamedTuple  # noqa: E402  (this section was appended; a tuple is 4× cheaper to build)


class ParcelUnit(NamedTuple):
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
    (they go in once per parcel), what the buyer bought as sold (bundle codes kept), and lines mapped to no SKU."""

    units: tuple[ParcelUnit, ...]
    parcel_enclosures: tuple[str, ...]
    sold: tuple[tuple[str, int], ...]
    unmapped: tuple[str, ...]


_UNIT_FIELDS = ("id", "code", "name", "spec", "barcode", "weight_g", "length_mm", "width_mm", "height_mm",
                "bin_location", "enclosures")  # fmt: skip
_MAX_BUNDLE_DEPTH = 4


def _bundle_components(sku_ids: set[int]) -> dict[int, list[tuple[int, int]]]:
    """bundle sku_id → [(component sku_id, units per bundle)], following bundles of bundles; adds to ``sku_ids``."""
    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    frontier = set(sku_ids)
    while frontier:
        where, params = in_list("bundle_id", frontier)
        rows = [
            (row["bundle_id"], row["component_id"], row["quantity"])
            for row in fetch(BundleComponent, ("bundle_id", "component_id", "quantity"), where, params)
        ]
        for bundle_id, component_id, quantity in rows:
            components[bundle_id].append((component_id, quantity))
        frontier = {component_id for _, component_id, _ in rows} - sku_ids
        sku_ids |= frontier
    return dict(components)


def order_contents(order_ids) -> dict[int, OrderContents]:
    """Contents of many orders with a fixed number of queries. ``order_ids``: ids, or a subquery of order ids
    (``Order.objects.filter(…).values("id")``), which keeps a 10,000-order wave out of a parameter list."""
    lines = list(
        OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("order_id", "id")
        .values_list("order_id", "sku_id", "quantity", "outer_id", "goods_name")
    )
    sku_ids = {line[1] for line in lines if line[1] is not None}
    components = _bundle_components(sku_ids)
    base = {
        row[0]: (*row[:10], tuple(name for name in (row[10] or ()) if name.strip()))
        for row in Sku.objects.filter(id__in=sku_ids).values_list(*_UNIT_FIELDS)
    }

    def expand(sku_id: int, quantity: int, depth: int, into: dict[int, int], parcel: list[str]) -> None:
        if sku_id in components and depth < _MAX_BUNDLE_DEPTH:
            parcel.extend(base[sku_id][10])
            for component_id, per_bundle in components[sku_id]:
                expand(component_id, quantity * per_bundle, depth + 1, into, parcel)
        else:
            into[sku_id] = into.get(sku_id, 0) + quantity

    out: dict[int, OrderContents] = {}
    order_id = None
    units: dict[int, int] = {}
    parcel: list[str] = []
    sold: list[tuple[str, int]] = []
    unmapped: list[str] = []
    for line in (*lines, (None, None, 0, "", "")):  # a sentinel closes the last order
        if line[0] != order_id:
            if order_id is not None:
                out[order_id] = OrderContents(
                    tuple(ParcelUnit(*base[sku_id], quantity) for sku_id, quantity in units.items()),
                    tuple(dict.fromkeys(parcel)),
                    tuple(sold),
                    tuple(unmapped),
                )
            order_id, units, parcel, sold, unmapped = line[0], {}, [], [], []
        _, sku_id, quantity, outer_id, goods_name = line
        if order_id is None:
            break
        if sku_id is None:
            unmapped.append(outer_id or goods_name)
            sold.append((outer_id or goods_name, quantity))
        elif sku_id in components:
            sold.append((base[sku_id][1], quantity))
            expand(sku_id, quantity, 0, units, parcel)
        else:
            sold.append((base[sku_id][1], quantity))
            units[sku_id] = units.get(sku_id, 0) + quantity
    return out


def box_types() -> list[dict]:
    from kuaifa.persistence.models import BoxType

    return list(
        BoxType.objects.order_by("length_mm", "width_mm", "height_mm", "code").values(
            "code", "name", "length_mm", "width_mm", "height_mm", "max_load_g", "weight_g", "price_fen", "stock"
        )
    )


def wave_by_code(code: str):
    from kuaifa.persistence.models import Wave

    return Wave.objects.filter(code=code.strip()).first()


def waves(*, states: list[str] | None = None, limit: int = 50) -> list[dict]:
    """Waves, newest first, with their order count (orders removed from a wave are not counted)."""
    from kuaifa.persistence.models import Wave

    query = Wave.objects.all() if not states else Wave.objects.filter(state__in=states)
    return list(
        query.annotate(orders=Count("members"))
        .order_by("-created_at", "-id")
        .values("id", "code", "state", "created_at", "actor", "rule", "orders")[:limit]
    )


def wave_members(wave_id: int) -> list[dict]:
    """The orders of a wave in slot order (the pick and pack sequence), with their status."""
    from kuaifa.persistence.models import WaveOrder

    return list(
        WaveOrder.objects.filter(wave_id=wave_id)
        .order_by("slot")
        .values("order_id", "slot", "order__order_sn", "order__status")
    )


def document_orders(order_ids) -> dict[int, dict]:
    """Per order what a label or slip prints: shop, receiver fields (masks and, for manual orders, plaintext),
    memo, and the carrier and tracking number of its primary shipment (else what the platform reported)."""
    from kuaifa.persistence.models import Shipment

    rows = {
        row["id"]: row
        for row in Order.objects.filter(id__in=order_ids).values(
            "id",
            "order_sn",
            "status",
            "shop__name",
            "province",
            "city",
            "town",
            "receiver_name",
            "receiver_phone",
            "receiver_address",
            "receiver_name_mask",
            "receiver_phone_mask",
            "receiver_address_mask",
            "receiver_is_plaintext",
            "buyer_memo",
            "logistics_id",
            "tracking_number",
        )
    }
    from kuaifa.persistence.models import Waybill

    # not shipped yet but holding an e-waybill (取号 before printing): the label carries that number
    for order_id, logistics_id, code in Waybill.objects.filter(
        order_id__in=order_ids, state=Waybill.State.ISSUED
    ).values_list("order_id", "logistics_id", "waybill_code"):
        if not rows[order_id]["tracking_number"]:
            rows[order_id] |= {"logistics_id": logistics_id, "tracking_number": code}
    for order_id, logistics_id, tracking_number in Shipment.objects.filter(
        order_id__in=order_ids, is_primary=True
    ).values_list("order_id", "logistics_id", "tracking_number"):
        rows[order_id] |= {"logistics_id": logistics_id, "tracking_number": tracking_number}
    return rows


def logistics_company_names() -> dict[int, str]:
    """The carrier names fetched from the platform (platform id → name), for ids the built-in table lacks."""
    from kuaifa.persistence.models import LogisticsCompany

    return dict(LogisticsCompany.objects.filter(platform="pdd").values_list("platform_id", "name"))


def printed_before(kind: str, *, order_ids=(), wave_id: int | None = None) -> set[int]:
    """Orders (or, with ``wave_id`` and no orders, the wave itself as {wave_id}) already printed as ``kind``."""
    from kuaifa.persistence.models import PrintLog

    if order_ids:
        return set(PrintLog.objects.filter(kind=kind, order_id__in=list(order_ids)).values_list("order_id", flat=True))
    if wave_id is not None and PrintLog.objects.filter(kind=kind, wave_id=wave_id, order__isnull=True).exists():
        return {wave_id}
    return set()


def print_logs(*, order_id: int | None = None, wave_id: int | None = None) -> list[dict]:
    from kuaifa.persistence.models import PrintLog

    query = PrintLog.objects.all()
    if order_id is not None:
        query = query.filter(order_id=order_id)
    if wave_id is not None:
        query = query.filter(wave_id=wave_id)
    return list(query.order_by("at", "id").values("kind", "order__order_sn", "wave__code", "reprint", "actor", "at"))


def aftersales_cases(*, states: list[str] | None = None, shop_id: int | None = None, limit: int = 100) -> list[dict]:
    """Cases, the ones whose deadline to act comes first at the top."""
    from kuaifa.persistence.models import AfterSalesCase

    query = AfterSalesCase.objects.all()
    if states:
        query = query.filter(state__in=states)
    if shop_id:
        query = query.filter(shop_id=shop_id)
    return list(
        query.order_by(F("expire_time").asc(nulls_last=True), "-platform_updated_at").values(
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
    )


def bundle_components(sku_ids: set[int]) -> dict[int, list[tuple[int, int]]]:
    """Bundle id → its direct components (id, units per bundle), following bundles of bundles: one query a level."""
    bundles: dict[int, list[tuple[int, int]]] = defaultdict(list)
    frontier = set(sku_ids)
    while frontier:
        where, params = in_list("bundle_id", frontier)
        rows = [
            (row["bundle_id"], row["component_id"], row["quantity"])
            for row in fetch(BundleComponent, ("bundle_id", "component_id", "quantity"), where, params)
        ]
        for bundle_id, component_id, quantity in rows:
            bundles[bundle_id].append((component_id, quantity))
        frontier = {component for _, component, _ in rows} - set(bundles)
    return dict(bundles)
