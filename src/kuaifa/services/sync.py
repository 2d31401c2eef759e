"""Order sync from a sales platform: every order exactly once, resumable anywhere.

Incremental sync walks ``updated_at`` windows of at most 30 minutes, each ending no later than the platform's
clock minus 3 minutes (orders still being written there are not yet visible) and starting 10 minutes before the
previous window ended, so an order written late into an earlier window is still caught. One window is one
transaction: its orders, the cursor advance and the log row commit together, so a crash anywhere loses nothing
(the window is fetched again) and duplicates nothing (upserts are idempotent, newest copy wins). An order that
cannot be mapped is set aside raw in the quarantine in that same transaction (``services.quarantine``): it never
stops its window, and a later copy that maps resolves it. A fetched copy we already hold (the stored order has the
same platform ``updated_at`` or a newer one) is left out before it is mapped (:class:`HeldOrders`).

Backfill and the daily reconciliation read orders by confirm (成交) time in 24 h windows; reconciliation counts
and repairs what increments missed. Network calls happen outside transactions.
"""

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Generic, NamedTuple, Protocol, TypeVar

from django.db import IntegrityError, transaction

from kuaifa.domain.orders.canonical import CanonicalOrder
from kuaifa.domain.platform import CallFailure, Fetched, PlatformError, SalesPlatform
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.bulk import fetch as fetch_rows
from kuaifa.persistence.bulk import in_list
from kuaifa.persistence.models import Order, PlatformCallFailure, QuarantinedRecord, Shop, SyncCursor, SyncLog
from kuaifa.persistence.statements import Insert, Kind, Statement, select_from
from kuaifa.services.errors import InvalidInput
from kuaifa.services.intake import IngestReport, upsert_orders
from kuaifa.services.quarantine import resolve_mapped, set_aside

ORDERS = "orders"
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class StoreCounts(Protocol):
    """What a store step reports (an IngestReport, a CaseReport): how many records it created and updated."""

    @property
    def created(self) -> int: ...

    @property
    def updated(self) -> int: ...


T = TypeVar("T")  # a record of the stream (a CanonicalOrder, a CanonicalCase)
R = TypeVar("R", bound=StoreCounts)


@dataclass(frozen=True)
class SyncSettings:
    window: timedelta = timedelta(minutes=30)
    overlap: timedelta = timedelta(minutes=10)
    settle: timedelta = timedelta(minutes=3)  # window end ≤ platform time − settle
    first_lookback: timedelta = timedelta(days=1)  # where a shop's first sync starts
    min_advance: timedelta = timedelta(minutes=1)  # at the live edge, wait until a window gains at least this
    catch_up_group: int = 4  # behind the live edge, this many windows are fetched, then committed together


DEFAULTS = SyncSettings()


@dataclass
class SyncReport:
    windows: int = 0
    fetched: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)
    caught_up: bool = False
    position: datetime | None = None
    quarantined_keys: set[str] = field(default_factory=set)  # records that could not be mapped, set aside
    skipped: int = 0  # copies fetched that we already held, left out before mapping

    @property
    def quarantined(self) -> int:
        return len(self.quarantined_keys)


def log_window(shop: Shop, stream: str, start: datetime, end: datetime, *, now: datetime, seconds: float,
         fetched: int = 0, report: StoreCounts | None = None, error: PlatformError | None = None) -> None:  # fmt: skip
    _INSERT_LOGS.run([_log_values(shop, stream, start, end, now=now, seconds=seconds, fetched=fetched, report=report,
                                  error=error)])  # fmt: skip


_LOG_COLUMNS = ("shop_id", "stream", "window_start", "window_end", "fetched", "created", "updated", "error_code",
                "error", "rate_limited", "seconds", "created_at")  # fmt: skip
_INSERT_LOGS = Insert(SyncLog, _LOG_COLUMNS)


def _log_values(shop: Shop, stream: str, start: datetime, end: datetime, *, now: datetime, seconds: float,
                fetched: int = 0, report: StoreCounts | None = None,
                error: PlatformError | None = None) -> tuple[object, ...]:  # fmt: skip
    """A SyncLog row in :data:`_LOG_COLUMNS` order (one INSERT writes a group's rows)."""
    return (shop.id, stream, start, end, fetched, report.created if report else 0, report.updated if report else 0,
            error.code if error else "", error.message[:2000] if error else "",
            int(bool(error and error.code == "platform.rate_limited")), seconds, now)  # fmt: skip


