"""Order counts kept by the database: what the dashboard and the navigation badges read instead of the orders.

Why triggers (migration ``0015_order_counts``) rather than each service adding to the counts: an order's status,
hold reasons and shipping time are written by a dozen services, in bulk ``UPDATE``s as well as one by one (intake,
review, holds, waves, packing, shipping, interception, after-sales, tracking, stocktake), and later by code not yet
written. A trigger sees every one of those writes, in the same transaction, whoever makes it, so the counts cannot
drift from the orders; a service cannot forget it. The triggers only append signed deltas (never update a shared
row), so two writers never wait on each other for a counter; the worker folds the deltas (``fold``) so reading
stays a few index entries. The count at any moment is the sum of ``n`` over the rows, folded or not.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum

from kuaifa.persistence.models import OrderCount

OPEN_STATUSES = ("NEW", "ON_HOLD", "ACCEPTED", "PICKING", "PACKED")

_FOLD_POSTGRES = """
WITH touched AS (SELECT DISTINCT shop_id, day, kind, key FROM kuaifa_ordercount WHERE NOT folded),
gone AS (
    DELETE FROM kuaifa_ordercount c USING touched t
    WHERE c.shop_id = t.shop_id AND c.day = t.day AND c.kind = t.kind AND c.key = t.key
    RETURNING c.shop_id, c.day, c.kind, c.key, c.n
)
INSERT INTO kuaifa_ordercount (shop_id, day, kind, key, n, folded)
SELECT shop_id, day, kind, key, SUM(n), TRUE FROM gone GROUP BY 1, 2, 3, 4 HAVING SUM(n) <> 0
"""
_TOUCHED_SQLITE = (
    "(shop_id, day, kind, key) IN (SELECT shop_id, day, kind, key FROM kuaifa_ordercount WHERE NOT folded "
    "AND id <= %(last)s)"
)
_FOLD_SQLITE = [
    "INSERT INTO kuaifa_ordercount (shop_id, day, kind, key, n, folded) "
    f"SELECT shop_id, day, kind, key, SUM(n), 1 FROM kuaifa_ordercount WHERE id <= %(last)s AND {_TOUCHED_SQLITE} "
    "GROUP BY shop_id, day, kind, key HAVING SUM(n) <> 0",
    f"DELETE FROM kuaifa_ordercount WHERE id <= %(last)s AND {_TOUCHED_SQLITE}",
]


def fold() -> int:
    """Sum every (shop, day, kind, key) that has new deltas into one row (zero sums vanish); returns the rows left
    for those keys. Safe beside writers and another fold: on PostgreSQL one statement deletes exactly the rows it sums
    (rows committed meanwhile stay for the next fold), on SQLite the transaction holds the one write lock."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(7310)")  # one fold at a time; writers are not blocked
            cursor.execute(_FOLD_POSTGRES)
            return int(cursor.rowcount)
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM kuaifa_ordercount")
        last = cursor.fetchone()[0]
        cursor.execute(_FOLD_SQLITE[0], {"last": last})
        written = int(cursor.rowcount)
        cursor.execute(_FOLD_SQLITE[1], {"last": last})
        return written


def _scoped(query: QuerySet[OrderCount], scope: frozenset[int]) -> QuerySet[OrderCount]:
    return query.filter(shop_id__in=scope) if scope else query


def status_total(scope: frozenset[int], statuses: Iterable[str]) -> QuerySet[OrderCount]:
    """The rows whose ``n`` sum to the orders now in ``statuses`` (for one statement with other counts)."""
    return _scoped(OrderCount.objects.filter(kind="status", key__in=tuple(statuses)), scope)


@dataclass(frozen=True)
class Counts:
    """The dashboard's pre-counted numbers."""

    created_today: int = 0
    open_by_status: dict[str, int] = field(default_factory=dict)
    shipped_on_time_today: int = 0
    shipped_late_today: int = 0
    held_by_reason: dict[str, int] = field(default_factory=dict)  # most first


def dashboard_counts(scope: frozenset[int], *, today: date) -> Counts:
    """Today's created and shipped orders, open orders by status and held orders by reason, in one query."""
    wanted = Q(kind="status", key__in=OPEN_STATUSES) | Q(kind="held") | Q(day=today, kind__in=("status", "shipped"))
    rows = _scoped(OrderCount.objects.filter(wanted), scope).values_list("kind", "key", "day").annotate(n=Sum("n"))
    created = late = on_time = 0
    open_by_status: dict[str, int] = {}
    held: dict[str, int] = {}
    for kind, key, day, n in rows.order_by():
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
    )


def held_by_reason(scope: frozenset[int]) -> dict[str, int]:
    """Held orders per reason, most first (an order held for two reasons counts under both)."""
    rows = _scoped(OrderCount.objects.filter(kind="held"), scope).values_list("key").annotate(n=Sum("n")).order_by()
    return dict(sorted(((k, n) for k, n in rows if n), key=lambda kv: (-kv[1], kv[0])))
