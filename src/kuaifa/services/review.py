"""Review and allocate (审单 + 占库存) in batches.

Candidates are new orders and orders held only for reasons that clear by themselves (stock, SKU mapping, platform
flags). They are taken most urgent first (ship-by, payment time, order number) in chunks; each chunk is one
transaction: load orders, lines, rules, bundles and stock rows with a handful of queries (stock rows locked), decide
in the domain, write statuses, reservations and events in bulk. Chunks run in deadline order, so the earliest
deadlines are served first across the whole run. Concurrent reviewers never oversell: see ``services.locking``.

Two overlapping reviews still serve the earliest deadline first across both. PostgreSQL: a run takes the review lock
(a session advisory lock held across its chunks) before it lists its candidates, so runs never interleave. SQLite:
writers are serialised and each chunk sees every earlier commit, which keeps the same order.

One order's broken data never stops the run: an order whose bundle cannot be expanded (``bundle_invalid``) or whose
stored data cannot be reviewed (``data_invalid``) is held with that reason and the problem in its event; every other
order is reviewed.
"""

from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F

from kuaifa.domain.inventory.allocation import Demand, StockSlot, allocate, expand_bundles
from kuaifa.domain.inventory.bundles import BundleCycle, BundleTooDeep, expand
from kuaifa.domain.orders.intake import only_self_clearing
from kuaifa.domain.orders.review import (
    HoldReason,
    ReviewLine,
    ReviewSubject,
    RuleConfig,
    parse_rules,
    review,
)
from kuaifa.domain.orders.status import OrderStatus, transition
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError
from kuaifa.persistence.bulk import insert_rows
from kuaifa.persistence.models import (
    Order,
    OrderEvent,
    OrderLine,
    PlatformSku,
    Reservation,
    Shop,
    Sku,
    StockLevel,
)
from kuaifa.persistence.queries import bundle_components
from kuaifa.services.audit import EVENT_COLUMNS
from kuaifa.services.locking import add_reserved, lock_levels
from kuaifa.services.review_due import candidates_filter, clear_due

CHUNK = 5000
#: pg_advisory_lock key of a review run (any constant shared by every reviewer)
REVIEW_LOCK_KEY = 0x6B7566_726576


