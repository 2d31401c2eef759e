"""Several orders shipped from the back office before Kuaifa reserved anything, in one batch: they take their units
off the shelves order after order (warehouses by priority), say what no shelf held, and take back reservations of
the latest deadlines when a shelf ends up holding less than it promised — with a fixed number of statements."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kuaifa.domain.orders.canonical import PlatformOrderStatus
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, StockLevel, StockMove, Warehouse
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db
LATER = NOW + timedelta(minutes=1)


def ingest(shop, orders):
    return ingest_orders(shop, list(orders), source=Order.Source.API, actor=ACTOR, now=NOW)


def shipped(orders):
    return [replace(o, order_status=PlatformOrderStatus.SHIPPED, updated_at=LATER) for o in orders]


def test_orders_shipped_in_one_batch_take_their_units_in_turn_and_say_what_was_missing(shop, catalog):
    Warehouse.objects.create(code="SPARE", name="备用仓", priority=200)  # MAIN (100) first
    receive_stock("TEA-001", 2, actor=ACTOR, now=NOW)
    receive_stock("TEA-001", 1, warehouse="SPARE", actor=ACTOR, now=NOW)
    held = [make_order(f"261126-00000000000000{i}", ("TEA-001", 2), risk_control_status=1) for i in (1, 2)]
    ingest(shop, held)
    review_orders(actor=ACTOR, now=NOW)  # held for risk: nothing reserved

    ingest(shop, shipped(held))

    assert set(Order.objects.values_list("status", flat=True)) == {OrderStatus.SHIPPED}
    moves = list(StockMove.objects.filter(kind="ship").order_by("id").values_list(
        "order__order_sn", "stock_level__warehouse__code", "quantity", "on_hand_after"))  # fmt: skip
    assert moves == [
        ("261126-000000000000001", "MAIN", -2, 0),
        ("261126-000000000000002", "SPARE", -1, 0),
    ]
    unaccounted = OrderEvent.objects.get(kind="stock_unaccounted")
    assert (unaccounted.order.order_sn, unaccounted.details) == ("261126-000000000000002", {"missing": {"TEA-001": 1}})


def test_a_shelf_left_short_takes_back_the_latest_deadline_reservation(shop, catalog):
    receive_stock("TEA-001", 3, actor=ACTOR, now=NOW)
    urgent = make_order("261126-000000000000001", ("TEA-001", 1), ship_in_hours=5)
    relaxed = make_order("261126-000000000000002", ("TEA-001", 1), ship_in_hours=40)
    ingest(shop, [urgent, relaxed])
    review_orders(actor=ACTOR, now=NOW)
    elsewhere = [make_order(f"261126-00000000000001{i}", ("TEA-001", 1), risk_control_status=1) for i in (1, 2)]
    ingest(shop, elsewhere)

    ingest(shop, shipped(elsewhere))  # two units left outside Kuaifa: one remains for two reservations

    level = StockLevel.objects.get(sku__code="TEA-001")
    assert (level.on_hand, level.reserved) == (1, 1)
    statuses = dict(Order.objects.values_list("order_sn", "status"))
    assert statuses["261126-000000000000001"] == OrderStatus.ACCEPTED
    assert statuses["261126-000000000000002"] == OrderStatus.ON_HOLD


def test_the_statements_do_not_grow_with_the_orders_shipped_from_the_back_office(shop, catalog):
    receive_stock("TEA-001", 100, actor=ACTOR, now=NOW)
    receive_stock("CUP-002", 100, actor=ACTOR, now=NOW)

    def statements(count: int, first: int) -> int:
        orders = [make_order(f"261127-{first + i:015d}", ("GIFT-SET", 1), risk_control_status=1) for i in range(count)]
        ingest(shop, orders)
        with CaptureQueriesContext(connection) as queries:
            ingest(shop, shipped(orders))
        assert StockMove.objects.filter(order__order_sn__in=[o.order_sn for o in orders]).count() == 2 * count
        return len(queries.captured_queries)

    assert statements(2, 0) == statements(20, 100)
