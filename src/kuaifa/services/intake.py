"""Intake: platform orders in, exactly once.

``ingest_orders`` upserts a batch of canonical orders for one shop in one transaction: orders are keyed on
shop + order number, an older copy never overwrites a newer one, and every change writes an OrderEvent. The
platform's facts then move our status (cancel → CANCELLED with reservations released; shipped from the back office
→ SHIPPED with reservations consumed; a new risk review / ship_hold / after-sales → held). Lines map to our SKUs by
merchant code (outer_id), else by platform goods id + 样式ID; what maps to nothing is left for review to hold.

The batch is loaded with a few queries, decided in the domain, and written in bulk.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from django.db import connection, transaction

from kuaifa.domain.orders import intake as rules
from kuaifa.domain.orders.canonical import CanonicalLine, CanonicalOrder
from kuaifa.domain.orders.review import HoldReason, ReviewSubject, platform_reasons
from kuaifa.domain.orders.status import RESERVING, OrderStatus, transition
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.sla.deadlines import ShipByPolicy, ship_by
from kuaifa.persistence import review_rows
from kuaifa.persistence.bulk import COPY_FROM, fetch, in_list, insert_rows, update_rows
from kuaifa.persistence.models import Order, OrderEvent, OrderLine, PlatformSku, Reservation, Shop, Sku
from kuaifa.persistence.review_rows import LineToReview, OrderToReview
from kuaifa.persistence.statements import Insert, durable_atomic
from kuaifa.services.audit import EVENT_COLUMNS, EventRow
from kuaifa.services.fingerprints import fingerprint
from kuaifa.services.inventory import take_out_unreserved
from kuaifa.services.reservations import consume_for_orders, release_for_orders
from kuaifa.services.returns import open_tasks
from kuaifa.services.review import ReviewReport, review_chunk, review_loaded

_EARLIEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class Fresh:
    """New orders of a small upsert, kept for review in the same transaction: as review reads them, built from the
    values written (nothing to read back), and their ``ingested`` events, written with review's in one statement."""

    orders: list[OrderToReview] = field(default_factory=list)
    lines: list[LineToReview] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    plain_skus: set[int] = field(default_factory=set)  # read as having no components in this transaction


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    skus_created: list[str] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def add(self, other: "IngestReport") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.skus_created += other.skus_created
        self.order_ids += other.order_ids


_PLATFORM_FIELDS = (
    "order_status", "refund_status", "after_sales_status", "confirm_status", "risk_control_status", "ship_hold",
    "is_pre_sale", "tags", "goods_amount", "discount_amount", "platform_discount", "seller_discount", "postage",
    "pay_amount", "province", "city", "town", "receiver_name", "receiver_phone", "receiver_address",
    "receiver_name_mask", "receiver_phone_mask", "receiver_address_mask", "receiver_is_plaintext", "open_address_id",
    "buyer_memo", "remark", "logistics_id", "tracking_number", "created_on_platform", "paid_at", "confirmed_at",
    "pre_sale_time", "shipped_at", "received_at", "ship_by", "platform_updated_at", "fingerprint",
)  # fmt: skip


def _columns(order: CanonicalOrder, policy: ShipByPolicy, digest: str) -> dict[str, Any]:
    r = order.receiver
    return {
        "order_status": int(order.order_status),
        "refund_status": int(order.refund_status),
        "after_sales_status": order.after_sales_status,
        "confirm_status": int(order.confirm_status),
        "risk_control_status": order.risk_control_status,
        "ship_hold": order.ship_hold,
        "is_pre_sale": order.is_pre_sale,
        "tags": list(order.tags),
        "goods_amount": order.goods_amount_fen,
        "discount_amount": order.discount_amount_fen,
        "platform_discount": order.platform_discount_fen,
        "seller_discount": order.seller_discount_fen,
        "postage": order.postage_fen,
        "pay_amount": order.pay_amount_fen,
        "province": r.province,
        "city": r.city,
        "town": r.town,
        "receiver_name": r.name,
        "receiver_phone": r.phone,
        "receiver_address": r.address,
        "receiver_name_mask": r.name_mask,
        "receiver_phone_mask": r.phone_mask,
        "receiver_address_mask": r.address_mask,
        "receiver_is_plaintext": r.is_plaintext,
        "open_address_id": r.open_address_id,
        "buyer_memo": order.buyer_memo,
        "remark": order.remark,
        "logistics_id": order.logistics_id,
        "tracking_number": order.tracking_number,
        "created_on_platform": order.created_at,
        "paid_at": order.paid_at,
        "confirmed_at": order.confirmed_at,
        "pre_sale_time": order.pre_sale_time,
        "shipped_at": order.shipped_at,
        "received_at": order.received_at,
        "ship_by": ship_by(
            last_ship_time=order.last_ship_time,
            paid_at=order.paid_at or order.created_at,
            is_pre_sale=order.is_pre_sale,
            pre_sale_time=order.pre_sale_time,
            policy=policy,
        ),
        "platform_updated_at": order.updated_at,
        "fingerprint": digest,
    }


