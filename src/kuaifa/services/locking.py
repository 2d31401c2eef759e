"""Race-safe stock writes on both databases.

SQLite: every Kuaifa transaction is ``BEGIN IMMEDIATE`` (see settings), so a writer holds the database lock from its
first statement and a read-then-write cannot interleave with another writer. PostgreSQL: stock rows are locked with
``SELECT … FOR UPDATE`` in primary-key order (one global order, so two transactions never deadlock on them). In both,
the CHECK constraint ``on_hand >= reserved`` refuses any write that would oversell.
"""

from collections.abc import Iterable

from django.db.models import F

from kuaifa.persistence.models import StockLevel


def lock_levels(level_ids: Iterable[int]) -> list[dict]:
    """Lock the given stock rows (PostgreSQL) and return their current values, in id order."""
    ids = sorted(set(level_ids))
    if not ids:
        return []
    return list(
        StockLevel.objects.select_for_update()
        .filter(id__in=ids)
        .order_by("id")
        .values("id", "sku_id", "warehouse_id", "on_hand", "reserved")
    )


def add_reserved(deltas: dict[int, int]) -> None:
    """Apply ``reserved += delta`` per stock level, in id order; the CHECK constraint is the backstop."""
    for level_id in sorted(deltas):
        if deltas[level_id]:
            StockLevel.objects.filter(id=level_id).update(reserved=F("reserved") + deltas[level_id])
