"""What review and the one-order path read and write, as named statements (``persistence.statements``).

Review reads the orders it may act on, their lines, their shops' rules, bundle structure and stock rows, and writes
reservations, stock counters, statuses and events. A batch of 5,000 orders and a single order run the same
statements (one text per shape, built once per process); rows are NamedTuples.
"""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from kuaifa.domain.orders.review import HoldReason
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.bulk import insert_rows
from kuaifa.persistence.models import (
    Order,
    OrderEvent,
    OrderLine,
    PlatformSku,
    Reservation,
    Sku,
)
from kuaifa.persistence.statements import Insert, Kind, Select, Statement, bind_as_text, select_from

bind_as_text(OrderStatus, HoldReason, Order.Source, Reservation.State)  # the enums the one-order path binds


class OrderToReview(NamedTuple):
    """The columns of an order review looks at."""

    id: int
    shop_id: int
    order_sn: str
    status: str
    hold_reasons: list[str]
    waived_reasons: list[str]
    ship_by: datetime | None
    paid_at: datetime | None
    risk_control_status: int
    ship_hold: bool
    refund_status: int
    buyer_memo: str
    province: str
    city: str
    receiver_address: str
    receiver_address_mask: str
    pay_amount: int


class LineToReview(NamedTuple):
    id: int
    order_id: int
    sku_id: int | None
    quantity: int
    unit_price: int
    outer_id: str
    goods_id: str
    platform_sku_id: str


class StockRow(NamedTuple):
    """A stock level as allocation needs it, with its warehouse's priority and its SKU's code (for a shortage)."""

    id: int
    sku_id: int
    warehouse_id: int
    priority: int
    on_hand: int
    reserved: int
    code: str


class ShopRules(NamedTuple):
    id: int
    review_rules: str  # the stored JSON text, parsed (and kept per text) by services.review


class ShopAndOrder(NamedTuple):
    """A shop's stored review rules (JSON text) and what intake compares of one order number of it (all None when
    the shop holds no such order)."""

    review_rules: str
    id: int | None
    order_sn: str | None
    status: str | None
    hold_reasons: list[str] | None
    fingerprint: str | None
    platform_updated_at: datetime | None
    order_status: int | None
    refund_status: int | None
    confirm_status: int | None
    review_due: bool | None
    ship_by: datetime | None
    shipped_at: datetime | None

    def stored(self) -> dict[str, Any] | None:
        """The order's columns by name, as ``services.intake`` reads stored orders; None when there is none."""
        return None if self.id is None else dict(zip(self._fields[1:], self[1:], strict=True))


class SkuCode(NamedTuple):
    id: int
    code: str


class SkuMatch(NamedTuple):
    """A SKU by merchant code, and whether it has components (is a bundle, even one whose flag says otherwise)."""

    code: str
    id: int
    bundle: bool


class OrderForAction(NamedTuple):
    """What a person's command on one order reads of it (services.orders)."""

    id: int
    order_sn: str
    status: str
    hold_reasons: list[str]
    waived_reasons: list[str]
    version: int


class OpenReservation(NamedTuple):
    id: int
    stock_level_id: int
    sku_id: int  # the stock level's SKU
    quantity: int


class Listing(NamedTuple):
    shop_id: int
    goods_id: str
    platform_sku_id: str
    sku_id: int