@contextmanager
def review_lock() -> Iterator[None]:
    """Hold the review lock for a whole run (several transactions). PostgreSQL: a session advisory lock, released
    when the run ends or its connection closes. SQLite: nothing to take, writers are serialised by the database."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [REVIEW_LOCK_KEY])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [REVIEW_LOCK_KEY])


def _self_clearing(raw_reasons) -> bool:
    """A stored hold review may lift; a reason this version does not know is left for a person."""
    try:
        return only_self_clearing(tuple(HoldReason(r) for r in raw_reasons))
    except ValueError:
        return False


@dataclass
class ReviewReport:
    reviewed: int = 0
    accepted: int = 0
    held: int = 0
    reasons: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    short_units: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # sku_id → units missing

    def add(self, other: "ReviewReport") -> None:
        self.reviewed += other.reviewed
        self.accepted += other.accepted
        self.held += other.held
        for key, count in other.reasons.items():
            self.reasons[key] += count
        for key, count in other.short_units.items():
            self.short_units[key] += count


_ORDER_FIELDS = ("id", "shop_id", "order_sn", "status", "hold_reasons", "waived_reasons", "ship_by", "paid_at",
                 "risk_control_status", "ship_hold", "refund_status", "buyer_memo", "province", "city",
                 "receiver_address", "receiver_address_mask", "pay_amount")  # fmt: skip


def candidate_ids(*, shop_id: int | None = None, only_held: bool = False, order_ids: Iterable[int] | None = None):
    """Orders review may act on, most urgent first: new orders and held ones marked due (services.review_due)."""
    if order_ids is not None:  # named orders (a person asked): reviewed whether marked due or not
        statuses = [OrderStatus.ON_HOLD] if only_held else [OrderStatus.NEW, OrderStatus.ON_HOLD]
        query = Order.objects.filter(status__in=statuses, id__in=list(order_ids))
    else:
        query = Order.objects.filter(candidates_filter(only_held=only_held))
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    rows = query.order_by(F("ship_by").asc(nulls_last=True), F("paid_at").asc(nulls_last=True), "order_sn")
    return array(
        "q",
        (  # streamed: only the ids are kept, 8 bytes each
            order_id
            for order_id, status, reasons in rows.values_list("id", "status", "hold_reasons").iterator(chunk_size=5000)
            if status == OrderStatus.NEW or _self_clearing(reasons)
        ),
    )


def review_orders(
    *,
    actor: Actor,
    now: datetime,
    shop_id: int | None = None,
    only_held: bool = False,
    order_ids: Iterable[int] | None = None,
    chunk: int = CHUNK,
    progress=None,
) -> ReviewReport:
    """Review and allocate every candidate under the review lock; ``progress(n)`` is called after each chunk with
    its size."""
    report = ReviewReport()
    with review_lock():
        ids = candidate_ids(shop_id=shop_id, only_held=only_held, order_ids=order_ids)
        for start in range(0, len(ids), chunk):
            part = list(ids[start : start + chunk])
            report.add(review_chunk(part, actor=actor, now=now))
            if progress is not None:
                progress(len(part))
    return report


def _subject(row: dict, lines: list[dict]) -> ReviewSubject:
    return ReviewSubject(
        order_sn=row["order_sn"],
        lines=tuple(ReviewLine(line["sku_id"], line["quantity"], line["unit_price"]) for line in lines),
        risk_control_status=row["risk_control_status"],
        ship_hold=row["ship_hold"],
        refund_status=row["refund_status"],
        buyer_memo=row["buyer_memo"],
        receiver_complete=bool(
            row["province"] and row["city"] and (row["receiver_address"] or row["receiver_address_mask"])
        ),
        pay_amount_fen=row["pay_amount"],
        waived=frozenset(HoldReason(r) for r in row["waived_reasons"]),
    )


def _map_unmapped(lines: list[dict], shop_of: dict[int, int]) -> None:
    """Lines that mapped to nothing at intake may map now (the merchant added the SKU or the mapping)."""
    loose = [line for line in lines if line["sku_id"] is None]
    if not loose:
        return
    by_code = dict(
        Sku.objects.filter(code__in={x["outer_id"] for x in loose if x["outer_id"]}).values_list("code", "id")
    )
    by_listing = {
        (shop, g, s): sku
        for shop, g, s, sku in PlatformSku.objects.filter(goods_id__in={x["goods_id"] for x in loose}).values_list(
            "shop_id", "goods_id", "platform_sku_id", "sku_id"
        )
    }
    fixed: dict[int, list[int]] = defaultdict(list)
    for line in loose:
        sku_id = by_code.get(line["outer_id"]) or by_listing.get(
            (shop_of[line["order_id"]], line["goods_id"], line["platform_sku_id"])
        )
        if sku_id is not None:
            line["sku_id"] = sku_id
            fixed[sku_id].append(line["id"])
    for sku_id, line_ids in fixed.items():
        OrderLine.objects.filter(id__in=line_ids).update(sku_id=sku_id)


def _stock_slots(sku_ids: set[int]) -> dict[int, list[StockSlot]]:
    """Lock and read the stock rows of these SKUs; slots per SKU in warehouse priority order."""
    levels = list(
        StockLevel.objects.filter(sku_id__in=sku_ids).values_list("id", "warehouse__priority", "warehouse_id")
    )
    locked = {row["id"]: row for row in lock_levels(level_id for level_id, _, _ in levels)}
    slots: dict[int, list[StockSlot]] = defaultdict(list)
    for level_id, _, _ in sorted(levels, key=lambda x: (x[1], x[2])):
        row = locked[level_id]
        slots[row["sku_id"]].append(StockSlot(level_id, row["on_hand"] - row["reserved"]))
    return dict(slots)


def review_chunk(order_ids: list[int], *, actor: Actor, now: datetime, durable: bool = True) -> ReviewReport:
    """One transaction: review and allocate these orders (those still eligible once locked). ``durable=False``
    joins the caller's transaction instead (the one-order path: intake and review commit together)."""
    report = ReviewReport()
    with transaction.atomic(durable=durable, savepoint=False):
        query = Order.objects.filter(id__in=order_ids, status__in=[OrderStatus.NEW, OrderStatus.ON_HOLD])
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True, of=("self",))
        rows = [
            row
            for row in query.values(*_ORDER_FIELDS)
            # checked again under the row lock: a person may have held the order since the candidates were listed
            if row["status"] == OrderStatus.NEW or _self_clearing(row["hold_reasons"])
        ]
        if not rows:
            return report
        clear_due(row["id"] for row in rows if row["status"] == OrderStatus.ON_HOLD)
        lines_by_order: dict[int, list[dict]] = defaultdict(list)
        lines = list(
            OrderLine.objects.filter(order_id__in=[r["id"] for r in rows]).values(
                "id", "order_id", "sku_id", "quantity", "unit_price", "outer_id", "goods_id", "platform_sku_id"
            )
        )
        _map_unmapped(lines, {r["id"]: r["shop_id"] for r in rows})
        for line in lines:
            lines_by_order[line["order_id"]].append(line)
        rules_of: dict[int, tuple[RuleConfig, ...] | DomainError] = {}
        for shop_id, raw in Shop.objects.filter(id__in={r["shop_id"] for r in rows}).values_list("id", "review_rules"):
            try:
                rules_of[shop_id] = parse_rules(raw)
            except DomainError as error:  # one shop's broken rules hold that shop's orders, nobody else's
                rules_of[shop_id] = error
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                rules_of[shop_id] = DomainError("%(problem)s", problem=f"{type(error).__name__}: {error}")

        held: dict[int, tuple[HoldReason, ...]] = {}
        problems: dict[int, dict[str, str]] = {}
        demands: list[Demand] = []
        sku_ids = {line["sku_id"] for line in lines if line["sku_id"] is not None}
        bundles = bundle_components(sku_ids)
        for row in rows:
            try:
                demand = _decide(row, lines_by_order[row["id"]], rules_of[row["shop_id"]], bundles, held)
            except (BundleCycle, BundleTooDeep) as error:
                held[row["id"]] = (HoldReason.BUNDLE_INVALID,)
                named = _named_by_code(error, lines_by_order[row["id"]], bundles)
                problems[row["id"]] = {"code": named.code, "message": named.message}
            except (DomainError, ValueError, KeyError, TypeError, AttributeError) as error:
                held[row["id"]] = (HoldReason.DATA_INVALID,)
                problems[row["id"]] = {"code": getattr(error, "code", type(error).__name__), "message": str(error)}
            else:
                if demand is not None:
                    demands.append(demand)

        plan = allocate(demands, _stock_slots({line.sku_id for d in demands for line in d.lines}))
        for order_id, missing in plan.short.items():
            held[order_id] = (HoldReason.STOCK_INSUFFICIENT,)
            for sku_id, units in missing.items():
                report.short_units[sku_id] += units

        insert_rows(
            Reservation,
            ("order_id", "line_id", "stock_level_id", "sku_id", "quantity", "state", "created_at"),
            (
                (r.order_id, r.line_id, r.stock_level_id, r.sku_id, r.quantity, Reservation.State.OPEN, now)
                for r in plan.reservations
            ),
        )
        add_reserved(plan.reserved_by_level())
        short_skus = {sku for missing in plan.short.values() for sku in missing}
        code_of = dict(Sku.objects.filter(id__in=short_skus).values_list("id", "code")) if short_skus else {}
        short = {
            order: {code_of.get(sku, f"#{sku}"): n for sku, n in missing.items()}
            for order, missing in plan.short.items()
        }
        _write_outcomes(rows, set(plan.reserved_orders), held, short, problems, report, actor=actor, now=now)
    return report


