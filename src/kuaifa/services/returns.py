"""Return-to-stock tasks: an order intercepted after picking leaves goods off the shelf.

Whenever an order moves from PICKING or PACKED to ON_HOLD or CANCELLED — a person's hold or cancel, the platform's
refund, risk review or ship_hold arriving by sync, a stocktake taking its units back — a task is opened (one open
task per order) for the warehouse to put the goods back. Stock counts need no move: the reservations were
released and nothing left the building.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import ReturnToStockTask
from kuaifa.services.errors import InvalidInput, NotFound

OFF_THE_SHELF = frozenset({OrderStatus.PICKING, OrderStatus.PACKED})
STOPPED = frozenset({OrderStatus.ON_HOLD, OrderStatus.CANCELLED})


def open_tasks(moves: Iterable[tuple[int, str, str]], *, reason: str, now: datetime) -> int:
    """Open a task for each (order id, from status, to status) that stopped an order whose goods were picked."""
    opened = 0
    for order_id, before, after in moves:
        if before in OFF_THE_SHELF and after in STOPPED:
            try:
                with transaction.atomic():  # savepoint: an open task for this order may exist already
                    ReturnToStockTask.objects.create(order_id=order_id, from_status=before, reason=reason[:200],
                                                     created_at=now)  # fmt: skip
                opened += 1
            except IntegrityError:
                pass
    return opened


@transaction.atomic(durable=True)
def complete_task(task_id: int, *, actor: Actor, now: datetime) -> None:
    """A person put the goods back on the shelf."""
    task = ReturnToStockTask.objects.select_for_update().filter(id=task_id).first()
    if task is None:
        raise NotFound(kind="return-to-stock task", key=task_id)
    if task.done_at is not None:
        raise InvalidInput(
            field="task",
            reason=Text("task %(task_id)s was already done by %(done_by)s", task_id=task_id, done_by=task.done_by),
        )
    ReturnToStockTask.objects.filter(id=task_id).update(done_at=now, done_by=actor.stored)