def record_call_failures(shop: Shop, failures: Iterable[CallFailure], *, now: datetime) -> int:
    """Persist the failed platform calls an adapter reported, also those a retry got through: sync health counts
    them by API and code."""
    rows = [
        PlatformCallFailure(
            shop=shop,
            api=f.api[:64],
            code=f.code[:32],
            message=f.message,
            retried=f.retried,
            rate_limited=f.rate_limited,
            occurred_at=now,
        )
        for f in failures
    ]
    with transaction.atomic():
        PlatformCallFailure.objects.bulk_create(rows)
    return len(rows)


class _Position(NamedTuple):
    position: datetime


_CURSOR = select_from(SyncCursor, _Position, "shop_id = %s AND stream = %s")
_MOVE_CURSOR = Statement(
    "UPDATE kuaifa_synccursor SET position = %s, updated_at = %s WHERE shop_id = %s AND stream = %s AND position = %s",
    params=(Kind.TIME, Kind.TIME, None, None, Kind.TIME),
)


def cursor_position(shop: Shop, stream: str) -> datetime | None:
    """Where the shop's ``stream`` stands: the end of the last window committed, None before its first sync."""
    row = _CURSOR.first(shop.id, stream)
    return None if row is None else row.position


def advance_cursor(shop: Shop, stream: str, expected: datetime | None, end: datetime, *, now: datetime) -> bool:
    """Move the cursor from ``expected`` to ``end`` inside the caller's transaction; False when another sync of
    the same shop and stream moved it (or created it) first — the caller then rolls its window back."""
    if expected is not None:
        return bool(_MOVE_CURSOR.run(end, now, shop.id, stream, expected))
    try:
        with transaction.atomic():  # a savepoint: a concurrent first sync may have created the cursor
            SyncCursor.objects.create(shop=shop, stream=stream, position=end, updated_at=now)
    except IntegrityError:
        return False
    return True


def next_window(
    position: datetime | None, platform_now: datetime, settings: SyncSettings
) -> tuple[datetime, datetime] | None:
    """The next window to fetch after ``position`` (the last committed window end), or None when caught up.

    Windows are whole seconds (the API's unit) and must move the cursor on by at least ``min_advance``, so a sync
    at the live edge stops instead of fetching ever thinner slivers.
    """
    limit = (platform_now - settings.settle).replace(microsecond=0)
    start = platform_now - settings.first_lookback if position is None else position - settings.overlap
    start = start.replace(microsecond=0)
    end = min(start + settings.window, limit)
    if position is not None and end < position + settings.min_advance:
        return None
    return start, end


@dataclass(frozen=True)
class Window(Generic[R]):
    """Stored windows: what the store step reported, how many items came, where the cursor now stands."""

    report: R
    fetched: int
    end: datetime | None  # None: another sync of this shop moved the cursor first, these windows were dropped
    quarantined: frozenset[str] = frozenset()  # keys of the records set aside
    windows: int = 1
    skipped: int = 0  # records left out before mapping: already held


def _newest(items: list[T], key: Callable[[T], tuple[str, datetime | None]]) -> list[T]:
    """One copy per platform key, the newest (overlapping windows of a group return some records twice)."""
    newest: dict[str, tuple[T, datetime]] = {}
    for item in items:
        name, updated_at = key(item)
        moment = updated_at or _EARLIEST
        if name not in newest or moment >= newest[name][1]:
            newest[name] = (item, moment)
    return [item for item, _ in newest.values()]


def run_window(shop: Shop, platform: SalesPlatform, stream: str, fetch: Callable[[datetime, datetime], Fetched[T]],
               store: Callable[[list[T]], R], key: Callable[[T], tuple[str, datetime | None]], *, now: datetime,
               settings: SyncSettings = DEFAULTS, group: int = 1) -> Window[R] | None:  # fmt: skip
    """Fetch the next windows of ``stream`` (``fetch(start, end)``, outside any transaction; up to ``group`` of
    them when behind), then in one transaction store what mapped (``store(items)``), set aside what did not
    (quarantine, resolving earlier unreadable copies of what now mapped, ``key(item)`` naming each), advance the
    cursor to the last window's end and log each window. None when caught up.

    A group commits as one: the cursor is never ahead of what is stored. A fetch that fails mid-group commits the
    windows fetched before it, then logs the failure and raises.
    """
    cursor = cursor_position(shop, stream)
    platform_now = platform.platform_now()
    taken: list[tuple[datetime, datetime, Fetched[T], float]] = []
    position: datetime | None = cursor
    failure: tuple[datetime, datetime, PlatformError, float] | None = None
    while len(taken) < max(group, 1):
        window = next_window(position, platform_now, settings)
        if window is None:
            break
        start, end = window
        began = time.perf_counter()
        try:
            taken.append((start, end, fetch(start, end), time.perf_counter() - began))
        except PlatformError as error:
            failure = (start, end, error, time.perf_counter() - began)
            break
        position = end
    done = _commit(shop, stream, cursor, taken, store, key, now=now) if taken else None
    if failure is not None:
        start, end, failed, seconds = failure
        with transaction.atomic(durable=True):
            log_window(shop, stream, start, end, now=now, seconds=seconds, error=failed)
        raise failed
    return done