def _named_by_code(
    error: DomainError, order_lines: list[dict], bundles: dict[int, list[tuple[int, int]]]
) -> DomainError:
    """The same bundle problem with SKU codes instead of ids ("GIFT-SET → DUO → GIFT-SET"), for the person."""
    ids = set(bundles) | {c for parts in bundles.values() for c, _ in parts}
    code_of = dict(Sku.objects.filter(id__in=ids).values_list("id", "code"))
    graph = {code_of.get(b, f"#{b}"): [(code_of.get(c, f"#{c}"), q) for c, q in parts] for b, parts in bundles.items()}
    for line in order_lines:
        if line["sku_id"] is not None:
            try:
                expand(code_of.get(line["sku_id"], f"#{line['sku_id']}"), line["quantity"], graph)
            except (BundleCycle, BundleTooDeep) as named:
                return named
    return error


def _decide(
    row: dict,
    order_lines: list[dict],
    rules: tuple[RuleConfig, ...] | DomainError,
    bundles: dict[int, list[tuple[int, int]]],
    held: dict[int, tuple[HoldReason, ...]],
) -> Demand | None:
    """One order's review and leaf demand; a held order is recorded in ``held`` and has no demand. Raises on
    broken data (the caller holds this order alone)."""
    if isinstance(rules, DomainError):
        raise rules
    outcome = review(_subject(row, order_lines), rules, explain=False)
    if not outcome.passed:
        held[row["id"]] = outcome.reasons
        return None
    demand_lines = expand_bundles(((line["id"], line["sku_id"], line["quantity"]) for line in order_lines), bundles)
    return Demand(row["id"], row["order_sn"], row["ship_by"], row["paid_at"], demand_lines)


