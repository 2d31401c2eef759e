"""The SLA sweep with a controlled clock, the at-risk queue and dispatch waves, through the database."""

from dataclasses import replace
from datetime import timedelta

import pytest

from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.sla.alerts import SetApart
from kuaifa.persistence.models import Alert, AlertDelivery, Order, OrderEvent, WaveOrder
from kuaifa.services.alerts import add_route, add_webhook
from kuaifa.services.errors import InvalidInput
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from kuaifa.services.sla import at_risk_queue, create_dispatch_waves, set_policy, sweep
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def ingest(shop, *orders):
    ingest_orders(shop, list(orders), source=Order.Source.API, actor=ACTOR, now=NOW)


def alert_keys() -> list[tuple[str, str]]:
    return sorted(Alert.objects.values_list("order__order_sn", "details__mark"))


def test_the_sweep_raises_each_threshold_once_as_the_clock_moves(shop, catalog):
    # given an order due 30 h from now
    ingest(shop, replace(make_order("A", ("TEA-001", 1), ship_in_hours=30), pay_amount_fen=9_900))
    # when the clock moves across every threshold, sweeping twice at each step
    raised = []
    for hours in (0, 6, 6, 24, 24.5, 29, 29, 30, 31, 31):
        raised.append(sweep(actor=ACTOR, now=NOW + timedelta(hours=hours)).raised)
    # then each threshold alerted exactly once, when it was crossed
    assert raised == [0, 1, 0, 1, 0, 1, 0, 1, 0, 0]
    assert alert_keys() == [("A", "T-1h"), ("A", "T-24h"), ("A", "T-6h"), ("A", "overdue")]
    assert sorted(Alert.objects.values_list("severity", flat=True)) == ["critical", "critical", "info", "warning"]
    assert OrderEvent.objects.filter(order__order_sn="A", kind="alert_raised").count() == 4


def test_an_order_first_seen_overdue_raises_every_threshold_in_one_sweep(shop, catalog):
    ingest(shop, make_order("LATE", ("TEA-001", 1), ship_in_hours=-2))
    report = sweep(actor=ACTOR, now=NOW)
    assert report.raised == 4
    assert report.at_risk == {"overdue": 1}
    overdue = Alert.objects.get(details__mark="overdue")
    assert "LATE" in overdue.title and "¥3.00" in overdue.body  # the ¥3 floor on a ¥10 order


def test_platform_held_orders_are_listed_apart_and_never_alarmed(shop, catalog):
    ingest(
        shop,
        make_order("RISK", ("TEA-001", 1), ship_in_hours=-1, risk_control_status=1),
        make_order("HOLD", ("TEA-001", 1), ship_in_hours=0.5, ship_hold=True),
    )
    report = sweep(actor=ACTOR, now=NOW)
    assert report.raised == 0
    assert not Alert.objects.exists()
    assert {(w.order_sn, w.assessment.set_apart) for w in report.set_apart} == {
        ("RISK", SetApart.RISK_REVIEW),
        ("HOLD", SetApart.SHIP_HOLD),
    }


def test_shipped_and_cancelled_orders_are_not_watched(shop, catalog):
    ingest(shop, make_order("GONE", ("TEA-001", 1), ship_in_hours=-5))
    Order.objects.filter(order_sn="GONE").update(status=OrderStatus.SHIPPED)
    assert sweep(actor=ACTOR, now=NOW).watched == 0
    assert not Alert.objects.exists()


def test_a_shop_policy_sets_its_own_thresholds_and_penalty(shop, catalog):
    set_policy(shop.name, marks_minutes=[120], penalty_basis_points=1000, penalty_min_fen=0, now=NOW)
    ingest(shop, replace(make_order("B", ("TEA-001", 3), ship_in_hours=1.5), pay_amount_fen=20_000))
    sweep(actor=ACTOR, now=NOW)
    assert alert_keys() == [("B", "T-2h")]
    assert Alert.objects.get().details["penalty_fen"] == 2_000


def test_a_bad_policy_is_refused_and_nothing_saved(shop):
    with pytest.raises(InvalidInput):
        set_policy(shop.name, escalate_after_minutes=0, now=NOW)
    from kuaifa.domain.sla.alerts import InvalidSlaPolicy

    with pytest.raises(InvalidSlaPolicy):
        set_policy(shop.name, penalty_min_fen=500, penalty_max_fen=100, now=NOW)
    from kuaifa.persistence.models import ShopSlaPolicy

    assert not ShopSlaPolicy.objects.exists()


def test_raised_alerts_are_owed_to_the_routed_webhooks_only(shop, catalog):
    add_webhook("ops", "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", now=NOW)
    add_webhook("boss", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", secret="s", now=NOW)
    add_route("仓库", "ops", kinds=["sla"], min_severity="warning", now=NOW)
    add_route("管理", "boss", on_escalation=True, now=NOW)
    ingest(shop, make_order("C", ("TEA-001", 1), ship_in_hours=5))
    sweep(actor=ACTOR, now=NOW)  # crosses T-24h (info) and T-6h (warning)
    owed = list(AlertDelivery.objects.values_list("alert__details__mark", "webhook__name", "stage"))
    assert owed == [("T-6h", "ops", "raised")]


def queue_orders(shop):
    """Four accepted orders, one minute of packing each at 60 parcels/hour: two due in 1 min, two in 2 min.
    Deadline order packs W, X, Y, Z and only W makes it; paid order is Z, Y, X, W."""
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    ingest(
        shop,
        make_order("W", ("TEA-001", 1), ship_in_hours=1 / 60, paid_minutes_ago=10),
        make_order("X", ("TEA-001", 1), ship_in_hours=1 / 60, paid_minutes_ago=15),
        make_order("Y", ("TEA-001", 1), ship_in_hours=2 / 60, paid_minutes_ago=20),
        make_order("Z", ("TEA-001", 1), ship_in_hours=2 / 60, paid_minutes_ago=30),
        make_order("HELD", ("TEA-001", 1), ship_in_hours=1, ship_hold=True),
    )
    review_orders(actor=ACTOR, now=NOW)


def test_the_queue_saves_the_most_and_lists_platform_holds_apart(shop, catalog):
    queue_orders(shop)
    queue = at_risk_queue(capacity_per_hour=60, now=NOW)
    assert [(e.watched.order_sn, e.saved) for e in queue.entries] == [
        ("W", True),
        ("Y", True),
        ("X", False),
        ("Z", False),
    ]
    assert (queue.late, queue.late_edd, queue.late_fifo) == (2, 3, 2)
    assert queue.penalty_at_stake_fen == 600
    assert [(w.order_sn, w.status) for w in queue.set_apart] == [("HELD", OrderStatus.ON_HOLD)]
    assert "not publish" in queue.penalty_note


def test_dispatch_waves_put_the_saveable_orders_first(shop, catalog):
    queue_orders(shop)
    waves = create_dispatch_waves(WaveRule(horizon=timedelta(hours=24)), capacity_per_hour=60, actor=ACTOR, now=NOW)
    assert [sorted(WaveOrder.objects.filter(wave=w).values_list("order__order_sn", flat=True)) for w in waves] == [
        ["W", "Y"],
        ["X", "Z"],
    ]
    assert Order.objects.get(order_sn="HELD").status == OrderStatus.ON_HOLD
