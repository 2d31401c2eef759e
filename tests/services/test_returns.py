"""An order stopped after its goods were picked leaves a task to put them back; one stopped before picking does not."""

from dataclasses import replace
from datetime import timedelta

import pytest

from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.orders.canonical import PlatformRefundStatus
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Order, ReturnToStockTask, StockLevel
from kuaifa.services.errors import InvalidInput
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.orders import cancel_order, hold_order
from kuaifa.services.returns import complete_task
from kuaifa.services.review import review_orders
from kuaifa.services.waves import create_waves
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def picking(shop, order_sn="o1"):
    """An order accepted and put in a wave: its goods are being picked."""
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    order = make_order(order_sn, ("TEA-001", 2))
    ingest_orders(shop, [order], source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    create_waves(WaveRule(horizon=timedelta(days=3)), actor=ACTOR, now=NOW)
    stored = Order.objects.get(order_sn=order_sn)
    assert stored.status == OrderStatus.PICKING
    return order, stored


def test_holding_an_order_being_picked_opens_a_task_and_frees_its_stock(shop, catalog):
    _, order = picking(shop)

    hold_order(order.id, note="客户要求改地址", actor=ACTOR, now=NOW)

    task = ReturnToStockTask.objects.get()
    assert (task.order_id, task.from_status, task.done_at) == (order.id, "PICKING", None)
    assert "客户要求改地址" in task.reason
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 0


def test_a_refund_arriving_from_the_platform_after_picking_opens_a_task(shop, catalog):
    platform_copy, order = picking(shop)

    refunded = replace(
        platform_copy, refund_status=PlatformRefundStatus.REFUNDED, updated_at=NOW + timedelta(minutes=5)
    )
    ingest_orders(shop, [refunded], source=Order.Source.API, actor=ACTOR, now=NOW)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert list(ReturnToStockTask.objects.values_list("from_status", "reason")) == [("PICKING", "platform: cancelled")]


def test_an_order_stopped_before_picking_needs_no_task(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest_orders(shop, [make_order("o1", ("TEA-001", 1))], source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)

    cancel_order(Order.objects.get().id, actor=ACTOR, now=NOW)

    assert not ReturnToStockTask.objects.exists()


def test_a_task_is_done_once(shop, catalog):
    _, order = picking(shop)
    cancel_order(order.id, actor=ACTOR, now=NOW)
    task = ReturnToStockTask.objects.get()

    complete_task(task.id, actor=Actor.user("小王"), now=NOW)

    task.refresh_from_db()
    assert (task.done_by, task.done_at) == ("user:小王", NOW)
    with pytest.raises(InvalidInput):
        complete_task(task.id, actor=ACTOR, now=NOW)
