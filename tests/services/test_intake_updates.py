"""Re-ingesting changed orders costs a fixed number of statements per batch, whatever the number of orders."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kuaifa.domain.orders.canonical import PlatformOrderStatus, PlatformRefundStatus
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, Reservation, StockLevel, StockMove
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db
LATER = NOW + timedelta(minutes=5)


def changed_copies(orders):
    """Every third order refunded (cancelled), every third shipped from the back office, the rest moved house."""
    out = []
    for i, order in enumerate(orders):
        if i % 3 == 0:
            out.append(replace(order, refund_status=PlatformRefundStatus.REFUNDED, updated_at=LATER))
        elif i % 3 == 1:
            out.append(replace(order, order_status=PlatformOrderStatus.SHIPPED, updated_at=LATER))
        else:
            receiver = replace(order.receiver, address_mask="新地址**号")
            out.append(replace(order, receiver=receiver, updated_at=LATER))
    return out


def statements_to_update(shop, n: int) -> int:
    prefix = f"n{n}-"
    orders = [make_order(f"{prefix}{i:03d}", ("TEA-001", 1)) for i in range(n)]
    ingest_orders(shop, orders, source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    assert Order.objects.filter(order_sn__startswith=prefix, status=OrderStatus.ACCEPTED).count() == n
    with CaptureQueriesContext(connection) as queries:
        report = ingest_orders(shop, changed_copies(orders), source=Order.Source.API, actor=ACTOR, now=LATER)
    assert report.updated == n
    return len(queries.captured_queries)


def test_updating_thirty_orders_takes_as_many_statements_as_updating_six(shop, catalog):
    receive_stock("TEA-001", 100, actor=ACTOR, now=NOW)

    assert statements_to_update(shop, 30) == statements_to_update(shop, 6)


def test_a_batch_of_updates_cancels_ships_and_moves_house_with_the_right_stock(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    orders = [make_order(f"o{i}", ("TEA-001", 2)) for i in range(3)]
    ingest_orders(shop, orders, source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)

    ingest_orders(shop, changed_copies(orders), source=Order.Source.API, actor=ACTOR, now=LATER)

    stored = {o.order_sn: o for o in Order.objects.all()}
    assert {sn: o.status for sn, o in stored.items()} == {
        "o0": OrderStatus.CANCELLED,
        "o1": OrderStatus.SHIPPED,
        "o2": OrderStatus.ACCEPTED,
    }
    assert stored["o2"].receiver_address_mask == "新地址**号"
    assert {o.version for o in stored.values()} == {3}
    level = StockLevel.objects.get(sku__code="TEA-001")
    assert (level.on_hand, level.reserved) == (8, 2)  # o1's 2 units left the shelf, o0's went back to the pool
    assert dict(Reservation.objects.values_list("order__order_sn", "state")) == {
        "o0": "released",
        "o1": "consumed",
        "o2": "open",
    }
    assert list(StockMove.objects.filter(kind="ship").values_list("order__order_sn", "quantity")) == [("o1", -2)]
    kinds = sorted(OrderEvent.objects.filter(created_at=LATER).values_list("order__order_sn", "kind"))
    assert kinds == [("o0", "platform_updated"), ("o0", "status_changed"), ("o1", "platform_updated"),
                     ("o1", "status_changed"), ("o2", "platform_updated")]  # fmt: skip