#: by primary key only: with the status in the WHERE too, PostgreSQL without statistics for the order table (a big
#: import before ANALYZE) read the orders by the status index and filtered the ids, the whole table per chunk (13 s
#: a chunk of 5,000 at 1M orders); the status is checked below instead
_ORDERS = select_from(Order, OrderToReview, "id IN %l", order_by="id", lock="FOR UPDATE SKIP LOCKED")
_REVIEWABLE = frozenset({OrderStatus.NEW, OrderStatus.ON_HOLD})
_LINES = select_from(OrderLine, LineToReview, "order_id IN %l", order_by="id")
_RULES = Select(ShopRules, "SELECT id, review_rules FROM kuaifa_shop WHERE id IN %l")
_SHOP_AND_ORDER = Select(
    ShopAndOrder,
    "SELECT s.review_rules, o.id, o.order_sn, o.status, o.hold_reasons, o.fingerprint, o.platform_updated_at,"
    " o.order_status, o.refund_status, o.confirm_status, o.review_due, o.ship_by, o.shipped_at"
    " FROM kuaifa_shop s LEFT JOIN kuaifa_order o ON o.shop_id = s.id AND o.order_sn = %s WHERE s.id = %s",
    columns={
        "hold_reasons": Kind.JSON,
        "platform_updated_at": Kind.TIME,
        "review_due": Kind.BOOL,
        "ship_by": Kind.TIME,
        "shipped_at": Kind.TIME,
    },
    lock="FOR UPDATE OF s",
)
_CODES_BY_ID = select_from(Sku, SkuCode, "id IN %l")
_IDS_BY_CODE = select_from(Sku, SkuCode, "code IN %l")
_MATCHES = Select(
    SkuMatch,
    "SELECT k.code, k.id, EXISTS (SELECT 1 FROM kuaifa_bundlecomponent c WHERE c.bundle_id = k.id)"
    " FROM kuaifa_sku k WHERE k.code IN %l",
    columns={"bundle": Kind.BOOL},
)
_LISTINGS = select_from(PlatformSku, Listing, "goods_id IN %l")
_STOCK = Select(
    StockRow,
    "SELECT s.id, s.sku_id, s.warehouse_id, w.priority, s.on_hand, s.reserved, k.code"
    " FROM kuaifa_stocklevel s JOIN kuaifa_warehouse w ON w.id = s.warehouse_id JOIN kuaifa_sku k ON k.id = s.sku_id"
    " WHERE s.sku_id IN %l ORDER BY s.id",
    lock="FOR UPDATE OF s",  # in id order: one global lock order (services.locking)
)
_ADD_RESERVED = Statement("UPDATE kuaifa_stocklevel SET reserved = reserved + %s WHERE id = %s")
_SET_STATUS = Statement(
    "UPDATE kuaifa_order SET status = %s, hold_reasons = %s, version = version + 1, updated_at = %s WHERE id IN %l",
    params=(None, Kind.JSON, Kind.TIME),
)
_CLEAR_DUE = Statement("UPDATE kuaifa_order SET review_due = %s WHERE id IN %l AND review_due")
_ORDER_FOR_ACTION = select_from(Order, OrderForAction, "id = %s", lock="FOR UPDATE")
_SET_STATUS_IF_VERSION = Statement(
    "UPDATE kuaifa_order SET status = %s, hold_reasons = %s, waived_reasons = %s, version = version + 1,"
    " updated_at = %s WHERE id = %s AND version = %s",
    params=(None, Kind.JSON, Kind.JSON, Kind.TIME),
)
_OPEN_RESERVATIONS = Select(
    OpenReservation,
    "SELECT r.id, r.stock_level_id, s.sku_id, r.quantity FROM kuaifa_reservation r"
    " JOIN kuaifa_stocklevel s ON s.id = r.stock_level_id WHERE r.order_id IN %l AND r.state = 'open' ORDER BY r.id",
)
_CLOSE_RESERVATIONS = Statement(
    "UPDATE kuaifa_reservation SET state = %s, closed_at = %s WHERE id IN %l", params=(None, Kind.TIME)
)
# Held orders not yet due with a line of these SKUs, or of a bundle containing one (bundles of bundles followed),
# marked due. Two ways to find them, with opposite costs (bench/stock_arrival.py, docs/performance.md):
# - through each held order's own lines: the cost follows the held orders (~7 µs each on SQLite). ``+`` keeps the
#   line's SKU out of SQLite's index choice (its documented idiom; the same value on PostgreSQL): on ``sku_id`` it
#   would walk every line ever sold of the SKU for each held order;
# - through the SKUs' lines: the cost follows every line ever sold of those SKUs (81 ms a call with a million
#   orders of history for ten SKUs), cheap per held order (~0.5 µs).
# A shop with few held orders (the usual) goes through them; a large held backlog through the lines.
# The statements start with UPDATE, not WITH, so the driver reports the rows they changed.
_SKUS_AND_BUNDLES = (
    "WITH RECURSIVE skus(id) AS (SELECT id FROM kuaifa_sku WHERE id IN %l"
    " UNION SELECT c.bundle_id FROM kuaifa_bundlecomponent c JOIN skus ON c.component_id = skus.id)"
    " SELECT id FROM skus"
)
_THROUGH_ORDERS = (
    "EXISTS (SELECT 1 FROM kuaifa_orderline l WHERE l.order_id = kuaifa_order.id"
    f" AND +l.sku_id IN ({_SKUS_AND_BUNDLES}))"
)
_THROUGH_LINES = f"id IN (SELECT order_id FROM kuaifa_orderline WHERE sku_id IN ({_SKUS_AND_BUNDLES}))"
#: from this many held orders (due or not), they are found through the SKUs' lines
THROUGH_LINES_FROM = 2000


