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

import json
from array import array
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

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
from kuaifa.persistence import review_rows as store
from kuaifa.persistence.bundles import load_bundle_graph
from kuaifa.persistence.models import Order, Reservation
from kuaifa.persistence.review_rows import LineToReview, OrderToReview
from kuaifa.persistence.statements import bound, durable_atomic
from kuaifa.services.audit import EventRow
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


def _self_clearing(raw_reasons: Iterable[str]) -> bool:
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
        for sku_id, units in other.short_units.items():
            self.short_units[sku_id] += units


def candidate_ids(
    *, shop_id: int | None = None, only_held: bool = False, order_ids: Iterable[int] | None = None
) -> "array[int]":
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
    progress: Callable[[int], object] | None = None,
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


def _subject(row: OrderToReview, lines: Sequence[LineToReview]) -> ReviewSubject:
    return ReviewSubject(
        order_sn=row.order_sn,
        lines=tuple(ReviewLine(line.sku_id, line.quantity, line.unit_price) for line in lines),
        risk_control_status=row.risk_control_status,
        ship_hold=row.ship_hold,
        refund_status=row.refund_status,
        buyer_memo=row.buyer_memo,
        receiver_complete=bool(row.province and row.city and (row.receiver_address or row.receiver_address_mask)),
        pay_amount_fen=row.pay_amount,
        waived=frozenset(HoldReason(r) for r in row.waived_reasons),
    )


def _map_unmapped(lines: list[LineToReview], shop_of: Mapping[int, int]) -> list[LineToReview]:
    """Lines that mapped to nothing at intake may map now (the merchant added the SKU or the mapping): stored, and
    returned with their SKU."""
    loose = [line for line in lines if line.sku_id is None]
    if not loose:
        return lines
    by_code = store.sku_ids_by_code({x.outer_id for x in loose if x.outer_id})
    by_listing = {
        (row.shop_id, row.goods_id, row.platform_sku_id): row.sku_id
        for row in store.listings({x.goods_id for x in loose})
    }
    fixed: dict[int, list[int]] = defaultdict(list)
    found: dict[int, int] = {}
    for line in loose:
        sku_id = by_code.get(line.outer_id) or by_listing.get(
            (shop_of[line.order_id], line.goods_id, line.platform_sku_id)
        )
        if sku_id is not None:
            fixed[sku_id].append(line.id)
            found[line.id] = sku_id
    for sku_id, line_ids in fixed.items():
        store.map_lines(sku_id, line_ids)
    return [line._replace(sku_id=found[line.id]) if line.id in found else line for line in lines]


def _stock_slots(sku_ids: set[int], code_of: dict[int, str]) -> dict[int, list[StockSlot]]:
    """Lock and read the stock rows of these SKUs; slots per SKU in warehouse priority order. Their SKU codes go
    to ``code_of`` (a shortage is told by code)."""
    slots: dict[int, list[StockSlot]] = defaultdict(list)
    for row in sorted(store.stock_rows(sku_ids), key=lambda row: (row.priority, row.warehouse_id)):
        slots[row.sku_id].append(StockSlot(row.id, row.on_hand - row.reserved))
        code_of[row.sku_id] = row.code
    return dict(slots)


@lru_cache(maxsize=64)
def _parsed_rules(stored: str) -> tuple[RuleConfig, ...] | DomainError:
    """A shop's stored rules (JSON text) as the domain's rules, or why they cannot be read. A pure function of the
    text, so kept per text: the rules themselves are read in every review's transaction."""
    try:
        return parse_rules(json.loads(stored))
    except DomainError as error:  # one shop's broken rules hold that shop's orders, nobody else's
        return error
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        return DomainError("%(problem)s", problem=f"{type(error).__name__}: {error}")


@contextmanager
def _transaction(durable: bool) -> Iterator[None]:
    """Its own durable transaction, or the caller's joined (no savepoint), statements bound to it."""
    if durable:
        with durable_atomic():
            yield
    else:
        with transaction.atomic(savepoint=False), bound():
            yield


def review_chunk(order_ids: Sequence[int], *, actor: Actor, now: datetime, durable: bool = True) -> ReviewReport:
    """One transaction: review and allocate these orders (those still eligible once locked). ``durable=False``
    joins the caller's transaction instead (the one-order path: intake and review commit together)."""
    report = ReviewReport()
    with _transaction(durable):
        rows = [
            row
            for row in store.orders_to_review(order_ids)
            # checked again under the row lock: a person may have held the order since the candidates were listed
            if row.status == OrderStatus.NEW or _self_clearing(row.hold_reasons)
        ]
        if not rows:
            return report
        clear_due([row.id for row in rows if row.status == OrderStatus.ON_HOLD])
        lines = store.lines_of([row.id for row in rows])
        review_loaded(rows, lines, store.rules_of({row.shop_id for row in rows}), report, actor=actor, now=now)
    return report


