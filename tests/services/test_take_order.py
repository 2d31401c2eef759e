"""The one-order path: an order is stored and reviewed in the same transaction (push, manual order, reissue)."""

import pytest

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, Reservation, StockLevel
from kuaifa.services.intake import take_order
from kuaifa.services.inventory import receive_stock
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def take(shop, order):
    return take_order(shop, order, source=Order.Source.API, actor=ACTOR, now=NOW)


def test_an_order_in_stock_is_accepted_with_its_stock_reserved_as_it_is_stored(shop, catalog):
    receive_stock("TEA-001", 2, actor=ACTOR, now=NOW)

    report = take(shop, make_order("o1", ("TEA-001", 2)))

    assert (report.created, report.order_ids) == (1, [Order.objects.get().id])
    assert Order.objects.get().status == OrderStatus.ACCEPTED
    assert list(Reservation.objects.values_list("quantity", "state")) == [(2, "open")]
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 2
    assert list(OrderEvent.objects.order_by("id").values_list("kind", "to_status")) == [
        ("ingested", "NEW"),
        ("reviewed", "ACCEPTED"),
    ]


def test_an_order_short_of_stock_is_held_as_it_is_stored_and_reserves_nothing(shop, catalog):
    receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)

    take(shop, make_order("o1", ("TEA-001", 2)))

    stored = Order.objects.get()
    assert (stored.status, stored.hold_reasons, stored.review_due) == (
        OrderStatus.ON_HOLD,
        ["stock_insufficient"],
        False,
    )
    assert Reservation.objects.count() == 0
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 0


def test_the_same_order_taken_twice_is_stored_once_and_reviewed_once(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    order = make_order("o1", ("TEA-001", 2))

    take(shop, order)
    again = take(shop, order)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert OrderEvent.objects.filter(kind="reviewed").count() == 1
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 2