def _mark_due(found: str, skip_locked: bool) -> Statement:
    held = f"status = 'ON_HOLD' AND NOT review_due AND {found}"
    if skip_locked:  # PostgreSQL: orders another transaction has locked are skipped (see services.review_due)
        return Statement(f"UPDATE kuaifa_order SET review_due = %s WHERE id IN"
                         f" (SELECT id FROM kuaifa_order WHERE {held} FOR UPDATE SKIP LOCKED)")  # fmt: skip
    return Statement(f"UPDATE kuaifa_order SET review_due = %s WHERE {held}")


_MARK_DUE = {(lines, skip_locked): _mark_due(_THROUGH_LINES if lines else _THROUGH_ORDERS, skip_locked)
             for lines in (False, True) for skip_locked in (False, True)}  # fmt: skip


class _Found(NamedTuple):
    found: int


#: is there a held order past the first ``n``? (the status index alone, stopping there)
_HELD_PAST = Select(_Found, "SELECT 1 FROM kuaifa_order WHERE status = 'ON_HOLD' LIMIT 1 OFFSET %s")
_MAP_LINES = Statement("UPDATE kuaifa_orderline SET sku_id = %s WHERE id IN %l")

#: the columns of a reservation row, in the order :func:`insert_reservations` takes them
RESERVATION_COLUMNS = ("order_id", "line_id", "stock_level_id", "sku_id", "quantity", "state", "created_at")
_RESERVATIONS = Insert(Reservation, RESERVATION_COLUMNS)
#: the columns of an event row (services.audit.EVENT_COLUMNS)
_EVENT_COLUMNS = ("order_id", "kind", "from_status", "to_status", "actor", "details", "created_at")
_EVENTS = Insert(OrderEvent, _EVENT_COLUMNS)

#: from this many rows an insert goes through persistence.bulk (COPY on PostgreSQL); below, one multi-row INSERT
_BULK_FROM = 32


def orders_to_review(order_ids: Collection[int]) -> list[OrderToReview]:
    """These orders if still new or held; on PostgreSQL locked, skipping those another transaction holds (one that
    moved on meanwhile stays locked until the review's transaction ends, and is left out)."""
    return [row for row in _ORDERS.all(list(order_ids)) if row.status in _REVIEWABLE] if order_ids else []


def lines_of(order_ids: Collection[int]) -> list[LineToReview]:
    return _LINES.all(list(order_ids)) if order_ids else []


def rules_of(shop_ids: Collection[int]) -> dict[int, str]:
    """Each shop's stored review rules, as stored (JSON text)."""
    return {row.id: row.review_rules for row in _RULES.all(list(shop_ids))} if shop_ids else {}


def shop_and_order(shop_id: int, order_sn: str) -> ShopAndOrder | None:
    """Lock the shop row (PostgreSQL; see services.intake.lock_shop), read its review rules and the stored copy of
    one of its orders, in one statement (the one-order path)."""
    return _SHOP_AND_ORDER.first(order_sn, shop_id)


