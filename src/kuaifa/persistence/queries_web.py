"""The workbench's reads: one query per list, keyset pages, counts for the navigation badges.

Every list takes the person's shop scope (empty = all shops) so a scoped member never sees another shop's orders.
"""

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from django.db import connection
from django.db.models import Count, Exists, F, Model, OuterRef, Q, QuerySet

from kuaifa.persistence import compiled, order_counts
from kuaifa.persistence.models import (
    AfterSalesCase,
    Order,
    OrderEvent,
    OrderLine,
    OutboxEntry,
    PlatformSku,
    Shipment,
    Shop,
    Sku,
    StockLevel,
    StockMove,
)

PAGE = 50
ORDER_FIELDS = (
    "id", "order_sn", "shop__name", "status", "hold_reasons", "ship_by", "pay_amount", "province", "city",
    "receiver_name_mask", "receiver_phone_mask", "tracking_number", "risk_control_status", "ship_hold", "source",
)  # fmt: skip


@dataclass(frozen=True)
class OrderFilter:
    status: str = ""
    shop_id: int | None = None
    reason: str = ""
    within_hours: int | None = None  # ship-by no later than now + hours (0 = already overdue)
    sku: str = ""
    carrier: int | None = None
    search: str = ""
    scope: frozenset[int] = field(default_factory=frozenset)


class OrderRow(NamedTuple):
    """One order as the lists show it (field names as read, so pages and exports name them alike)."""

    id: int
    order_sn: str
    shop__name: str
    status: str
    hold_reasons: list[str]
    ship_by: datetime | None
    pay_amount: int
    province: str
    city: str
    receiver_name_mask: str
    receiver_phone_mask: str
    tracking_number: str
    risk_control_status: int
    ship_hold: bool
    source: str
    items: list[str]  # ``CODE ×n`` per line


M = TypeVar("M", bound=Model)


def _scoped(query: QuerySet[M, Any], scope: frozenset[int], shop_field: str = "shop_id") -> QuerySet[M, Any]:
    return query.filter(**{f"{shop_field}__in": scope}) if scope else query


def _filtered(f: OrderFilter, now: datetime) -> QuerySet[Order]:
    q = _scoped(Order.objects.all(), f.scope)
    if f.status:
        q = q.filter(status=f.status)
    if f.shop_id:
        q = q.filter(shop_id=f.shop_id)
    if f.reason:
        q = q.filter(status="ON_HOLD", hold_reasons__icontains=f'"{f.reason}"')
    if f.within_hours is not None:
        q = q.filter(ship_by__lte=now + timedelta(hours=f.within_hours)).exclude(
            status__in=("SHIPPED", "DELIVERED", "CANCELLED")
        )
    if f.sku:
        q = q.filter(Exists(OrderLine.objects.filter(order=OuterRef("pk"), sku__code=f.sku)))
    if f.carrier is not None:
        q = q.filter(logistics_id=f.carrier)
    term = f.search.strip()
    if term:
        by_tracking = Exists(Shipment.objects.filter(order=OuterRef("pk"), tracking_number=term))
        match: Q = Q(order_sn=term) | Q(tracking_number=term) | Q(by_tracking)
        if term.isdigit() and len(term) == 4:
            match |= Q(receiver_phone_mask__endswith=term) | Q(
                receiver_phone__endswith=term, receiver_is_plaintext=True
            )
        q = q.filter(match)
    return q


def encode_cursor(row: OrderRow) -> str:
    return f"{row.ship_by.isoformat() if row.ship_by else '-'}|{row.id}"


def _after(query: QuerySet[Order], cursor: str) -> tuple[QuerySet[Order], QuerySet[Order]]:
    """Keyset: rows after (ship_by, id) in urgency order, orders without a deadline last."""
    stamp, _, last_id = cursor.partition("|")
    try:
        after_id = int(last_id)
        if stamp == "-":
            return query.none(), query.filter(ship_by__isnull=True, id__gt=after_id)
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return query.none(), query.none()
    dated = query.filter(Q(ship_by__gt=when) | Q(ship_by=when, id__gt=after_id))
    return dated, query.filter(ship_by__isnull=True)


