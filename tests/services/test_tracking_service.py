"""Parcel tracking through the database with a scripted carrier as the port, for edge cases a journey does not
produce (errors, repeats). Over real HTTP against the simulated ``pdd.logistics.ordertrace.get``:
tests/integration/test_tracking_sim.py."""

from datetime import timedelta

import pytest

from kuaifa.domain.carriers.traces import RawTrace
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.platform import PlatformError
from kuaifa.persistence.models import Order, OrderEvent, ParcelTrace
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.replies import answer
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from kuaifa.services.tracking import delay_notices, due_shipments, poll, stalled_parcels
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


class ScriptedCarrier:
    """A carrier whose trace for each tracking number is set by the test."""

    def __init__(self) -> None:
        self.events: dict[str, list[RawTrace]] = {}
        self.down = False
        self.asked: list[tuple[str, str]] = []

    def traces(self, carrier_code: str, tracking_number: str) -> list[RawTrace]:
        self.asked.append((carrier_code, tracking_number))
        if self.down:
            raise PlatformError("gateway busy", code="platform.unavailable", retryable=True)
        return list(self.events.get(tracking_number, []))


@pytest.fixture
def shipped(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest_orders(shop, [make_order("P1", ("TEA-001", 1))], source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    result = ship_order(
        Order.objects.get(order_sn="P1").id,
        carrier=85,
        tracking_number="YT5550001112223",
        actor=ACTOR,
        now=NOW,
        upload=False,
    )
    return result


def test_a_signed_parcel_marks_the_order_delivered_once_and_polling_stops(shipped):
    carrier = ScriptedCarrier()
    sid = due_shipments(now=NOW)[0]
    carrier.events["YT5550001112223"] = [RawTrace(NOW + timedelta(hours=2), "GOT", "【杭州市】已揽收")]
    first = poll(sid, carrier, actor=ACTOR, now=NOW + timedelta(hours=3))
    assert (first.stage, first.new_events, first.delivered) == ("picked_up", 1, False)
    assert carrier.asked == [("YTO", "YT5550001112223")]
    assert due_shipments(now=NOW + timedelta(hours=8)) == []  # next poll 6 h later
    assert due_shipments(now=NOW + timedelta(hours=9)) == [sid]

    carrier.events["YT5550001112223"].append(RawTrace(NOW + timedelta(days=2), "SIGN", "已签收，本人签收"))
    second = poll(sid, carrier, actor=ACTOR, now=NOW + timedelta(days=2, hours=1))
    assert (second.stage, second.new_events, second.delivered) == ("signed", 1, True)
    order = Order.objects.get(order_sn="P1")
    assert (order.status, order.received_at) == (OrderStatus.DELIVERED, NOW + timedelta(days=2))
    assert OrderEvent.objects.filter(order=order, kind="delivered").count() == 1
    assert due_shipments(now=NOW + timedelta(days=30)) == []


def test_a_failed_poll_keeps_the_trace_and_tries_again_in_an_hour(shipped):
    carrier = ScriptedCarrier()
    carrier.down = True
    sid = due_shipments(now=NOW)[0]
    polled = poll(sid, carrier, actor=ACTOR, now=NOW)
    assert polled.error == "platform.unavailable"
    trace = ParcelTrace.objects.get()
    assert (trace.next_poll_at, trace.last_error, trace.events) == (
        NOW + timedelta(hours=1),
        "[platform.unavailable] The platform refused the call: gateway busy",
        [],
    )
    assert Order.objects.get(order_sn="P1").status == OrderStatus.SHIPPED


def test_stalled_parcels_list_masked_buyers_and_get_delay_notices(shipped):
    carrier = ScriptedCarrier()
    carrier.events["YT5550001112223"] = [RawTrace(NOW + timedelta(hours=2), "ARRIVAL", "到达【杭州转运中心】")]
    poll(due_shipments(now=NOW)[0], carrier, actor=ACTOR, now=NOW + timedelta(hours=3))
    assert stalled_parcels(now=NOW + timedelta(hours=49)) == []
    found = stalled_parcels(now=NOW + timedelta(hours=51))
    assert [(p.order_sn, p.carrier, p.province, p.buyer, p.silent) for p in found] == [
        ("P1", "圆通快递", "浙江省", "张**", timedelta(hours=49))
    ]
    ((order_sn, text),) = delay_notices(found)
    assert order_sn == "P1" and "YT5550001112223" in text and "到达【杭州转运中心】" in text


def test_where_is_my_parcel_quotes_the_latest_trace(shipped):
    carrier = ScriptedCarrier()
    carrier.events["YT5550001112223"] = [RawTrace(NOW + timedelta(hours=2), "ARRIVAL", "到达【杭州转运中心】")]
    poll(due_shipments(now=NOW)[0], carrier, actor=ACTOR, now=NOW + timedelta(hours=3))
    reply = answer("快递到哪了", order_sn="P1")
    assert "最新物流：11月26日 12:00 到达【杭州转运中心】" in reply.text


@pytest.fixture
def stalling(shop, catalog):
    """Three parcels shipped at NOW: two with 圆通 to 浙江, one with 中通 to 新疆; a robot for stall alerts."""
    from dataclasses import replace

    from kuaifa.services.alerts import add_route, add_webhook

    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    near = make_order("S3", ("TEA-001", 1))
    far = replace(near.receiver, province="新疆维吾尔自治区", city="乌鲁木齐市", town="天山区")
    orders = [make_order("S1", ("TEA-001", 1)), make_order("S2", ("TEA-001", 1)), replace(near, receiver=far)]
    ingest_orders(shop, orders, source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    for sn, carrier, number in (("S1", 85, "YT5550000000001"), ("S2", 85, "YT5550000000002"),
                                ("S3", 115, "75300000000003")):  # fmt: skip
        ship_order(Order.objects.get(order_sn=sn).id, carrier=carrier, tracking_number=number, actor=ACTOR,
                   now=NOW, upload=False)  # fmt: skip
    add_webhook("物流群", "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", now=NOW)
    add_route("service", "物流群", kinds=["stalled"], now=NOW)


def test_stalled_parcels_raise_one_alert_per_carrier_and_province_once_a_day(stalling):
    from kuaifa.persistence.models import Alert, AlertDelivery
    from kuaifa.services.tracking import raise_stall_alerts

    carrier = ScriptedCarrier()
    carrier.events["YT5550000000002"] = [RawTrace(NOW + timedelta(hours=30), "ARRIVAL", "到达【杭州转运中心】")]
    for sid in due_shipments(now=NOW):
        poll(sid, carrier, actor=ACTOR, now=NOW + timedelta(hours=31))

    assert raise_stall_alerts(actor=ACTOR, now=NOW + timedelta(hours=47)) == []  # nobody silent for 48 h yet
    first = raise_stall_alerts(actor=ACTOR, now=NOW + timedelta(hours=49))
    assert sorted((a.details["carrier"], a.details["province"], a.details["orders"]) for a in first) == [
        ("YTO", "浙江省", ["S1"]),  # S2 moved at +30 h: silent only 19 h
        ("ZTO", "新疆维吾尔自治区", ["S3"]),
    ]
    assert {a.kind for a in first} == {"stalled"} and {a.severity for a in first} == {"warning"}
    zto = next(a for a in first if a.details["carrier"] == "ZTO")
    assert zto.title == "中通快递 × 新疆维吾尔自治区：1 个包裹已 48 小时没有物流更新"
    assert "S3 (75300000000003)" in zto.body
    # the team's robot is owed each of them
    assert AlertDelivery.objects.filter(webhook__name="物流群", stage="raised").count() == 2

    # polling again the same China day (NOW is 10:00 there) raises nothing
    assert raise_stall_alerts(actor=ACTOR, now=NOW + timedelta(hours=58)) == []
    # a later China day, the groups still stalled are raised once more, naming the parcels silent then (S2 too)
    next_day = raise_stall_alerts(actor=ACTOR, now=NOW + timedelta(hours=100))
    assert sorted((a.details["carrier"], a.details["orders"], a.severity) for a in next_day) == [
        ("YTO", ["S1", "S2"], "critical"),  # S1 silent 100 h: twice its limit, likely lost
        ("ZTO", ["S3"], "critical"),
    ]
    assert Alert.objects.filter(kind="stalled").count() == 4


def test_a_signed_parcel_raises_no_stall_alert_and_a_scope_sees_its_shops_only(stalling, shop):
    from kuaifa.services.catalog import add_shop
    from kuaifa.services.tracking import raise_stall_alerts

    carrier = ScriptedCarrier()
    for number in ("YT5550000000001", "YT5550000000002", "75300000000003"):
        carrier.events[number] = [RawTrace(NOW + timedelta(hours=5), "SIGN", "已签收")]
    for sid in due_shipments(now=NOW):
        poll(sid, carrier, actor=ACTOR, now=NOW + timedelta(hours=6))
    assert raise_stall_alerts(actor=ACTOR, now=NOW + timedelta(hours=200)) == []

    other = add_shop("别的店", now=NOW)
    assert stalled_parcels(now=NOW + timedelta(hours=200), shop_scope=frozenset({other.id})) == []
