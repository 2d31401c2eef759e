"""The ORM implementation of a person's hold, release and cancel as it was before they moved to named statements,
kept as the reference the one-order path is compared with (``test_order_actions_equivalence``).

Its rules, once inline, are the domain functions both paths now call (``domain.orders.person``); it records
through the ORM: a locked read, the open reservations released with the stock rows locked in id order, held orders
marked due for the SKUs freed (bundles followed), a version-checked status update and an ``OrderEvent`` saved by
the model.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Q

from kuaifa.domain.orders import person
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import BundleComponent, Order, OrderLine, Reservation, StockLevel
from kuaifa.services.audit import event
from kuaifa.services.errors import NotFound, OrderConflict
from kuaifa.services.locking import add_reserved, lock_levels
from kuaifa.services.returns import open_tasks


def _with_bundles(sku_ids: set[int]) -> set[int]:
    found, frontier = set(sku_ids), set(sku_ids)
    while frontier:
        frontier = (
            set(BundleComponent.objects.filter(component_id__in=frontier).values_list("bundle_id", flat=True)) - found
        )
        found |= frontier
    return found


def _mark_due_for_skus(sku_ids: Iterable[int]) -> int:
    skus = _with_bundles({s for s in sku_ids if s is not None})
    if not skus:
        return 0
    lines = OrderLine.objects.filter(sku_id__in=skus).values("order_id")
    held = Order.objects.filter(Q(status=OrderStatus.ON_HOLD, review_due=False), id__in=lines)
    if connection.features.has_select_for_update_skip_locked:
        ids = list(held.select_for_update(skip_locked=True, of=("self",)).values_list("id", flat=True))
        held = Order.objects.filter(id__in=ids)
    return held.update(review_due=True)


def _release_for_orders(order_ids: Iterable[int], *, now: datetime) -> int:
    open_rows = list(
        Reservation.objects.filter(order_id__in=list(order_ids), state=Reservation.State.OPEN).values_list(
            "id", "stock_level_id", "quantity"
        )
    )
    if not open_rows:
        return 0
    deltas: dict[int, int] = defaultdict(int)
    for _, level_id, quantity in open_rows:
        deltas[level_id] -= quantity
    lock_levels(deltas)
    Reservation.objects.filter(id__in=[row[0] for row in open_rows]).update(
        state=Reservation.State.RELEASED, closed_at=now
    )
    add_reserved(deltas)
    _mark_due_for_skus(StockLevel.objects.filter(id__in=list(deltas)).values_list("sku_id", flat=True))
    return -sum(deltas.values())


def _locked(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(id=order_id).first()
    if order is None:
        raise NotFound(kind="order", key=order_id)
    return order


def _save(order: Order, decision: person.Decision, *, kind: str, actor: Actor, now: datetime, **details: object):
    changed = Order.objects.filter(id=order.id, version=order.version).update(
        status=decision.target,
        hold_reasons=decision.hold_reasons,
        version=F("version") + 1,
        updated_at=now,
        waived_reasons=decision.waived_reasons,
    )
    if not changed:
        raise OrderConflict(order_sn=order.order_sn, reason=Text("changed by someone else meanwhile; try again"))
    event(order.id, kind, actor=actor, now=now, from_status=order.status, to_status=decision.target, **details).save()


def _decide(order: Order, decide) -> person.Decision:
    return decide(OrderStatus(order.status), order.hold_reasons, order.waived_reasons, order_sn=order.order_sn)


@transaction.atomic(durable=True)
def hold_order(order_id: int, *, note: str = "", actor: Actor, now: datetime) -> None:
    order = _locked(order_id)
    decision = _decide(order, person.hold)
    if decision.release_stock:
        _release_for_orders([order.id], now=now)
    open_tasks([(order.id, order.status, decision.target)], reason=f"held by a person: {note}", now=now)
    _save(order, decision, kind="held", actor=actor, now=now, note=note, reasons=decision.hold_reasons)


@transaction.atomic(durable=True)
def release_order(order_id: int, *, actor: Actor, now: datetime) -> None:
    order = _locked(order_id)
    decision = _decide(order, person.release)
    _save(order, decision, kind="released", actor=actor, now=now, waived=decision.waived_reasons)


@transaction.atomic(durable=True)
def cancel_order(order_id: int, *, note: str = "", actor: Actor, now: datetime) -> None:
    order = _locked(order_id)
    decision = _decide(order, person.cancel)
    released = _release_for_orders([order.id], now=now)
    open_tasks([(order.id, order.status, decision.target)], reason=f"cancelled by a person: {note}", now=now)
    _save(order, decision, kind="cancelled", actor=actor, now=now, note=note, units_released=released)
