"""The order counts the database keeps equal a fresh count of the orders after any mix of writes, folded or not."""

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from django.db.models import F

from kuaifa.domain.aftersales.canonical import CanonicalCase, CaseGoods, CaseType
from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.inventory.catalog import StockCount
from kuaifa.domain.orders.canonical import Receiver
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence import order_counts, queries_web
from kuaifa.persistence.models import Order, OrderCount, OrderCountDelta
from kuaifa.services.aftersales import upsert_cases
from kuaifa.services.catalog import add_shop
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock, stocktake
from kuaifa.services.orders import ManualLine, cancel_order, create_manual_order, hold_order, release_order
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from kuaifa.services.waves import create_waves
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def fresh() -> Counter:
    """What the counts must say, counted from the orders themselves."""
    expected: Counter = Counter()
    for o in Order.objects.all():
        created = o.created_at.astimezone(CHINA).date()
        expected[(o.shop_id, created, "status", o.status)] += 1
        if o.shipped_at is not None:
            late = o.ship_by is not None and o.shipped_at > o.ship_by
            expected[(o.shop_id, o.shipped_at.astimezone(CHINA).date(), "shipped", "late" if late else "on_time")] += 1
        if o.status == "ON_HOLD":
            for reason in o.hold_reasons or ["manual"]:
                expected[(o.shop_id, created, "held", reason)] += 1
        if o.status in order_counts.OPEN_STATUSES and o.ship_by is not None:
            due = o.ship_by.astimezone(CHINA)
            expected[(o.shop_id, due.date(), "due", f"{due.hour:02d}")] += 1
    return +expected


def kept() -> Counter:
    counts: Counter = Counter()
    for row in [*OrderCount.objects.all(), *OrderCountDelta.objects.all()]:
        counts[(row.shop_id, row.day, row.kind, row.key)] += row.n
    return +counts


def refund_case(order_sn: str, status: int, minutes: int) -> CanonicalCase:
    return CanonicalCase(
        after_sales_id=f"R-{order_sn}", order_sn=order_sn, case_type=CaseType.REFUND_ONLY, platform_status=status,
        refund_amount_fen=1000, created_at=NOW - timedelta(hours=1), updated_at=NOW + timedelta(minutes=minutes),
        goods=CaseGoods(outer_id="TEA-001", quantity=1),
    )  # fmt: skip


