"""Stock alerts through the database: held orders per SKU (bundles expanded), sales rate from shipments."""

from datetime import timedelta

import pytest

from kuaifa.persistence.models import Alert, Order
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from kuaifa.services.stock_alerts import raise_stock_alerts, stock_alerts
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def ingest(shop, *orders):
    ingest_orders(shop, list(orders), source=Order.Source.API, actor=ACTOR, now=NOW)


def test_held_orders_are_listed_under_the_sku_they_wait_for_with_their_breach_time(shop, catalog):
    # given 2 cups: one bundle order takes 1 cup + 2 tea; two cup orders wait
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    receive_stock("CUP-002", 1, actor=ACTOR, now=NOW)
    ingest(
        shop,
        make_order("GIFT", ("GIFT-SET", 1), ship_in_hours=2),
        make_order("CUP-A", ("CUP-002", 1), ship_in_hours=8),
        make_order("CUP-B", ("CUP-002", 2), ship_in_hours=20),
    )
    review_orders(actor=ACTOR, now=NOW)
    # when
    found = stock_alerts(now=NOW)
    # then only the cup is short: both waiting orders breach at their own ship-by
    assert [a.sku for a in found] == ["CUP-002"]
    cup = found[0]
    assert (cup.available, cup.waiting_units, cup.shortfall, cup.needed_by) == (0, 3, 3, NOW + timedelta(hours=8))
    assert [(v.order_sn, v.quantity, v.covered, v.ship_by) for v in cup.orders] == [
        ("CUP-A", 1, False, NOW + timedelta(hours=8)),
        ("CUP-B", 2, False, NOW + timedelta(hours=20)),
    ]


def test_recent_shipments_set_the_sales_rate(shop, catalog):
    receive_stock("TEA-001", 8, actor=ACTOR, now=NOW - timedelta(days=3))
    ingest(shop, make_order("S1", ("TEA-001", 7), ship_in_hours=2))
    review_orders(actor=ACTOR, now=NOW)
    ship_order(
        Order.objects.get(order_sn="S1").id,
        carrier=85,
        tracking_number="YT1234567890123",
        actor=ACTOR,
        now=NOW,
        upload=False,
    )
    found = stock_alerts(now=NOW, horizon_days=3, window_days=7)
    assert [(a.sku, a.available, a.daily_rate, a.days_of_cover, a.runs_out_soon) for a in found] == [
        ("TEA-001", 1, 1.0, 1.0, True)
    ]


def test_raising_stock_alerts_twice_on_one_day_raises_them_once(shop, catalog):
    ingest(shop, make_order("W1", ("TEA-001", 2), ship_in_hours=5))
    review_orders(actor=ACTOR, now=NOW)
    first = raise_stock_alerts(actor=ACTOR, now=NOW)
    again = raise_stock_alerts(actor=ACTOR, now=NOW + timedelta(hours=1))
    raised = [(a.key, a.severity, a.details["shortfall"]) for a in first]
    assert raised == [("stock:short:TEA-001:20261126", "warning", 2)]
    assert again == []
    assert Alert.objects.count() == 1
