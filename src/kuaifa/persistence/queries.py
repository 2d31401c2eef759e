"""The read side: lists, the ledger check and "why is this order where it is". Edges read here, write via services."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.orders.status import RESERVING
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