class SkuMatcher:
    """Maps order lines to SKU ids with two queries per batch, optionally creating SKUs named by the platform."""

    def __init__(self, shop: Shop, orders: Sequence[CanonicalOrder], *, create_missing: bool, now: datetime):
        lines = [line for order in orders for line in order.lines]
        codes = {line.outer_id for line in lines if line.outer_id}
        matches = review_rows.sku_matches(codes)
        self.by_code = {row.code: row.id for row in matches}
        self.plain = {row.id for row in matches if not row.bundle}  # SKUs without components (review reads none)
        # listings are looked up only for lines their merchant code does not map (the code wins, see sku_id)
        pairs = {
            (line.goods_id, line.platform_sku_id)
            for line in lines
            if line.goods_id and line.platform_sku_id and not (line.outer_id and line.outer_id in self.by_code)
        }
        goods = {goods_id for goods_id, _ in pairs}
        self.by_listing = {}
        if goods:
            where, params = in_list("goods_id", goods)
            rows = fetch(PlatformSku, ("goods_id", "platform_sku_id", "sku_id"), f"shop_id = %s AND {where}",
                         [shop.id, *params])  # fmt: skip
            self.by_listing = {(row["goods_id"], row["platform_sku_id"]): row["sku_id"] for row in rows}
        self.created: list[str] = []
        if create_missing:
            self._create_missing(shop, lines, codes - set(self.by_code), now)

    def _create_missing(self, shop: Shop, lines: list[CanonicalLine], codes: set[str], now: datetime) -> None:
        """SKUs the platform names by merchant code but we do not know yet: created, flagged incomplete."""
        if not codes:
            return
        first = {}
        for line in lines:
            if line.outer_id in codes and line.outer_id not in first:
                first[line.outer_id] = line
        Sku.objects.bulk_create(
            Sku(code=code, name=line.goods_name[:200], spec=line.goods_spec[:200], incomplete=True, created_at=now)
            for code, line in sorted(first.items())
        )
        self.by_code |= dict(Sku.objects.filter(code__in=codes).values_list("code", "id"))
        mappings = [
            PlatformSku(shop=shop, goods_id=line.goods_id, platform_sku_id=line.platform_sku_id, sku_id=self.by_code[c])
            for c, line in sorted(first.items())
            if line.goods_id and line.platform_sku_id and (line.goods_id, line.platform_sku_id) not in self.by_listing
        ]
        PlatformSku.objects.bulk_create(mappings, ignore_conflicts=True)
        self.created = sorted(codes)

    def sku_id(self, line: CanonicalLine) -> int | None:
        if line.outer_id and line.outer_id in self.by_code:
            return self.by_code[line.outer_id]
        return self.by_listing.get((line.goods_id, line.platform_sku_id))


def _line_rows(order_id: int, order: CanonicalOrder, matcher: SkuMatcher) -> list[OrderLine]:
    return [
        OrderLine(
            order_id=order_id,
            sku_id=matcher.sku_id(line),
            goods_id=line.goods_id,
            platform_sku_id=line.platform_sku_id,
            outer_id=line.outer_id,
            goods_name=line.goods_name[:255],
            goods_spec=line.goods_spec[:255],
            quantity=line.quantity,
            unit_price=line.unit_price_fen,
        )
        for line in order.lines
    ]