@dataclass(frozen=True)
class OrderPage:
    rows: list[OrderRow]
    next_cursor: str | None


def _plain(f: OrderFilter) -> bool:
    """Only a status and a shop chosen (the lists as most people open them): a statement of a fixed shape."""
    return not (f.scope or f.reason or f.within_hours is not None or f.sku or f.carrier is not None or f.search.strip())


def _plain_dated(
    status: str = "", shop_id: int = 0, when: datetime | None = None, after_id: int = 0, *, limit: int
) -> QuerySet[Any, Any]:
    query = Order.objects.all()  # as ``_filtered`` reads a status and a shop
    if status:
        query = query.filter(status=status)
    if shop_id:
        query = query.filter(shop_id=shop_id)
    if when is not None:
        query = query.filter(Q(ship_by__gt=when) | Q(ship_by=when, id__gt=after_id))
    page: QuerySet[Any, Any] = query.filter(ship_by__isnull=False).order_by("ship_by", "id").values(*ORDER_FIELDS)
    return page[: limit + 1]


def _dated(f: OrderFilter, dated: QuerySet[Order], after: str, limit: int) -> list[Sequence[Any]]:
    """The page's orders with a deadline. A plain list's statement is built once and then only run (see
    ``compiled``): building it through the ORM cost several times running it."""
    stamp, _, last_id = after.partition("|")
    if not _plain(f) or (after and (stamp == "-" or not last_id.isdigit())):
        return list(dated.order_by("ship_by", "id").values_list(*ORDER_FIELDS)[: limit + 1])
    values: dict[str, Any] = {}
    if f.status:
        values["status"] = f.status
    if f.shop_id:
        values["shop_id"] = f.shop_id
    if after:
        try:
            values["when"], values["after_id"] = datetime.fromisoformat(stamp), int(last_id)
        except ValueError:
            return []
    key = ("order_page", bool(f.status), bool(f.shop_id), bool(after), limit)
    build = functools.partial(_plain_dated, limit=limit)
    return [tuple(row.values()) for row in compiled.values_rows(key, build, **values)]


def order_page(f: OrderFilter, *, now: datetime, after: str = "", limit: int = PAGE) -> OrderPage:
    """One page of orders, most urgent first, with an items summary per order.

    Orders with a deadline come first, read along the (ship_by, id) index; orders without one follow in id order
    (a second range of the same index, read only when the first does not fill the page), so the page costs two or
    three queries whatever the size.
    """
    query = _filtered(f, now)
    if after:
        dated, undated = _after(query, after)
    else:
        dated, undated = query.filter(ship_by__isnull=False), query.filter(ship_by__isnull=True)
    found = _dated(f, dated, after, limit)
    if len(found) <= limit:  # both ranges of one index
        found += list(undated.order_by("id").values_list(*ORDER_FIELDS)[: limit + 1])
    rows = _with_items(found[:limit])
    return OrderPage(rows, encode_cursor(rows[-1]) if len(found) > limit and rows else None)


def _with_items(found: Sequence[Sequence[Any]]) -> list[OrderRow]:
    """Each order's items as ``CODE ×n`` (the goods name when unmapped), in one query for all the rows."""
    items: dict[int, list[str]] = {}
    for order_id, code, name, qty in OrderLine.objects.filter(order_id__in=[r[0] for r in found]).values_list(
        "order_id", "sku__code", "goods_name", "quantity"
    ):
        items.setdefault(order_id, []).append(f"{code or name} ×{qty}")
    return [OrderRow._make([*row, items.get(row[0], [])]) for row in found]


