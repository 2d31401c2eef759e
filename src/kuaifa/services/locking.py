"""Race-safe stock writes on both databases.

SQLite: every Kuaifa transaction is ``BEGIN IMMEDIATE`` (see settings), so a writer holds the database lock from its
first statement and a read-then-write cannot interleave with another writer. PostgreSQL: stock rows are locked with
``SELECT … FOR UPDATE`` in primary-key order (one global order, so two transactions never deadlock on them). In both,
the CHECK constraint ``on_hand >= reserved`` refuses any write that would oversell.
"""

from collections.abc import Iterable
from typing import TypedDict, cast

from django.db import connection

from kuaifa.persistence.bulk import fetch, in_list
from kuaifa.persistence.models import StockLevel


class LockedLevel(TypedDict):
    id: int
    sku_id: int
    warehouse_id: int
    on_hand: int
    reserved: int


def lock_levels(level_ids: Iterable[int]) -> list[LockedLevel]:
    """Lock the given stock rows (PostgreSQL) and return their current values, in id order."""
    ids = sorted(set(level_ids))
    if not ids:
        return []
    where, params = in_list("id", ids)
    rows = fetch(StockLevel, ("id", "sku_id", "warehouse_id", "on_hand", "reserved"), where, params, order_by="id",
                 lock=True)  # fmt: skip
    return cast(list[LockedLevel], rows)  # fetch gives exactly these columns, converted as the ORM would


def add_reserved(deltas: dict[int, int]) -> None:
    """Apply ``reserved += delta`` per stock level, in id order, as one statement batch; the CHECK constraint
    refuses any row that would go negative or above on_hand (IntegrityError, and the transaction rolls back)."""
    rows = [(delta, level_id) for level_id, delta in sorted(deltas.items()) if delta]
    if rows:
        table = connection.ops.quote_name(StockLevel._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET reserved = reserved + %s WHERE id = %s", rows)