_STORED = ("id", "order_sn", "status", "hold_reasons", "fingerprint", "platform_updated_at", "order_status",
           "refund_status", "confirm_status", "review_due", "ship_by", "shipped_at")  # fmt: skip


def _stored_rows(shop: Shop, order_sns: list[str], columns: Sequence[str] = _STORED) -> list[dict[str, Any]]:
    if not order_sns:
        return []
    where, params = in_list("order_sn", order_sns)
    return fetch(Order, columns, f"shop_id = %s AND {where}", [shop.id, *params])


def lock_shop(shop: Shop) -> None:
    """Serialise writers of one shop's platform data. Two syncs of a shop fetching the same window would otherwise
    both see an order as new and the second insert would break the unique key (PostgreSQL, READ COMMITTED); with
    the lock the second waits, then finds the first one's rows. SQLite writers are serialised anyway."""
    if connection.features.has_select_for_update:
        fetch(Shop, ("id",), "id = %s", [shop.id], lock=True)


def ingest_orders(
    shop: Shop,
    orders: Sequence[CanonicalOrder],
    *,
    source: str,
    actor: Actor,
    now: datetime,
    create_missing_skus: bool = False,
    waived: Sequence[HoldReason] = (),
    reissue_of_id: int | None = None,
) -> IngestReport:
    """Upsert one batch of a shop's orders in one transaction (see the module docstring)."""
    with transaction.atomic(durable=True):
        return upsert_orders(
            shop,
            orders,
            source=source,
            actor=actor,
            now=now,
            create_missing_skus=create_missing_skus,
            waived=waived,
            reissue_of_id=reissue_of_id,
        )


def take_order(
    shop: Shop,
    order: CanonicalOrder,
    *,
    source: str,
    actor: Actor,
    now: datetime,
    waived: Sequence[HoldReason] = (),
    reissue_of_id: int | None = None,
) -> IngestReport:
    """One order as it arrives (a push, a manual or reissue order): stored and reviewed in one durable transaction,
    so it is accepted with its stock reserved, or held with its reasons, the moment it is known.

    A new order is reviewed from the rows just written (nothing to read back); a newer copy of a known order is
    reviewed as any order (``review_chunk``). Either way the review is ``services.review``'s, batch or not."""
    with durable_atomic():
        # one statement: the shop lock of lock_shop, review's rules and the stored copy of the order
        found = review_rows.shop_and_order(shop.id, order.order_sn)
        stored_rules = None if found is None else found.review_rules
        stored = None if found is None else found.stored()
        fresh = Fresh()
        report = upsert_orders(
            shop,
            [order],
            source=source,
            actor=actor,
            now=now,
            waived=waived,
            reissue_of_id=reissue_of_id,
            shop_locked=True,
            stored_rows=[] if stored is None else [stored],
            fresh=fresh,
        )
        if fresh.orders and stored_rules is not None:
            rules_of = {shop.id: stored_rules}
            review_loaded(fresh.orders, fresh.lines, rules_of, ReviewReport(), actor=actor, now=now,
                          events=fresh.events, plain_skus=fresh.plain_skus)  # fmt: skip
        else:
            review_rows.insert_events(fresh.events)
            if report.updated:
                review_chunk(report.order_ids, actor=actor, now=now, durable=False)
    return report


def _latest_copies(orders: Sequence[CanonicalOrder]) -> list[CanonicalOrder]:
    """The same order twice in one batch (a retried page): keep the newest copy."""
    latest: dict[str, CanonicalOrder] = {}
    for order in orders:
        seen = latest.get(order.order_sn)
        if seen is None or (order.updated_at or _EARLIEST) >= (seen.updated_at or _EARLIEST):
            latest[order.order_sn] = order
    return list(latest.values())