def order_rows(ids: list[int]) -> list[OrderRow]:
    """The chosen orders (already checked against the person's scope), most urgent first, for an export."""
    query = Order.objects.filter(id__in=ids).order_by(F("ship_by").asc(nulls_last=True), "id")
    return _with_items(list(query.values_list(*ORDER_FIELDS)))


def order_ids_in_scope(ids: list[int], scope: frozenset[int]) -> list[int]:
    return list(_scoped(Order.objects.filter(id__in=ids), scope).values_list("id", flat=True))


def order_in_scope(order_id: int, scope: frozenset[int]) -> Order | None:
    found: Order | None = _scoped(Order.objects.select_related("shop"), scope).filter(id=order_id).first()
    return found


@dataclass(frozen=True)
class OrderWithEvents:
    order: Order
    events: list[OrderEvent]  # its timeline, oldest first


def order_for_detail(order_id: int, scope: frozenset[int]) -> OrderWithEvents | None:
    """The order, its shop and its timeline in one statement (every order has the event of its arrival; one
    without any event is read alone)."""
    events = list(
        _scoped(OrderEvent.objects.filter(order_id=order_id), scope, "order__shop_id")
        .select_related("order__shop")
        .order_by("created_at", "id")
    )
    if events:
        order = events[0].order
        for e in events:
            e.order = order
        return OrderWithEvents(order, events)
    found = order_in_scope(order_id, scope)
    return None if found is None else OrderWithEvents(found, [])


def _upload_keys(order: Order, events: Iterable[OrderEvent]) -> list[str]:
    """The outbox keys the order's shipping events queued (``ship``, ``ship-fix``, ``extra``), so its uploads are
    read by the unique key rather than by searching every key for the order number."""
    head = f"{order.shop_id}:{order.order_sn}"
    keys = []
    for e in events:
        d = e.details or {}
        if e.kind == "shipped":
            keys.append(f"ship:{head}:{d.get('logistics_id')}:{d.get('tracking_number')}")
        elif e.kind == "shipment_corrected" and len(d.get("after") or []) == 2:
            keys.append(f"ship-fix:{head}:{d['after'][0]}:{d['after'][1]}")
        elif e.kind == "extra_parcels":
            numbers = ",".join(f"{lid}:{number}" for lid, number in d.get("parcels") or [])
            keys.append(f"extra:{head}:{d.get('extra_kind')}:{numbers}")
    return keys


class ShipmentRow(NamedTuple):
    logistics_id: int
    tracking_number: str
    is_primary: bool
    upload_state: str
    shipped_at: datetime
    uploaded_at: datetime | None


class UploadRow(NamedTuple):
    kind: str
    state: str
    attempts: int
    last_error: str
    created_at: datetime
    done_at: datetime | None


class CaseRow(NamedTuple):
    id: int
    after_sales_id: str
    case_type: str
    state: str
    refund_amount: int
    reason: str


@dataclass(frozen=True)
class OrderRelated:
    shipments: list[ShipmentRow]
    uploads: list[UploadRow]
    aftersales: list[CaseRow]


def order_related(order: Order, events: Iterable[OrderEvent] = ()) -> OrderRelated:
    """Shipments, uploads (found from ``events``, the order's timeline; none read when it shipped nothing) and
    after-sales cases. Reservations come with the order's lines (``queries.order_stock``)."""
    keys = _upload_keys(order, events)
    uploads = (
        OutboxEntry.objects.filter(key__in=keys, shop_id=order.shop_id)
        .order_by("id")
        .values_list("kind", "state", "attempts", "last_error", "created_at", "done_at")
        if keys
        else []
    )
    shipments = (
        Shipment.objects.filter(order=order)
        .order_by("id")
        .values_list("logistics_id", "tracking_number", "is_primary", "upload_state", "shipped_at", "uploaded_at")
    )
    cases = (
        AfterSalesCase.objects.filter(order=order)
        .order_by("id")
        .values_list("id", "after_sales_id", "case_type", "state", "refund_amount", "reason")
    )
    return OrderRelated(
        shipments=[ShipmentRow(*row) for row in shipments],
        uploads=[UploadRow(*row) for row in uploads],
        aftersales=[CaseRow(*row) for row in cases],
    )