def _commit(shop: Shop, stream: str, cursor: datetime | None, taken: list[tuple[datetime, datetime, Fetched[T], float]],
            store: Callable[[list[T]], R], key: Callable[[T], tuple[str, datetime | None]], *,
            now: datetime) -> Window[R]:  # fmt: skip
    items = _newest([item for _, _, fetched, _ in taken for item in fetched.items], key)
    unmapped = {record.key: record for _, _, fetched, _ in taken for record in fetched.unmapped}
    end = taken[-1][1]
    with transaction.atomic(durable=True):
        report = store(items)
        set_aside(shop, stream, unmapped.values(), source="sync", now=now)
        resolve_mapped(shop, stream, [key(item) for item in items], now=now)
        if not advance_cursor(shop, stream, cursor, end, now=now):
            transaction.set_rollback(True)  # another sync of this shop committed first: these windows are dropped
            return Window(report, 0, None, windows=0)
        _INSERT_LOGS.run([
            _log_values(shop, stream, start, window_end, now=now, seconds=seconds, fetched=len(fetched),
                        report=report if index == len(taken) - 1 else None)
            for index, (start, window_end, fetched, seconds) in enumerate(taken)
        ])  # fmt: skip
    fetched_count = sum(len(fetched) for _, _, fetched, _ in taken)
    skipped = sum(fetched.skipped for _, _, fetched, _ in taken)
    return Window(report, fetched_count, end, frozenset(unmapped), windows=len(taken), skipped=skipped)


def order_key(order: CanonicalOrder) -> tuple[str, datetime | None]:
    return order.order_sn, order.updated_at


_HELD_CHUNK = 1000


class HeldOrders:
    """Which fetched copies of a shop's orders a sync needs no more (a :data:`HeldCopies` for the adapter): those
    whose stored order has the same platform ``updated_at`` or a newer one, and those an earlier window of the same
    group already brought. They are not mapped, fingerprinted or upserted: upsert would find them unchanged or
    stale. One query per window (per 1,000 order numbers).

    Still processed as before: orders we do not hold, orders whose stored copy is older, orders stored without a
    platform time (from an export file), and every order with an open quarantine row (a copy of it could not be
    read: a copy that maps must resolve it). The read runs outside the window's transaction; a concurrent writer
    can only make the stored copy newer, which makes the skipped copy stale anyway.

    A copy unchanged on the platform is therefore not mapped again after an upgrade of the mapping; reconciliation
    (:func:`reconcile_orders`) maps everything it reads.
    """

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.brought: dict[str, datetime | None] = {}

    def __call__(self, copies: Sequence[tuple[str, datetime]]) -> set[str]:
        held = set()
        ask: list[tuple[str, datetime]] = []
        for order_sn, moment in copies:
            brought = self.brought.get(order_sn, _EARLIEST)
            if brought is not None and moment <= brought:
                held.add(order_sn)
            else:
                ask.append((order_sn, moment))
        order_table, quarantine = Order._meta.db_table, QuarantinedRecord._meta.db_table
        for start in range(0, len(ask), _HELD_CHUNK):
            chunk = dict(ask[start : start + _HELD_CHUNK])
            where, params = in_list("order_sn", chunk)
            rows = fetch_rows(
                Order, ("order_sn", "platform_updated_at"),
                f"shop_id = %s AND platform_updated_at IS NOT NULL AND {where} AND NOT EXISTS (SELECT 1 FROM "
                f"{quarantine} q WHERE q.shop_id = {order_table}.shop_id AND q.stream = %s AND "
                f"q.platform_key = {order_table}.order_sn AND q.resolved_at IS NULL)",
                [self.shop.id, *params, ORDERS],
            )  # fmt: skip
            held |= {row["order_sn"] for row in rows if chunk[row["order_sn"]] <= row["platform_updated_at"]}
        return held

    def note(self, orders: Iterable[CanonicalOrder]) -> None:
        """Copies a window brought and mapped: a later window of the group skips the same copies."""
        for order in orders:
            brought = self.brought.get(order.order_sn, _EARLIEST)
            if brought is not None and (order.updated_at is None or order.updated_at > brought):
                self.brought[order.order_sn] = order.updated_at