def upsert_orders(
    shop: Shop,
    orders: Sequence[CanonicalOrder],
    *,
    source: str,
    actor: Actor,
    now: datetime,
    create_missing_skus: bool = False,
    waived: Sequence[HoldReason] = (),
    reissue_of_id: int | None = None,
    shop_locked: bool = False,
    stored_rows: list[dict[str, Any]] | None = None,
    fresh: Fresh | None = None,
) -> IngestReport:
    """The body of :func:`ingest_orders`, for callers that already hold a transaction (file imports).
    ``shop_locked``: the caller has taken :func:`lock_shop`; ``stored_rows``: and read the stored copies of these
    orders (as :func:`_stored_rows`). ``fresh`` (a few orders only): the new orders are kept there for the caller
    to review, and their events left for it to write (see :func:`take_order`)."""
    if not shop_locked:
        lock_shop(shop)
    report = IngestReport()
    orders = _latest_copies(orders)
    policy = ShipByPolicy(shop.ship_by_hours)
    if stored_rows is None:
        stored_rows = _stored_rows(shop, [o.order_sn for o in orders])
    stored = {row["order_sn"]: row for row in stored_rows}
    matcher = SkuMatcher(shop, orders, create_missing=create_missing_skus, now=now)
    report.skus_created = matcher.created

    new_orders: list[tuple[CanonicalOrder, OrderStatus, dict[str, Any]]] = []
    updates: list[tuple[dict[str, Any], CanonicalOrder, dict[str, Any]]] = []
    for order in orders:
        row = stored.get(order.order_sn)
        digest = fingerprint(order, "" if row is None else row["fingerprint"])
        version = None
        if row is not None:
            version = rules.StoredVersion(
                row["fingerprint"],
                row["platform_updated_at"],
                row["order_status"],
                row["refund_status"],
                row["confirm_status"],
            )
        action = rules.decide(version, order, digest)
        if action is rules.IngestAction.UNCHANGED:
            report.unchanged += 1
        elif action is rules.IngestAction.STALE:
            report.stale += 1
        elif action is rules.IngestAction.CREATE:
            status = rules.initial_status(order)
            new_orders.append((order, status, _columns(order, policy, digest)))
        else:
            assert row is not None
            updates.append((row, order, _columns(order, policy, digest)))

    if new_orders:
        report.order_ids += _insert_new(
            shop,
            new_orders,
            matcher,
            source=source,
            actor=actor,
            now=now,
            waived=waived,
            reissue_of_id=reissue_of_id,
            fresh=fresh,
        )
        report.created = len(new_orders)
    if updates:
        insert_rows(OrderEvent, EVENT_COLUMNS, _apply_updates(updates, matcher, actor=actor, now=now))
        report.order_ids += [row["id"] for row, _, _ in updates]
    report.updated = len(updates)
    return report


_ORDER_COLUMNS = ("shop_id", "order_sn", "source", "status", "hold_reasons", "waived_reasons", "reissue_of_id",
                  "version", "created_at", "updated_at", *_PLATFORM_FIELDS)  # fmt: skip
_LINE_COLUMNS = ("order_id", "sku_id", "goods_id", "platform_sku_id", "outer_id", "goods_name", "goods_spec",
                 "quantity", "unit_price")  # fmt: skip
_platform_values = itemgetter(*_PLATFORM_FIELDS)
_INSERT_ORDERS = Insert(Order, _ORDER_COLUMNS)
_STATUS_AT = _ORDER_COLUMNS.index("status")
_INSERT_LINES = Insert(OrderLine, _LINE_COLUMNS)
_INSERT_EVENTS = Insert(OrderEvent, EVENT_COLUMNS)