def held_by_reason(scope: frozenset[int]) -> dict[str, int]:
    """Held orders counted per reason, most first (an order held for two reasons counts under both)."""
    return order_counts.held_by_reason(scope)


def status_counts(scope: frozenset[int], statuses: tuple[str, ...] = ()) -> dict[str, int]:
    """Orders per status; given ``statuses``, only those are counted (a range of the status index, not a scan)."""
    query = _scoped(Order.objects.filter(status__in=statuses) if statuses else Order.objects.all(), scope)
    return dict(query.values_list("status").annotate(n=Count("*")).order_by())  # COUNT(*): index-only on PostgreSQL


OPEN_STATUSES = order_counts.OPEN_STATUSES


class ListingRow(NamedTuple):
    order__shop_id: int
    order__shop__name: str
    goods_id: str
    platform_sku_id: str
    outer_id: str
    goods_name: str
    orders: int  # orders waiting on the listing


def unmapped_listings(scope: frozenset[int], limit: int = 200) -> list[ListingRow]:
    """Platform listings on order lines that no SKU answers for, with how many orders wait on each."""
    mapped = PlatformSku.objects.filter(
        shop_id=OuterRef("order__shop_id"), goods_id=OuterRef("goods_id"), platform_sku_id=OuterRef("platform_sku_id")
    )
    query = _scoped(OrderLine.objects.filter(sku__isnull=True), scope, "order__shop_id").exclude(Exists(mapped))
    rows = (
        query.values("order__shop_id", "order__shop__name", "goods_id", "platform_sku_id", "outer_id", "goods_name")
        .annotate(orders=Count("order_id", distinct=True))
        .order_by("-orders", "goods_id")
        .values_list(*ListingRow._fields)[:limit]
    )
    return [ListingRow(*row) for row in rows]


def unmapped_count(scope: frozenset[int]) -> int:
    query = _scoped(OrderLine.objects.filter(sku__isnull=True, order__status="ON_HOLD"), scope, "order__shop_id")
    return query.values("goods_id", "platform_sku_id").distinct().count()


class SkuRow(NamedTuple):
    code: str
    name: str
    spec: str
    barcode: str
    weight_g: int
    bin_location: str
    is_bundle: bool
    incomplete: bool


def skus(search: str = "", limit: int = 200) -> list[SkuRow]:
    query = Sku.objects.all()
    if search:
        query = query.filter(Q(code__icontains=search) | Q(name__icontains=search) | Q(barcode=search))
    return [SkuRow(*row) for row in query.order_by("code").values_list(*SkuRow._fields)[:limit]]


class LevelRow(NamedTuple):
    id: int
    sku__code: str
    sku__name: str
    warehouse__code: str
    on_hand: int
    reserved: int
    available: int


def stock_by_warehouse(search: str = "", limit: int = 500) -> list[LevelRow]:
    query = StockLevel.objects.all()
    if search:
        query = query.filter(Q(sku__code__icontains=search) | Q(sku__name__icontains=search))
    rows = (
        query.annotate(available=F("on_hand") - F("reserved"))
        .order_by("sku__code", "warehouse__priority")
        .values_list(*LevelRow._fields)[:limit]
    )
    return [LevelRow(*row) for row in rows]


class MoveRow(NamedTuple):
    kind: str
    quantity: int
    on_hand_after: int
    order__order_sn: str | None
    note: str
    actor: str
    created_at: datetime


def ledger(level_id: int, limit: int = 200) -> list[MoveRow]:
    moves = StockMove.objects.filter(stock_level_id=level_id).order_by("-id").values_list(*MoveRow._fields)[:limit]
    return [MoveRow(*row) for row in moves]


