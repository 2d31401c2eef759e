"""Order counts kept by the database: what the dashboard and the navigation badges read instead of the orders.

Why triggers (migration ``0015_order_counts``) rather than each service adding to the counts: an order's status,
hold reasons and shipping time are written by a dozen services, in bulk ``UPDATE``s as well as one by one (intake,
review, holds, waves, packing, shipping, interception, after-sales, tracking, stocktake), and later by code not yet
written. A trigger sees every one of those writes, in the same transaction, whoever makes it, so the counts cannot
drift from the orders; a service cannot forget it. On PostgreSQL the triggers run once per statement and only append
signed deltas to a table with no index but its id (never update a shared row), so concurrent writers never wait on
each other for a count; the worker folds the deltas into the counts (``fold``). SQLite has one writer at a time and
row triggers only, so there each written order row adds to its counts directly. A count at any moment is its folded
``n`` plus its deltas: every read adds both, in one statement.

Kinds: ``status`` (orders by status, per China day created), ``shipped`` (on time / late, per China day shipped),
``held`` (held orders per reason, per China day created) and ``due`` (open orders per China day and hour of their
ship-by, ``key`` ``"00"``–``"23"``; migration ``0016_due_hours``), which the ship-by risk reads.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum

from kuaifa.persistence.models import OrderCount, OrderCountDelta

OPEN_STATUSES = ("NEW", "ON_HOLD", "ACCEPTED", "PICKING", "PACKED")

_ADD = (
    "INSERT INTO kuaifa_ordercount (shop_id, day, kind, key, n) {rows} "
    "ON CONFLICT (kind, key, day, shop_id) DO UPDATE SET n = kuaifa_ordercount.n + excluded.n RETURNING id, n"
)
_FOLD_POSTGRES = (
    "WITH gone AS (DELETE FROM kuaifa_ordercountdelta RETURNING shop_id, day, kind, key, n) "
    + _ADD.format(rows="SELECT shop_id, day, kind, key, SUM(n) FROM gone GROUP BY 1, 2, 3, 4 HAVING SUM(n) <> 0")
)
_FOLD_SQLITE = _ADD.format(
    rows="SELECT shop_id, day, kind, key, SUM(n) FROM kuaifa_ordercountdelta WHERE id <= %(last)s "
    "GROUP BY shop_id, day, kind, key HAVING SUM(n) <> 0"  # (GROUP BY also settles the ON CONFLICT parse)
)


def fold() -> int:
    """Add the deltas the triggers wrote into the counts (a count back to zero is removed); returns the counts
    changed. Safe beside writers and another fold: on PostgreSQL one statement deletes exactly the deltas it adds
    (deltas committed meanwhile stay for the next fold) and folds take turns; on SQLite (whose triggers add to the
    counts directly, one writer at a time) the transaction holds the one write lock."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(7310)")  # one fold at a time; writers are not blocked
            cursor.execute(_FOLD_POSTGRES)
            changed = cursor.fetchall()
        else:
            cursor.execute("SELECT COALESCE(MAX(id), 0) FROM kuaifa_ordercountdelta")
            last = cursor.fetchone()[0]
            cursor.execute(_FOLD_SQLITE, {"last": last})
            changed = cursor.fetchall()
            cursor.execute("DELETE FROM kuaifa_ordercountdelta WHERE id <= %(last)s", {"last": last})
            cursor.execute("DELETE FROM kuaifa_ordercount WHERE n = 0")  # SQLite's triggers add to the counts
        zero = [count_id for count_id, n in changed if n == 0]
        if zero:
            OrderCount.objects.filter(id__in=zero, n=0).delete()
        return len(changed)


def _both(wanted: Q, scope: frozenset[int]) -> QuerySet[Any, Any]:
    """``(kind, key, day, n)`` of the counts and of the deltas not yet folded that match ``wanted``, each summed per
    (kind, key, day), in one statement."""
    parts = [
        model.objects.filter(wanted, **({"shop_id__in": scope} if scope else {}))
        .values("kind", "key", "day")
        .annotate(total=Sum("n"))
        .order_by()
        .values_list("kind", "key", "day", "total")
        for model in (OrderCount, OrderCountDelta)
    ]
    return parts[0].union(parts[1], all=True)


def status_total(scope: frozenset[int], statuses: Iterable[str]) -> QuerySet[Any, Any]:
    """Rows whose ``n`` sum to the orders now in ``statuses``: one query to put in a statement with other counts."""
    parts = [
        model.objects.filter(kind="status", key__in=tuple(statuses), **({"shop_id__in": scope} if scope else {}))
        .order_by()
        .values("n")
        for model in (OrderCount, OrderCountDelta)
    ]
    return parts[0].union(parts[1], all=True)


@dataclass(frozen=True)
class Counts:
    """The dashboard's pre-counted numbers."""

    created_today: int = 0
    open_by_status: dict[str, int] = field(default_factory=dict)
    shipped_on_time_today: int = 0
    shipped_late_today: int = 0
    held_by_reason: dict[str, int] = field(default_factory=dict)  # most first
    due_by_hour: dict[datetime, int] = field(default_factory=dict)  # open orders per ship-by hour (its UTC start)


CHINA_OFFSET = timedelta(hours=8)  # the counts' days and hours are China's, UTC+8 all year


def hour_start(day: date, key: str) -> datetime:
    """The UTC start of a ``due`` count's China hour."""
    return datetime.combine(day, time(int(key)), tzinfo=UTC) - CHINA_OFFSET


def dashboard_counts(scope: frozenset[int], *, today: date) -> Counts:
    """Today's created and shipped orders, open orders by status and per ship-by hour, held orders by reason, in
    one query."""
    wanted = (
        Q(kind="status", key__in=OPEN_STATUSES)
        | Q(kind__in=("held", "due"))
        | Q(day=today, kind__in=("status", "shipped"))
    )
    created = late = on_time = 0
    open_by_status: dict[str, int] = {}
    held: dict[str, int] = {}
    due: dict[datetime, int] = {}
    for kind, key, day, n in _both(wanted, scope):
        if kind == "due":
            due[hour_start(day, key)] = due.get(hour_start(day, key), 0) + n
            continue
        if kind == "status" and day == today:
            created += n
        if kind == "status" and key in OPEN_STATUSES:
            open_by_status[key] = open_by_status.get(key, 0) + n
        elif kind == "held":
            held[key] = held.get(key, 0) + n
        elif kind == "shipped":
            if key == "late":
                late += n
            else:
                on_time += n
    return Counts(
        created_today=created,
        open_by_status={k: v for k, v in open_by_status.items() if v},
        shipped_on_time_today=on_time,
        shipped_late_today=late,
        held_by_reason=dict(sorted(((k, v) for k, v in held.items() if v), key=lambda kv: (-kv[1], kv[0]))),
        due_by_hour={hour: n for hour, n in sorted(due.items()) if n},
    )


def held_by_reason(scope: frozenset[int]) -> dict[str, int]:
    """Held orders per reason, most first (an order held for two reasons counts under both)."""
    held: dict[str, int] = {}
    for _kind, key, _day, n in _both(Q(kind="held"), scope):
        held[key] = held.get(key, 0) + n
    return dict(sorted(((k, n) for k, n in held.items() if n), key=lambda kv: (-kv[1], kv[0])))