def review_loaded(
    rows: Sequence[OrderToReview],
    lines: list[LineToReview],
    stored_rules: Mapping[int, str],
    report: ReviewReport,
    *,
    actor: Actor,
    now: datetime,
    events: Sequence[EventRow] = (),
    plain_skus: Collection[int] = (),
) -> None:
    """Review and allocate these orders, read (and on PostgreSQL locked) in the caller's transaction with their
    lines and their shops' stored rules; adds to ``report``. The one home of review's decisions, for a chunk of
    thousands and for a single order alike. ``events``: rows the caller recorded in this transaction, written
    with review's (one statement); ``plain_skus``: SKUs the caller read in this transaction as having no
    components (their bundle structure is not read again)."""
    lines = _map_unmapped(lines, {row.id: row.shop_id for row in rows})
    lines_by_order: dict[int, list[LineToReview]] = defaultdict(list)
    for line in lines:
        lines_by_order[line.order_id].append(line)

    held: dict[int, tuple[HoldReason, ...]] = {}
    problems: dict[int, dict[str, str]] = {}
    demands: list[Demand] = []
    bundles = load_bundle_graph({line.sku_id for line in lines if line.sku_id is not None}, plain=plain_skus)
    for row in rows:
        try:
            demand = _decide(row, lines_by_order[row.id], _parsed_rules(stored_rules[row.shop_id]), bundles, held)
        except (BundleCycle, BundleTooDeep) as error:
            held[row.id] = (HoldReason.BUNDLE_INVALID,)
            named = _named_by_code(error, lines_by_order[row.id], bundles)
            problems[row.id] = {"code": named.code, "message": named.message}
        except (DomainError, ValueError, KeyError, TypeError, AttributeError) as error:
            held[row.id] = (HoldReason.DATA_INVALID,)
            problems[row.id] = {"code": getattr(error, "code", type(error).__name__), "message": str(error)}
        else:
            if demand is not None:
                demands.append(demand)

    code_of: dict[int, str] = {}
    plan = allocate(demands, _stock_slots({line.sku_id for d in demands for line in d.lines}, code_of))
    for order_id, missing in plan.short.items():
        held[order_id] = (HoldReason.STOCK_INSUFFICIENT,)
        for sku_id, units in missing.items():
            report.short_units[sku_id] += units

    store.insert_reservations(
        [
            (r.order_id, r.line_id, r.stock_level_id, r.sku_id, r.quantity, Reservation.State.OPEN, now)
            for r in plan.reservations
        ]
    )
    store.add_reserved(plan.reserved_by_level())
    code_of |= store.sku_codes({sku for missing in plan.short.values() for sku in missing} - code_of.keys())
    short = {
        order: {code_of.get(sku, f"#{sku}"): n for sku, n in missing.items()} for order, missing in plan.short.items()
    }
    _write_outcomes(rows, set(plan.reserved_orders), held, short, problems, report, list(events), actor=actor, now=now)


def _named_by_code(
    error: DomainError, order_lines: Sequence[LineToReview], bundles: Mapping[int, Sequence[tuple[int, int]]]
) -> DomainError:
    """The same bundle problem with SKU codes instead of ids ("GIFT-SET → DUO → GIFT-SET"), for the person."""
    code_of = store.sku_codes(set(bundles) | {c for parts in bundles.values() for c, _ in parts})
    graph = {code_of.get(b, f"#{b}"): [(code_of.get(c, f"#{c}"), q) for c, q in parts] for b, parts in bundles.items()}
    for line in order_lines:
        if line.sku_id is not None:
            try:
                expand(code_of.get(line.sku_id, f"#{line.sku_id}"), line.quantity, graph)
            except (BundleCycle, BundleTooDeep) as named:
                return named
    return error


def _decide(
    row: OrderToReview,
    order_lines: Sequence[LineToReview],
    rules: tuple[RuleConfig, ...] | DomainError,
    bundles: Mapping[int, Sequence[tuple[int, int]]],
    held: dict[int, tuple[HoldReason, ...]],
) -> Demand | None:
    """One order's review and leaf demand; a held order is recorded in ``held`` and has no demand. Raises on
    broken data (the caller holds this order alone)."""
    if isinstance(rules, DomainError):
        raise rules
    outcome = review(_subject(row, order_lines), rules, explain=False)
    if not outcome.passed:
        held[row.id] = outcome.reasons
        return None
    # every line is mapped here: an unmapped line holds the order (sku_unmapped is mandatory, never waived)
    mapped = ((line.id, line.sku_id, line.quantity) for line in order_lines if line.sku_id is not None)
    return Demand(row.id, row.order_sn, row.ship_by, row.paid_at, expand_bundles(mapped, bundles))


def _write_outcomes(
    rows: Sequence[OrderToReview],
    accepted: set[int],
    held: Mapping[int, tuple[HoldReason, ...]],
    short: Mapping[int, dict[str, int]],
    problems: Mapping[int, dict[str, str]],
    report: ReviewReport,
    events: list[EventRow],
    *,
    actor: Actor,
    now: datetime,
) -> None:
    by_reasons: dict[tuple[HoldReason, ...], list[int]] = defaultdict(list)
    accepted_ids: list[int] = []
    for row in rows:
        order_id, current = row.id, OrderStatus(row.status)
        report.reviewed += 1
        if order_id in accepted:
            target = transition(current, OrderStatus.ACCEPTED, order_sn=row.order_sn)
            events.append((order_id, "reviewed", current, target, actor.stored, {}, now))
            accepted_ids.append(order_id)
            report.accepted += 1
            continue
        reasons = held[order_id]
        report.held += 1
        for reason in reasons:
            report.reasons[reason] += 1
        if current == OrderStatus.ON_HOLD and tuple(row.hold_reasons) == reasons:
            continue  # still held for the same reasons: nothing changed, nothing to record
        target = transition(current, OrderStatus.ON_HOLD, order_sn=row.order_sn)
        details: dict[str, object] = {"reasons": list(reasons)}
        if order_id in short:
            details["missing"] = short[order_id]
        if order_id in problems:
            details["problem"] = problems[order_id]
        events.append((order_id, "reviewed", current, target, actor.stored, details, now))
        by_reasons[reasons].append(order_id)
    store.set_status(accepted_ids, OrderStatus.ACCEPTED, [], now)
    for reasons, ids in by_reasons.items():
        store.set_status(ids, OrderStatus.ON_HOLD, list(reasons), now)
    store.insert_events(events)