def _insert_new(
    shop: Shop,
    new_orders: list[tuple[CanonicalOrder, OrderStatus, dict[str, Any]]],
    matcher: SkuMatcher,
    *,
    source: str,
    actor: Actor,
    now: datetime,
    waived: Sequence[HoldReason],
    reissue_of_id: int | None,
    fresh: Fresh | None = None,
) -> list[int]:
    """Orders, their lines and their ``ingested`` events. A batch: each as one executemany or COPY (see
    persistence.bulk), the new ids read back by order number. A few orders (a push, a manual order): one INSERT
    each for the orders and the lines, returning their ids, and one for the events, or the events and the new
    orders kept in ``fresh``."""
    order_rows = [
        (shop.id, order.order_sn, source, status, [], list(waived), reissue_of_id, 1, now, now,
         *_platform_values(columns))
        for order, status, columns in new_orders
    ]  # fmt: skip
    few = len(new_orders) < COPY_FROM
    if few:
        new_ids = _INSERT_ORDERS.returning_ids(order_rows)
        ids = dict(zip((order.order_sn for order, _, _ in new_orders), new_ids, strict=True))
    else:
        insert_rows(Order, _ORDER_COLUMNS, order_rows)
        ids = {row["order_sn"]: row["id"] for row in _stored_rows(shop, [order.order_sn for order, _, _ in new_orders],
                                                                     columns=("order_sn", "id"))}  # fmt: skip
    line_rows = [
        (ids[order.order_sn], matcher.sku_id(line), line.goods_id, line.platform_sku_id, line.outer_id,
         line.goods_name[:255], line.goods_spec[:255], line.quantity, line.unit_price_fen)
        for order, _, _ in new_orders
        for line in order.lines
    ]  # fmt: skip
    details = {"source": source}
    event_rows = [(ids[order.order_sn], "ingested", "", status, actor.stored, details, now)
                  for order, status, _ in new_orders]  # fmt: skip
    if few:
        line_ids = _INSERT_LINES.returning_ids(line_rows)
        if fresh is None:
            _INSERT_EVENTS.run(event_rows)
        else:
            _keep_fresh(fresh, order_rows, new_ids, line_rows, line_ids)
            fresh.events += event_rows
            fresh.plain_skus |= matcher.plain
    else:
        insert_rows(OrderLine, _LINE_COLUMNS, line_rows)
        insert_rows(OrderEvent, EVENT_COLUMNS, event_rows)
    return [ids[order.order_sn] for order, _, _ in new_orders]


#: where review's columns of an order and a line sit in the rows inserted (the id, not inserted, is last)
_REVIEWED_ORDER = itemgetter(*((*_ORDER_COLUMNS, "id").index(name) for name in OrderToReview._fields))
_REVIEWED_LINE = itemgetter(*((*_LINE_COLUMNS, "id").index(name) for name in LineToReview._fields))


def _keep_fresh(
    fresh: Fresh,
    order_rows: list[tuple[Any, ...]],
    order_ids: list[int],
    line_rows: list[tuple[Any, ...]],
    line_ids: list[int],
) -> None:
    """The orders just inserted that review takes (status NEW), as review would read them: the columns it reads,
    from the very values written."""
    new = set()
    for order_id, values in zip(order_ids, order_rows, strict=True):
        if values[_STATUS_AT] == OrderStatus.NEW:
            fresh.orders.append(OrderToReview._make(_REVIEWED_ORDER((*values, order_id))))
            new.add(order_id)
    for line_id, values in zip(line_ids, line_rows, strict=True):
        if values[0] in new:  # order_id
            fresh.lines.append(LineToReview._make(_REVIEWED_LINE((*values, line_id))))


_UPDATE_COLUMNS = ("status", "hold_reasons", "review_due", "updated_at", *_PLATFORM_FIELDS)
#: the columns an index or a count trigger reads; a newer copy that moves none of them (the common case: a refund
#: flag, a remark, a masked address) is stored by an UPDATE that leaves them out of its SET list, so SQLite neither
#: rewrites those indexes nor evaluates the triggers (both go by the SET list, not by the values)
_WATCHED = ("status", "hold_reasons", "review_due", "ship_by", "shipped_at")
_QUIET_COLUMNS = ("updated_at", *(name for name in _PLATFORM_FIELDS if name not in _WATCHED))
_quiet_values = itemgetter(*(name for name in _QUIET_COLUMNS if name != "updated_at"))