def _write_outcomes(
    rows,
    accepted: set[int],
    held: dict[int, tuple[HoldReason, ...]],
    short,
    problems: dict[int, dict[str, str]],
    report: ReviewReport,
    *,
    actor: Actor,
    now: datetime,
) -> None:
    events: list[tuple] = []  # rows for OrderEvent, in EVENT_COLUMNS order
    by_reasons: dict[tuple[HoldReason, ...], list[int]] = defaultdict(list)
    for row in rows:
        order_id, current = row["id"], OrderStatus(row["status"])
        report.reviewed += 1
        if order_id in accepted:
            target = transition(current, OrderStatus.ACCEPTED, order_sn=row["order_sn"])
            events.append((order_id, "reviewed", current, target, actor.stored, {}, now))
            report.accepted += 1
            continue
        reasons = held[order_id]
        report.held += 1
        for reason in reasons:
            report.reasons[reason] += 1
        if current == OrderStatus.ON_HOLD and tuple(row["hold_reasons"]) == reasons:
            continue  # still held for the same reasons: nothing changed, nothing to record
        target = transition(current, OrderStatus.ON_HOLD, order_sn=row["order_sn"])
        details: dict = {"reasons": list(reasons)}
        if order_id in short:
            details["missing"] = short[order_id]
        if order_id in problems:
            details["problem"] = problems[order_id]
        events.append((order_id, "reviewed", current, target, actor.stored, details, now))
        by_reasons[reasons].append(order_id)
    if accepted:
        Order.objects.filter(id__in=accepted).update(
            status=OrderStatus.ACCEPTED, hold_reasons=[], version=F("version") + 1, updated_at=now
        )
    for reasons, ids in by_reasons.items():
        Order.objects.filter(id__in=ids).update(
            status=OrderStatus.ON_HOLD, hold_reasons=list(reasons), version=F("version") + 1, updated_at=now
        )
    insert_rows(OrderEvent, EVENT_COLUMNS, events)