class ShopRow(NamedTuple):
    id: int
    name: str


def shops(scope: frozenset[int]) -> list[ShopRow]:
    return [
        ShopRow(*row) for row in _scoped(Shop.objects.all(), scope, "id").order_by("name").values_list("id", "name")
    ]


def outbox_counts() -> dict[str, int]:
    waiting = (OutboxEntry.State.PENDING, OutboxEntry.State.SENDING, OutboxEntry.State.FAILED)
    return dict(OutboxEntry.objects.filter(state__in=waiting).values_list("state").annotate(n=Count("id")).order_by())


@dataclass(frozen=True)
class RiskCounts:
    overdue: int
    urgent: int  # due within 6 hours
    due_soon: int  # due within 6 to 24 hours


@dataclass(frozen=True)
class Dashboard:
    counts: order_counts.Counts
    risk: RiskCounts


def ship_by_risk(
    scope: frozenset[int], *, now: datetime, due_by_hour: Mapping[datetime, int] | None = None
) -> RiskCounts:
    """Open orders overdue, due within 6 hours and within 24 hours.

    Whole hours come from the open orders per ship-by hour that the database keeps (``due_by_hour``, as
    ``order_counts.Counts`` has them; read here when not given); only the three hours that hold an edge — now,
    now + 6 h and now + 24 h — are counted live, three short ranges of the (status, ship_by) index, so the cost does
    not grow with the backlog. The same numbers as counting every open order due within 24 hours."""
    if due_by_hour is None:
        due_by_hour = order_counts.dashboard_counts(scope, today=now.date()).due_by_hour
    soon, later = now + timedelta(hours=6), now + timedelta(hours=24)
    first = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)  # the hour now falls in
    edges = (first, first + timedelta(hours=6), first + timedelta(hours=24))
    overdue = urgent = due_soon = 0
    for hour, n in due_by_hour.items():
        if hour < edges[0]:
            overdue += n
        elif edges[0] < hour < edges[1]:
            urgent += n
        elif edges[1] < hour < edges[2]:
            due_soon += n
    in_edges = Q()
    for edge in edges:
        in_edges |= Q(ship_by__gte=edge, ship_by__lt=edge + timedelta(hours=1))
    live = _scoped(Order.objects.filter(in_edges, status__in=OPEN_STATUSES), scope).aggregate(
        overdue=Count("ship_by", filter=Q(ship_by__lte=now)),  # columns of the (status, ship_by) index only
        urgent=Count("ship_by", filter=Q(ship_by__gt=now, ship_by__lte=soon)),
        due_soon=Count("ship_by", filter=Q(ship_by__gt=soon, ship_by__lte=later)),
    )
    return RiskCounts(
        overdue=overdue + live["overdue"], urgent=urgent + live["urgent"], due_soon=due_soon + live["due_soon"]
    )


def dashboard(scope: frozenset[int], *, now: datetime, today: date) -> Dashboard:
    """Today's created and shipped orders (on time, late), open orders by status and per ship-by hour, held by
    reason from the counts the database keeps (``order_counts``), and the ship-by risk's edge hours live: two
    queries whatever the number of orders."""
    counts = order_counts.dashboard_counts(scope, today=today)
    return Dashboard(counts, ship_by_risk(scope, now=now, due_by_hour=counts.due_by_hour))


class ShopConnection(NamedTuple):
    id: int
    name: str
    platform: str
    credential__access_expires_at: datetime | None
    credential__needs_authorization: bool | None  # None: never connected


def shop_credentials() -> list[ShopConnection]:
    """Every shop with its platform connection: token expiry and whether it must be authorised again."""
    rows = Shop.objects.order_by("name").values_list(*ShopConnection._fields)
    return [ShopConnection(*row) for row in rows]