def test_counts_follow_ingest_review_hold_release_cancel_ship_refund_and_stocktake(shop, catalog):
    other = add_shop("第二店", now=NOW)
    receive_stock("TEA-001", 20, actor=ACTOR, now=NOW)
    receive_stock("CUP-002", 3, actor=ACTOR, now=NOW)
    yesterday = NOW - timedelta(hours=20)  # 14:00 the day before in Shanghai
    ingest_orders(shop, [make_order("C-03", ("CUP-002", 2)), make_order("C-07", ("TEA-001", 1))],
                  source=Order.Source.API, actor=ACTOR, now=yesterday)  # fmt: skip
    ingest_orders(shop, [
        make_order("C-01", ("TEA-001", 1), ship_in_hours=1),
        make_order("C-02", ("TEA-001", 2)),
        make_order("C-04", ("CUP-002", 5)),  # short: held
        make_order("C-05", ("TEA-001", 1), buyer_memo="请发顺丰"),  # held for the memo
        make_order("C-06", ("GIFT-SET", 1)),
        make_order("C-08", ("NOPE-404", 1)),  # unmapped: held
        make_order("C-09", ("TEA-001", 1)),
    ], source=Order.Source.API, actor=ACTOR, now=NOW)  # fmt: skip
    ingest_orders(other, [make_order("C-01", ("TEA-001", 1)), make_order("X-02", ("CUP-002", 1))],
                  source=Order.Source.API, actor=ACTOR, now=NOW)  # fmt: skip
    assert kept() == fresh()
    review_orders(actor=ACTOR, now=NOW)
    assert kept() == fresh()
    order = {o.order_sn: o.id for o in Order.objects.filter(shop=shop)}

    hold_order(order["C-02"], note="买家要改地址", actor=ACTOR, now=NOW)
    release_order(order["C-02"], actor=ACTOR, now=NOW)
    hold_order(order["C-07"], actor=ACTOR, now=NOW)
    cancel_order(order["C-09"], note="买家取消", actor=ACTOR, now=NOW)
    ship_order(order["C-01"], carrier=85, tracking_number="YT5550001112201", actor=ACTOR,
               now=NOW + timedelta(hours=2), upload=False)  # after its ship-by: late  # fmt: skip
    ship_order(order["C-03"], carrier=85, tracking_number="YT5550001112202", actor=ACTOR, now=NOW, upload=False)
    assert kept() == fresh()

    order_counts.fold()
    assert kept() == fresh()
    assert not OrderCountDelta.objects.exists()

    upsert_cases(shop, [refund_case("C-06", 2, 1)], actor=ACTOR, now=NOW)  # refund asked before shipping: held
    assert Order.objects.get(id=order["C-06"]).status == "ON_HOLD"
    upsert_cases(shop, [refund_case("C-06", 10, 2)], actor=ACTOR, now=NOW)  # refunded: cancelled
    assert Order.objects.get(id=order["C-06"]).status == "CANCELLED"
    stocktake([StockCount("TEA-001", "MAIN", 0)], actor=ACTOR, now=NOW)  # the shelf was empty: reserved orders held
    ingest_orders(shop, [replace(make_order("C-05", ("TEA-001", 1)), updated_at=NOW + timedelta(minutes=5))],
                  source=Order.Source.API, actor=ACTOR, now=NOW)  # the memo removed on the platform  # fmt: skip
    review_orders(actor=ACTOR, now=NOW + timedelta(minutes=6))
    receiver = Receiver(province="上海市", city="上海市", town="浦东新区", name="张三丰", phone="13800001234",
                        address="世纪大道1号")  # fmt: skip
    create_manual_order(shop, [ManualLine("CUP-002", 1)], receiver, actor=ACTOR, now=NOW)
    assert kept() == fresh()
    # moves between open statuses (NEW → ACCEPTED → PICKING) leave an order's ship-by hour where it was; a new
    # ship-by of an open order moves it, one of a shipped order does not
    review_orders(actor=ACTOR, now=NOW + timedelta(minutes=7))
    create_waves(WaveRule(horizon=timedelta(days=30), max_orders=100), actor=ACTOR, now=NOW)
    assert Order.objects.filter(status="PICKING").exists()
    assert kept() == fresh()
    Order.objects.filter(status__in=["PICKING", "ON_HOLD"]).update(ship_by=F("ship_by") + timedelta(hours=3))
    Order.objects.filter(status="SHIPPED").update(ship_by=F("ship_by") + timedelta(hours=1))
    assert kept() == fresh()
    order_counts.fold()
    order_counts.fold()  # nothing new: nothing changes
    assert kept() == fresh()
    assert OrderCount.objects.filter(n=0).count() == 0

    Order.objects.filter(id=order["C-08"]).delete()  # not something Kuaifa does, but the counts follow even that
    assert kept() == fresh()


def test_no_orders_left_means_no_counts_left(shop, catalog):
    """A test database is emptied table by table in any order: the counts must not keep the orders' last deltas."""
    ingest_orders(shop, [make_order("E-01", ("TEA-001", 1)), make_order("E-02", ("CUP-002", 1))],
                  source=Order.Source.API, actor=ACTOR, now=NOW)  # fmt: skip
    OrderCount.objects.all().delete()
    Order.objects.all().delete()
    assert not OrderCount.objects.exists() and not OrderCountDelta.objects.exists()