def sku_codes(sku_ids: Collection[int]) -> dict[int, str]:
    return {row.id: row.code for row in _CODES_BY_ID.all(list(sku_ids))} if sku_ids else {}


def sku_ids_by_code(codes: Collection[str]) -> dict[str, int]:
    return {row.code: row.id for row in _IDS_BY_CODE.all(list(codes))} if codes else {}


def sku_matches(codes: Collection[str]) -> list[SkuMatch]:
    """The SKUs with these merchant codes, and whether each has components."""
    return _MATCHES.all(list(codes)) if codes else []


def listings(goods_ids: Collection[str]) -> list[Listing]:
    """Platform listing mappings of these goods ids, every shop."""
    return _LISTINGS.all(list(goods_ids)) if goods_ids else []


def stock_rows(sku_ids: Collection[int]) -> list[StockRow]:
    """The stock rows of these SKUs, locked on PostgreSQL in id order (SQLite: the writer holds the database)."""
    return _STOCK.all(list(sku_ids)) if sku_ids else []


def add_reserved(deltas: dict[int, int]) -> None:
    """``reserved += delta`` per stock level, in id order; the CHECK constraint refuses an oversell."""
    rows = [(delta, level_id) for level_id, delta in sorted(deltas.items()) if delta]
    if len(rows) == 1:
        _ADD_RESERVED.run(*rows[0])
    elif rows:
        _ADD_RESERVED.run_many(rows)


def set_status(order_ids: Sequence[int], status: str, hold_reasons: list[str], now: datetime) -> None:
    """New status and hold reasons for these orders (their version rises)."""
    if order_ids:
        _SET_STATUS.run(status, hold_reasons, now, list(order_ids))


def clear_due(order_ids: Sequence[int]) -> None:
    if order_ids:
        _CLEAR_DUE.run(False, list(order_ids))


def map_lines(sku_id: int, line_ids: Sequence[int]) -> None:
    _MAP_LINES.run(sku_id, list(line_ids))


def order_for_action(order_id: int) -> OrderForAction | None:
    """One order as a person's command reads it, locked (PostgreSQL; SQLite: the writer holds the database)."""
    return _ORDER_FOR_ACTION.first(order_id)


def set_status_if_version(
    order_id: int, version: int, status: str, hold_reasons: list[str], waived_reasons: list[str], now: datetime
) -> bool:
    """New status and reasons for one order if it is still at ``version`` (which rises); whether it was."""
    return _SET_STATUS_IF_VERSION.run(status, hold_reasons, waived_reasons, now, order_id, version) == 1


def open_reservations(order_ids: Collection[int]) -> list[OpenReservation]:
    return _OPEN_RESERVATIONS.all(list(order_ids)) if order_ids else []


def close_reservations(reservation_ids: Sequence[int], state: str, now: datetime) -> None:
    if reservation_ids:
        _CLOSE_RESERVATIONS.run(state, now, list(reservation_ids))


def mark_due_for_skus(sku_ids: Collection[int], *, skip_locked: bool) -> int:
    """Mark due the held orders (not yet due) with a line of these SKUs or of a bundle containing one; returns how
    many. ``skip_locked`` (PostgreSQL): orders another transaction has locked are left alone."""
    if not sku_ids:
        return 0
    many = _HELD_PAST.first(THROUGH_LINES_FROM) is not None
    return _MARK_DUE[many, skip_locked].run(True, list(sku_ids))


def insert_reservations(rows: Sequence[tuple[Any, ...]]) -> None:
    """Reservation rows (:data:`RESERVATION_COLUMNS` order)."""
    if len(rows) < _BULK_FROM:
        _RESERVATIONS.run(rows)
    else:
        insert_rows(Reservation, RESERVATION_COLUMNS, rows)


def insert_events(rows: Sequence[tuple[Any, ...]]) -> None:
    """Event rows (services.audit.EVENT_COLUMNS order)."""
    if len(rows) < _BULK_FROM:
        _EVENTS.run(rows)
    else:
        insert_rows(OrderEvent, _EVENT_COLUMNS, rows)
