"""Commands people give on one order, and orders that never came from a platform."""

from datetime import timedelta

import pytest

from kuaifa.domain.orders.canonical import Receiver
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.errors import IllegalTransition
from kuaifa.persistence.models import Order, OrderEvent, Reservation, StockLevel
from kuaifa.services.errors import InvalidInput
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.orders import ManualLine, cancel_order, create_manual_order, hold_order, release_order
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db

RECEIVER = Receiver(province="上海市", city="上海市", town="浦东新区", name="张三", phone="13800000000",
                    address="世纪大道 100 号", name_mask="张*", phone_mask="138****0000", address_mask="世纪大道***",
                    is_plaintext=True)  # fmt: skip


def accepted(shop, order_sn="o1", qty=2):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest_orders(shop, [make_order(order_sn, ("TEA-001", qty))], source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    return Order.objects.get(order_sn=order_sn)


def test_a_manual_order_follows_the_same_review_and_allocation(shop, catalog):
    receive_stock("CUP-002", 5, actor=ACTOR, now=NOW)

    order = create_manual_order(shop, [ManualLine("CUP-002", 2, 2500)], RECEIVER, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)

    order.refresh_from_db()
    assert (order.source, order.status, order.pay_amount) == ("manual", OrderStatus.ACCEPTED, 5000)
    assert order.ship_by == NOW + timedelta(hours=48)  # paid now, the shop promises 48 h
    assert order.receiver_is_plaintext is True
    assert StockLevel.objects.get(sku__code="CUP-002").reserved == 2


def test_a_manual_order_for_an_unknown_sku_is_refused_whole(shop, catalog):
    with pytest.raises(InvalidInput) as refused:
        create_manual_order(shop, [ManualLine("CUP-002", 1), ManualLine("NOPE", 1)], RECEIVER, actor=ACTOR, now=NOW)

    assert "line 2" in refused.value.message
    assert Order.objects.count() == 0


def test_holding_an_accepted_order_frees_its_stock_and_release_sends_it_back_to_review(shop, catalog):
    order = accepted(shop)

    hold_order(order.id, note="客户要求改地址", actor=ACTOR, now=NOW)
    order.refresh_from_db()
    assert (order.status, order.hold_reasons) == (OrderStatus.ON_HOLD, ["manual"])
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 0

    release_order(order.id, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    assert list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True)) == [
        "ingested", "reviewed", "held", "released", "reviewed",
    ]  # fmt: skip


def test_a_manual_hold_is_never_lifted_by_review(shop, catalog):
    order = accepted(shop)
    hold_order(order.id, actor=ACTOR, now=NOW)

    review_orders(actor=ACTOR, now=NOW)

    order.refresh_from_db()
    assert order.status == OrderStatus.ON_HOLD


def test_cancelling_releases_every_reservation_once(shop, catalog):
    order = accepted(shop)

    cancel_order(order.id, actor=ACTOR, now=NOW)

    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 0
    assert list(Reservation.objects.values_list("state", flat=True)) == ["released"]
    with pytest.raises(IllegalTransition):
        cancel_order(order.id, actor=ACTOR, now=NOW)
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 0
