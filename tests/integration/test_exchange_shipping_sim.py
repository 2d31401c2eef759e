"""The replacement of an exchange (换货) and of a resend (补寄) shipped, told to the simulated PDD gateway over real
HTTP: ``pdd.refund.exchange.shipping`` on the buyer's original order, through the outbox, once — and the
simulator's checks (the case's type and status, the carrier)."""

from __future__ import annotations

import pytest
from django.db.models import Count

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import AfterSalesCase, Order, OutboxEntry, Shipment
from kuaifa.platforms.pdd.client import RefundDecisionRefused
from kuaifa.platforms.pdd.errors import PddBusinessError
from kuaifa.platforms.sim.refund_api import EXCHANGE_SHIPPING
from kuaifa.platforms.sim.shop import EXCHANGE, HOUR, REFUND_ONLY, RESEND
from kuaifa.services.aftersales_end import inspect, receive_return, send_replacement
from kuaifa.services.inventory import receive_stock
from kuaifa.services.outbox import deliver
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from kuaifa.tasks.platforms import platform_for
from tests.integration.platform_fixtures import ACTOR, Sleeps, create_skus, quiet_moment, running_sim, sku_codes
from tests.integration.test_aftersales_sim import CONFIG, YTO, Desk, open_case

ZTO = 115


@pytest.fixture
def sim():
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment) as server:
        yield server


@pytest.fixture
def desk(sim) -> Desk:
    desk = Desk(sim)
    for code in sku_codes(desk.state):
        create_skus([code], now=desk.now())
        receive_stock(code, 50, actor=ACTOR, now=desk.now())
    desk.sync()
    review_orders(actor=ACTOR, now=desk.now(), shop_id=desk.shop.id)
    return desk


def platforms(desk: Desk):
    return lambda shop: platform_for(shop, clock=desk.state.now, sleep=Sleeps())


def shipped_orders(desk: Desk, n: int) -> list[Order]:
    single = (Order.objects.filter(shop=desk.shop, status=OrderStatus.ACCEPTED).annotate(k=Count("lines"))
              .filter(k=1, lines__quantity=1, lines__sku__components__isnull=True))  # fmt: skip
    orders = list(single.order_by("order_sn")[:n])
    for order in orders:
        done = ship_order(order.id, carrier=YTO, tracking_number=f"YT{order.id:012d}", actor=ACTOR,
                          now=desk.now())  # fmt: skip
        assert deliver(done.outbox_entry_id, platforms(desk), now=desk.now()).outcome == "done"
    return orders


def ship_replacement(desk: Desk, case_id: int, tracking_number: str):
    made = send_replacement(desk.case(case_id).id, actor=ACTOR, now=desk.now())
    order = Order.objects.get(shop=desk.shop, order_sn=made.order_sn)
    assert order.status == OrderStatus.ACCEPTED
    return ship_order(order.id, carrier=ZTO, tracking_number=tracking_number, actor=ACTOR, now=desk.now())