def sync_orders_window(
    shop: Shop, platform: SalesPlatform, *, actor: Actor, now: datetime, settings: SyncSettings = DEFAULTS,
    group: int = 1,
) -> SyncReport | None:  # fmt: skip
    """Fetch and store the next window of orders (up to ``group`` windows, committed together); None when the
    cursor is already at the platform's settled present. Copies already held are left out before mapping
    (:class:`HeldOrders`)."""
    held = HeldOrders(shop)

    def fetch(start: datetime, end: datetime) -> Fetched[CanonicalOrder]:
        fetched = platform.orders_updated(start, end, held=held)
        held.note(fetched.items)
        return fetched

    done = run_window(
        shop, platform, ORDERS, fetch,
        lambda orders: upsert_orders(shop, orders, source=Order.Source.API, actor=actor, now=now), order_key,
        now=now, settings=settings, group=group,
    )  # fmt: skip
    if done is None:
        return None
    if done.end is None:
        return SyncReport()
    return SyncReport(windows=done.windows, fetched=done.fetched, ingest=done.report, position=done.end,
                      quarantined_keys=set(done.quarantined), skipped=done.skipped)  # fmt: skip


def sync_orders(
    shop: Shop, platform: SalesPlatform, *, actor: Actor, clock: Callable[[], datetime],
    settings: SyncSettings = DEFAULTS, max_windows: int | None = None,
) -> SyncReport:  # fmt: skip
    """Sync window after window until caught up (or ``max_windows``), committing ``settings.catch_up_group``
    windows at a time while behind; ``clock()`` gives the local time."""
    total = SyncReport()
    while max_windows is None or total.windows < max_windows:
        group = settings.catch_up_group if max_windows is None else min(settings.catch_up_group,
                                                                        max_windows - total.windows)  # fmt: skip
        step = sync_orders_window(shop, platform, actor=actor, now=clock(), settings=settings, group=group)
        if step is None:
            total.caught_up = True
            break
        total.windows += step.windows
        total.fetched += step.fetched
        total.ingest.add(step.ingest)
        total.position = step.position
        total.quarantined_keys |= step.quarantined_keys
        total.skipped += step.skipped
    return total


@dataclass
class ReconcileReport:
    windows: int = 0
    checked: int = 0
    missing: list[str] = field(default_factory=list)  # orders the platform has and we did not
    changed: int = 0  # orders we held an older copy of
    ingest: IngestReport = field(default_factory=IngestReport)
    quarantined_keys: set[str] = field(default_factory=set)  # orders that could not be mapped, set aside

    @property
    def quarantined(self) -> int:
        return len(self.quarantined_keys)


def _confirm_windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    step = timedelta(hours=24)
    while start < end:
        yield start, min(start + step, end)
        start += step


def reconcile_orders(
    shop: Shop, platform: SalesPlatform, start: datetime, end: datetime, *, actor: Actor, now: datetime
) -> ReconcileReport:
    """Compare every order confirmed in [start, end) with what we hold; store what was missing or older.

    Backfill is the same walk over a longer range (at most 90 days: the platform keeps no older orders).
    """
    if end <= start:
        raise InvalidInput(field="--to", reason=Text("the end must be after the start"))
    if end - start > timedelta(days=90):
        raise InvalidInput(field="--from", reason=Text("the platform serves orders of the last 90 days only"))
    try:
        return _reconcile(shop, platform, start, end, actor=actor, now=now)
    finally:
        record_call_failures(shop, platform.call_failures(), now=now)


def _reconcile(shop: Shop, platform: SalesPlatform, start: datetime, end: datetime, *, actor: Actor,
               now: datetime) -> ReconcileReport:  # fmt: skip
    result = ReconcileReport()
    for window_start, window_end in _confirm_windows(start, end):
        fetched = platform.orders_confirmed(window_start, window_end)
        orders = fetched.items
        known = set(
            Order.objects.filter(shop=shop, order_sn__in=[o.order_sn for o in orders]).values_list(
                "order_sn", flat=True
            )
        )
        with transaction.atomic(durable=True):
            report = upsert_orders(shop, orders, source=Order.Source.API, actor=actor, now=now)
            set_aside(shop, ORDERS, fetched.unmapped, source="backfill", now=now)
            resolve_mapped(shop, ORDERS, [order_key(order) for order in orders], now=now)
            log_window(
                shop, "reconcile", window_start, window_end, now=now, seconds=0, fetched=len(fetched), report=report
            )
        result.windows += 1
        result.checked += len(fetched)
        result.quarantined_keys |= {record.key for record in fetched.unmapped}
        result.missing += sorted(o.order_sn for o in orders if o.order_sn not in known)
        result.changed += report.updated
        result.ingest.add(report)
    return result