def _apply_updates(
    updates: list[tuple[dict[str, Any], CanonicalOrder, dict[str, Any]]],
    matcher: SkuMatcher,
    *,
    actor: Actor,
    now: datetime,
) -> list[EventRow]:
    """Store the newer copies, then let the platform's facts move our status; returns event rows.

    The statements are per batch, not per order: two UPDATE executemany for the orders (see ``_WATCHED``), one
    release and one consume for every order leaving a reserving status, one read of the lines that may need
    replacing. Only an order shipped from the back office before Kuaifa reserved anything takes its own stock moves.
    """
    events: list[EventRow] = []  # rows for OrderEvent, in EVENT_COLUMNS order
    rows: list[tuple[Any, ...]] = []  # full rows; ``quiet``: rows that leave the watched columns as they are
    quiet: list[tuple[Any, ...]] = []
    release: list[int] = []
    consume: list[int] = []
    tasks: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    unreserved_shipped: list[int] = []
    open_orders: dict[int, CanonicalOrder] = {}
    for row, order, columns in updates:
        order_id = row["id"]
        current = OrderStatus(row["status"])
        holds = tuple(HoldReason(r) for r in row["hold_reasons"])
        subject = ReviewSubject(order.order_sn, (), order.risk_control_status, order.ship_hold,
                                int(order.refund_status))  # fmt: skip
        change = rules.follow_platform(current, holds, order, platform_reasons(subject))
        facts = {"order_status": int(order.order_status), "refund_status": int(order.refund_status)}
        events.append((order_id, "platform_updated", current, current, actor.stored, facts, now))
        status = current
        for target in change.path:
            previous, status = status, transition(status, target, order_sn=order.order_sn)
            if previous in RESERVING and status == OrderStatus.SHIPPED:
                consume.append(order_id)
            elif status == OrderStatus.SHIPPED:  # shipped from the back office before Kuaifa reserved anything
                unreserved_shipped.append(order_id)
            elif previous in RESERVING:
                release.append(order_id)
            tasks["platform: " + ", ".join(change.hold_reasons or ["cancelled"])].append((order_id, previous, status))
            events.append((order_id, "status_changed", previous, status, actor.stored,
                           {"cause": "platform", "reasons": list(change.hold_reasons)}, now))  # fmt: skip
        if status in (OrderStatus.NEW, OrderStatus.ON_HOLD):
            open_orders[order_id] = order
        # a newer copy of a held order may have cleared what held it: review looks at it again
        hold_reasons, review_due = list(change.hold_reasons), status == OrderStatus.ON_HOLD
        watched = (status, hold_reasons, review_due, columns["ship_by"], columns["shipped_at"])
        if watched == (row["status"], row["hold_reasons"], row["review_due"], row["ship_by"], row["shipped_at"]):
            quiet.append((now, *_quiet_values(columns), order_id))
        else:
            rows.append((status, hold_reasons, review_due, now, *_platform_values(columns), order_id))
    note = "shipped outside Kuaifa (platform)"
    consume_for_orders(consume, actor=actor, now=now, note=note)
    release_for_orders(release, now=now)
    if unreserved_shipped:
        lines: dict[int, list[tuple[int, int]]] = {order_id: [] for order_id in unreserved_shipped}
        for order_id, sku_id, quantity in OrderLine.objects.filter(
            order_id__in=unreserved_shipped, sku__isnull=False
        ).values_list("order_id", "sku_id", "quantity"):
            lines[order_id].append((sku_id, quantity))
        for order_id, missing in take_out_unreserved(lines, actor=actor, now=now, note=note).items():
            events.append((order_id, "stock_unaccounted", "", "", actor.stored, {"missing": missing}, now))
    for reason, moves in tasks.items():
        open_tasks(moves, reason=reason, now=now)
    _replace_lines_if_changed(open_orders, matcher)
    update_rows(Order, _UPDATE_COLUMNS, rows, also='"version" = "version" + 1')
    update_rows(Order, _QUIET_COLUMNS, quiet, also='"version" = "version" + 1')
    return events


_LINE_KEY = ("goods_id", "platform_sku_id", "outer_id", "quantity", "unit_price")


def _replace_lines_if_changed(orders: dict[int, CanonicalOrder], matcher: SkuMatcher) -> None:
    """Not-yet-reserved orders whose items changed on the platform take the new items; history stays intact."""
    if not orders:
        return
    have: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for order_id, *key in OrderLine.objects.filter(order_id__in=list(orders)).values_list("order_id", *_LINE_KEY):
        have[order_id].append(tuple(key))
    changed = [
        order_id
        for order_id, order in orders.items()
        if sorted(have[order_id])
        != sorted((x.goods_id, x.platform_sku_id, x.outer_id, x.quantity, x.unit_price_fen) for x in order.lines)
    ]
    if not changed:
        return
    reserved = set(Reservation.objects.filter(order_id__in=changed).values_list("order_id", flat=True))
    replace = [order_id for order_id in changed if order_id not in reserved]
    if not replace:
        return
    OrderLine.objects.filter(order_id__in=replace).delete()
    OrderLine.objects.bulk_create(
        line for order_id in replace for line in _line_rows(order_id, orders[order_id], matcher)
    )