def test_the_dashboard_reads_the_counts(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest_orders(shop, [make_order("D-03", ("CUP-002", 1))], source=Order.Source.API, actor=ACTOR,
                  now=NOW - timedelta(hours=20))  # fmt: skip
    ingest_orders(shop, [make_order("D-01", ("TEA-001", 1)), make_order("D-02", ("TEA-001", 1), buyer_memo="快")],
                  source=Order.Source.API, actor=ACTOR, now=NOW)  # fmt: skip
    review_orders(actor=ACTOR, now=NOW)
    order_counts.fold()  # what follows stays in deltas: the reads add both
    d01 = Order.objects.get(order_sn="D-01").id
    ship_order(d01, carrier=85, tracking_number="YT5550001112299", actor=ACTOR, now=NOW, upload=False)

    counts = order_counts.dashboard_counts(frozenset(), today=NOW.astimezone(CHINA).date())

    assert counts.created_today == 2  # D-03 came in yesterday, Shanghai time
    assert counts.open_by_status == {"ON_HOLD": 2}
    assert (counts.shipped_on_time_today, counts.shipped_late_today) == (1, 0)
    assert counts.held_by_reason == {"buyer_memo": 1, "stock_insufficient": 1}
    assert order_counts.dashboard_counts(frozenset({shop.id + 1}), today=NOW.date()).open_by_status == {}


def live_risk(now, scope=frozenset()) -> tuple[int, int, int]:
    """The ship-by risk counted from every open order, as the dashboard counted it before the kept hours."""
    overdue = urgent = due_soon = 0
    for o in Order.objects.filter(status__in=order_counts.OPEN_STATUSES, ship_by__isnull=False):
        if scope and o.shop_id not in scope:
            continue
        left = o.ship_by - now
        overdue += left <= timedelta(0)
        urgent += timedelta(0) < left <= timedelta(hours=6)
        due_soon += timedelta(hours=6) < left <= timedelta(hours=24)
    return overdue, urgent, due_soon


def test_the_ship_by_risk_from_kept_hours_equals_a_live_count_after_a_mixed_workload(shop, catalog):
    """Open orders per ship-by hour are kept; the risk adds whole hours and counts the three edge hours live. After
    ingests, reviews, holds, ship-by changes, shipping, cancelling and a bulk update — folded or not — it equals
    counting every open order, whatever the minute of ``now`` (on the hour, on an order's own ship-by)."""
    other = add_shop("第二店", now=NOW)
    receive_stock("TEA-001", 30, actor=ACTOR, now=NOW)
    due_in = [-30, -7.5, -1, -0.25, 0, 0.5, 1, 5.75, 6, 6.25, 7, 12, 23.5, 24, 24.5, 30, 50]  # hours after NOW
    ingest_orders(shop, [make_order(f"R-{i:02d}", ("TEA-001", 1), ship_in_hours=h) for i, h in enumerate(due_in)],
                  source=Order.Source.API, actor=ACTOR, now=NOW)  # fmt: skip
    ingest_orders(other, [make_order("R-90", ("CUP-002", 1), ship_in_hours=3),
                          make_order("R-91", ("TEA-001", 1), ship_in_hours=-2)],
                  source=Order.Source.API, actor=ACTOR, now=NOW)  # fmt: skip
    review_orders(actor=ACTOR, now=NOW)
    order = {o.order_sn: o.id for o in Order.objects.filter(shop=shop)}
    assert kept() == fresh()
    order_counts.fold()  # part of what follows folded, part left in deltas

    hold_order(order["R-03"], note="改地址", actor=ACTOR, now=NOW)  # held orders stay open
    cancel_order(order["R-05"], note="买家取消", actor=ACTOR, now=NOW)  # no longer counted
    ship_order(order["R-06"], carrier=85, tracking_number="YT5550001113301", actor=ACTOR, now=NOW, upload=False)
    ingest_orders(shop, [replace(make_order("R-10", ("TEA-001", 1), ship_in_hours=2), updated_at=NOW +
                                 timedelta(minutes=5))], source=Order.Source.API, actor=ACTOR, now=NOW)  # fmt: skip
    Order.objects.filter(id__in=[order["R-12"], order["R-13"]]).update(ship_by=NOW + timedelta(hours=5, minutes=59))
    Order.objects.filter(id=order["R-14"]).update(status="SHIPPED", ship_by=NOW - timedelta(hours=1))
    assert kept() == fresh()
    assert Order.objects.get(id=order["R-10"]).ship_by == NOW + timedelta(hours=2)  # the platform moved it

    ship_by = Order.objects.get(id=order["R-02"]).ship_by
    moments = [
        NOW,
        NOW + timedelta(minutes=30),
        NOW - timedelta(seconds=1),
        ship_by,
        NOW + timedelta(hours=7, minutes=1),
    ]
    for now in moments:
        risk = queries_web.dashboard(frozenset(), now=now, today=now.astimezone(CHINA).date()).risk
        assert (risk.overdue, risk.urgent, risk.due_soon) == live_risk(now), now
        mine = queries_web.ship_by_risk(frozenset({other.id}), now=now)
        assert (mine.overdue, mine.urgent, mine.due_soon) == live_risk(now, frozenset({other.id})), now
    risk = queries_web.ship_by_risk(frozenset(), now=NOW)
    # overdue R-00…04 (R-04 due this very moment) and R-91; within 6 h R-07, 08, 10, 12, 13, R-90; then R-09, 11
    assert (risk.overdue, risk.urgent, risk.due_soon) == (6, 6, 2)

    order_counts.fold()
    assert kept() == fresh()
    for now in moments:
        risk = queries_web.ship_by_risk(frozenset(), now=now)
        assert (risk.overdue, risk.urgent, risk.due_soon) == live_risk(now), now