def _together(
    querysets: dict[str, QuerySet[Any, Any]], sums: dict[str, QuerySet[Any, Any]]
) -> tuple[str, tuple[Any, ...], tuple[str, ...]]:
    """The one statement of ``counts_together``: its SQL, its parameters and the names of its columns."""
    parts: list[str] = []
    params: list[Any] = []
    for i, query in enumerate(querysets.values()):
        sql, more = query.order_by().query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{i})")
        params.extend(more)
    for i, query in enumerate(sums.values()):
        sql, more = query.order_by().query.sql_with_params()
        parts.append(f"(SELECT COALESCE(SUM(n), 0) FROM ({sql}) AS summed_{i})")
        params.extend(more)
    return "SELECT " + ", ".join(parts), tuple(params), (*querysets, *sums)


def _run_together(sql: str, params: tuple[Any, ...], names: tuple[str, ...]) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {name: int(n) for name, n in zip(names, row, strict=True)}


def counts_together(
    querysets: dict[str, QuerySet[Any, Any]], sums: dict[str, QuerySet[Any, Any]] | None = None
) -> dict[str, int]:
    """How many rows each query yields, and the sum of ``n`` over each of ``sums`` (querysets of ``.values("n")``),
    all in ONE statement (``SELECT (SELECT COUNT(*) FROM (…)), …``): the frame's badges on every page must not cost a
    query each."""
    sums = sums or {}
    if not querysets and not sums:
        return {}
    return _run_together(*_together(querysets, sums))


def badge_counts(
    scope: frozenset[int], *, unmapped: bool, outbox: bool, alerts: bool, aftersales: bool = False,
    complaints: bool = False,
) -> dict[str, int]:  # fmt: skip
    """The frame's badges: orders to review and held (from the kept counts), unmapped listings, failed uploads,
    unacknowledged alerts, cases waiting on the merchant, complaint tickets not closed — one statement.

    Every page shows them: the statement is built once per database, scope and set of badges (building it through
    the ORM cost more than running it) and then only run."""
    return _run_together(*_badge_statement(connection.vendor, scope, unmapped, outbox, alerts, aftersales, complaints))


@functools.lru_cache(maxsize=256)
def _badge_statement(
    vendor: str, scope: frozenset[int], unmapped: bool, outbox: bool, alerts: bool, aftersales: bool,
    complaints: bool,
) -> tuple[str, tuple[Any, ...], tuple[str, ...]]:  # fmt: skip
    """The badges' statement; ``vendor`` keys the cache (the SQL differs per database), the rest are constants."""
    from kuaifa.domain.aftersales.cases import MERCHANT_TURN
    from kuaifa.persistence.models import ComplaintTicket
    from kuaifa.persistence.queries_alerts import unacknowledged

    wanted: dict[str, QuerySet[Any, Any]] = {}
    if unmapped:
        lines = _scoped(OrderLine.objects.filter(sku__isnull=True, order__status="ON_HOLD"), scope, "order__shop_id")
        wanted["unmapped"] = lines.values("goods_id", "platform_sku_id").distinct()
    if outbox:
        wanted["outbox_failed"] = OutboxEntry.objects.filter(state=OutboxEntry.State.FAILED).values("id")
    if alerts:
        wanted["alerts"] = unacknowledged(scope).values("id")
    if aftersales:
        turn = AfterSalesCase.objects.filter(state__in=[s.value for s in MERCHANT_TURN])
        wanted["aftersales"] = _scoped(turn, scope).values("id")
    if complaints:
        waiting = ComplaintTicket.objects.exclude(status=ComplaintTicket.Status.CLOSED)
        wanted["complaints"] = _scoped(waiting, scope, "order__shop_id").values("id")
    totals = {
        "new": order_counts.status_total(scope, ["NEW"]).values("n"),
        "held": order_counts.status_total(scope, ["ON_HOLD"]).values("n"),
    }
    return _together(wanted, totals)
