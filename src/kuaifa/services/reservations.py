"""Opening and closing reservations: the only code that changes ``StockLevel.reserved``.

Releasing (cancel, hold) gives units back to the pool; consuming (ship) turns them into a stock move out of the
warehouse. Both touch the stock rows in id order and record the state change on the reservation rows.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence import review_rows
from kuaifa.persistence.bulk import fetch, in_list, insert_rows
from kuaifa.persistence.models import Reservation, StockLevel, StockMove
from kuaifa.persistence.statements import Kind, Statement
from kuaifa.services.locking import lock_levels
from kuaifa.services.review_due import mark_due_for_skus

_CLOSE = Statement("UPDATE kuaifa_reservation SET state = %s, closed_at = %s WHERE id IN %l", params=(None, Kind.TIME))
_MOVE_COLUMNS = ("stock_level_id", "kind", "quantity", "on_hand_after", "order_id", "note", "actor", "created_at")


def _open_reservations(order_ids: Iterable[int]) -> list[tuple[int, int, int, int]]:
    """(id, stock_level_id, quantity, order_id) of the open reservations of these orders, one statement."""
    ids = list(order_ids)
    if not ids:
        return []
    where, params = in_list("order_id", ids)
    rows = fetch(Reservation, ("id", "stock_level_id", "quantity", "order_id"), f"state = %s AND {where}",
                 [Reservation.State.OPEN.value, *params])  # fmt: skip
    return [(row["id"], row["stock_level_id"], row["quantity"], row["order_id"]) for row in rows]


def release_for_orders(order_ids: Iterable[int], *, now: datetime) -> int:
    """Release every open reservation of these orders; returns the units released.

    Named statements (``persistence.review_rows``), so a person's command on one order costs a few one-row
    statements: the open reservations read, the stock rows updated in id order (``reserved -= q``, which locks them
    in the one global order; the CHECK constraint refuses a counter below zero), the reservations closed, and the
    held orders waiting for those SKUs marked due."""
    open_rows = review_rows.open_reservations(list(order_ids))
    if not open_rows:
        return 0
    deltas: dict[int, int] = defaultdict(int)
    for row in open_rows:
        deltas[row.stock_level_id] -= row.quantity
    review_rows.add_reserved(deltas)
    review_rows.close_reservations([row.id for row in open_rows], Reservation.State.RELEASED, now)
    mark_due_for_skus({row.sku_id for row in open_rows})
    return -sum(deltas.values())


def consume_for_orders(order_ids: Iterable[int], *, actor: Actor, now: datetime, note: str = "") -> int:
    """The parcel left: open reservations become ``ship`` stock moves (on_hand and reserved both fall)."""
    rows = _open_reservations(order_ids)
    if not rows:
        return 0
    levels = {row["id"]: row for row in lock_levels(row[1] for row in rows)}
    moves = []
    ship, who = StockMove.Kind.SHIP.value, actor.stored
    for _, level_id, quantity, order_id in rows:
        level = levels[level_id]
        level["on_hand"] -= quantity
        moves.append((level_id, ship, -quantity, level["on_hand"], order_id, note, who, now))
    _CLOSE.run(Reservation.State.CONSUMED.value, now, [row[0] for row in rows])
    totals: dict[int, int] = defaultdict(int)
    for _, level_id, quantity, _ in rows:
        totals[level_id] += quantity
    table = connection.ops.quote_name(StockLevel._meta.db_table)
    with connection.cursor() as cursor:  # one statement batch, in id order (see services.locking)
        cursor.executemany(
            f"UPDATE {table} SET on_hand = on_hand - %s, reserved = reserved - %s WHERE id = %s",
            [(totals[level_id], totals[level_id], level_id) for level_id in sorted(totals)],
        )
    insert_rows(StockMove, _MOVE_COLUMNS, moves)
    return sum(totals.values())