@pytest.mark.django_db
def test_an_exchange_replacement_that_ships_is_told_to_the_platform_once(desk):
    (order,) = shipped_orders(desk, 1)
    open_case(desk, 8104, order, EXCHANGE, 14, shipped=True)
    desk.later()
    desk.sync()
    desk.state.update_refund_case(8104, return_tracking_number="YT810400008104", return_shipping_name="圆通快递")
    desk.later()
    desk.sync()
    receive_return("YT810400008104", actor=ACTOR, now=desk.now())
    inspect(desk.case(8104).id, ok=True, actor=ACTOR, now=desk.now())

    shipped = ship_replacement(desk, 8104, "75312345678901")

    entry = OutboxEntry.objects.get(id=shipped.outbox_entry_id)
    assert (entry.kind, entry.payload) == ("exchange_shipping", {
        "order_sn": order.order_sn, "after_sales_id": "8104", "logistics_id": ZTO, "carrier_name": "中通快递",
        "tracking_number": "75312345678901", "shipment_id": shipped.shipment.id})  # fmt: skip
    assert Shipment.objects.get(id=shipped.shipment.id).upload_state == Shipment.Upload.PENDING
    assert deliver(entry.id, platforms(desk), now=desk.now()).outcome == "done"

    (record,) = [d for d in desk.state.refund_decisions if d.api == EXCHANGE_SHIPPING]
    assert (record.order_sn, record.after_sales_id, record.from_status, record.to_status) == (order.order_sn, 8104,
                                                                                              14, 18)  # fmt: skip
    assert record.shipping == (ZTO, "中通快递", "75312345678901")
    assert desk.state.refund_case(8104).status == 18  # 换货补寄待用户确认完成
    assert Shipment.objects.get(id=shipped.shipment.id).upload_state == Shipment.Upload.DONE
    desk.later()
    desk.sync()
    assert desk.case(8104).state == "WAITING_BUYER"

    # the call again (a retry whose first answer was lost): recognised as done, not a second shipment
    again = desk.gateway.ship_replacement(order.order_sn, "8104", ZTO, "中通快递", "75312345678901")
    assert again.already
    assert len([d for d in desk.state.refund_decisions if d.api == EXCHANGE_SHIPPING]) == 1
    assert [c.error_code for c in desk.state.calls_of(EXCHANGE_SHIPPING)] == [None, 21001]


@pytest.mark.django_db
def test_a_resend_replacement_is_told_too_and_other_orders_ship_as_before(desk):
    resent, plain = shipped_orders(desk, 2)
    open_case(desk, 8105, resent, RESEND, 14, shipped=True)
    desk.later()
    desk.sync()
    assert desk.case(8105).state == "RESEND_REQUESTED"

    shipped = ship_replacement(desk, 8105, "75312345678902")

    assert deliver(shipped.outbox_entry_id, platforms(desk), now=desk.now()).outcome == "done"
    assert desk.state.refund_case(8105).status == 18
    kinds = sorted(OutboxEntry.objects.values_list("kind", flat=True))
    assert kinds == ["exchange_shipping", "ship", "ship"]  # the two first shipments, then the replacement
    assert not AfterSalesCase.objects.filter(reissue_order_id=plain.id).exists()


@pytest.mark.django_db
def test_the_simulator_refuses_a_replacement_for_another_type_status_or_carrier(desk):
    exchanged, refunded = shipped_orders(desk, 2)
    open_case(desk, 8106, exchanged, EXCHANGE, 14, shipped=True)
    open_case(desk, 8107, refunded, REFUND_ONLY, 2, shipped=True)
    client = platform_for(desk.shop, clock=desk.state.now, sleep=Sleeps()).client

    with pytest.raises(RefundDecisionRefused) as not_exchange:
        client.exchange_shipping(refunded.order_sn, 8107, ZTO, "中通快递", "75312345678903")
    assert (not_exchange.value.sub_code, not_exchange.value.after_sales_status) == ("AFTER_SALES_STATUS_NOT_ALLOWED", 2)

    with pytest.raises(RefundDecisionRefused) as unknown_carrier:
        client.exchange_shipping(exchanged.order_sn, 8106, 999, "无名快递", "75312345678903")
    assert unknown_carrier.value.sub_code == "LOGISTICS_NOT_FOUND"

    with pytest.raises(PddBusinessError) as bad_number:
        client.exchange_shipping(exchanged.order_sn, 8106, ZTO, "中通快递", "75-312")
    assert bad_number.value.code == 21002

    desk.state.update_refund_case(8106, status=15, expire_at=None)  # the buyer's turn to send the goods back
    with pytest.raises(RefundDecisionRefused) as buyers_turn:
        client.exchange_shipping(exchanged.order_sn, 8106, ZTO, "中通快递", "75312345678903")
    assert buyers_turn.value.after_sales_status == 15
    desk.state.update_refund_case(8106, status=16)  # the exchange completed: a late retry has nothing left to do
    assert client.exchange_shipping(exchanged.order_sn, 8106, ZTO, "中通快递", "75312345678903").already
    assert [d for d in desk.state.refund_decisions if d.api == EXCHANGE_SHIPPING] == []
