"""Review and allocation through the database: fair, all-or-nothing, never oversold."""

from dataclasses import replace

import pytest

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, Reservation, StockLevel
from kuaifa.persistence.queries import ledger_problems
from kuaifa.services.catalog import set_review_rules, upsert_skus
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.orders import release_order
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def ingest(shop, *orders):
    ingest_orders(shop, list(orders), source=Order.Source.API, actor=ACTOR, now=NOW)


def statuses():
    return dict(Order.objects.values_list("order_sn", "status"))


def test_earliest_deadline_gets_the_last_unit(shop, catalog):
    receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)
    ingest(
        shop,
        make_order("A-later", ("TEA-001", 1), ship_in_hours=30, paid_minutes_ago=300),
        make_order("B-sooner", ("TEA-001", 1), ship_in_hours=5, paid_minutes_ago=10),
    )

    report = review_orders(actor=ACTOR, now=NOW)

    assert (report.accepted, report.held, dict(report.reasons)) == (1, 1, {"stock_insufficient": 1})
    assert statuses() == {"A-later": OrderStatus.ON_HOLD, "B-sooner": OrderStatus.ACCEPTED}


def test_an_order_short_of_one_sku_reserves_nothing_and_the_next_order_gets_the_stock(shop, catalog):
    receive_stock("TEA-001", 2, actor=ACTOR, now=NOW)
    ingest(
        shop,
        make_order("first", ("TEA-001", 2), ("CUP-002", 1), ship_in_hours=1),
        make_order("second", ("TEA-001", 2), ship_in_hours=2),
    )

    review_orders(actor=ACTOR, now=NOW)

    assert statuses() == {"first": OrderStatus.ON_HOLD, "second": OrderStatus.ACCEPTED}
    assert list(Reservation.objects.values_list("order__order_sn", "quantity")) == [("second", 2)]
    held = OrderEvent.objects.get(order__order_sn="first", kind="reviewed")
    assert held.details == {"reasons": ["stock_insufficient"], "missing": {"CUP-002": 1}}


def test_a_bundle_reserves_its_components(shop, catalog, django_capture_on_commit_callbacks):
    receive_stock("TEA-001", 4, actor=ACTOR, now=NOW)
    receive_stock("CUP-002", 1, actor=ACTOR, now=NOW)
    ingest(shop, make_order("gift", ("GIFT-SET", 2)))

    review_orders(actor=ACTOR, now=NOW)

    assert statuses() == {"gift": OrderStatus.ON_HOLD}  # needs 4 tea + 2 cups, only 1 cup
    with django_capture_on_commit_callbacks(execute=True):
        receive_stock("CUP-002", 1, actor=ACTOR, now=NOW)  # arrival re-reviews held orders after commit
    assert statuses() == {"gift": OrderStatus.ACCEPTED}
    assert dict(StockLevel.objects.values_list("sku__code", "reserved")) == {"TEA-001": 4, "CUP-002": 2}
    assert ledger_problems() == []


def test_stock_arrival_reviews_held_orders_earliest_deadline_first(shop, catalog, django_capture_on_commit_callbacks):
    ingest(
        shop,
        make_order("late", ("TEA-001", 1), ship_in_hours=40),
        make_order("urgent", ("TEA-001", 1), ship_in_hours=3),
    )
    review_orders(actor=ACTOR, now=NOW)
    assert set(statuses().values()) == {OrderStatus.ON_HOLD}

    with django_capture_on_commit_callbacks(execute=True):
        receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)

    assert statuses() == {"late": OrderStatus.ON_HOLD, "urgent": OrderStatus.ACCEPTED}


def test_every_rule_that_fails_is_listed_in_rule_order(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    order = make_order("o1", ("TEA-001", 1), ("NOPE", 1), buyer_memo="请发顺丰", ship_hold=True, risk_control_status=1)
    ingest(shop, order)

    review_orders(actor=ACTOR, now=NOW)

    stored = Order.objects.get()
    assert stored.hold_reasons == ["platform_risk", "ship_hold", "sku_unmapped", "buyer_memo"]
    assert Reservation.objects.count() == 0


def test_buyer_memo_keywords_hold_only_matching_memos(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    set_review_rules(shop.id, [{"code": "buyer_memo", "params": {"keywords": ["顺丰", "发票"]}}])
    ingest(
        shop,
        make_order("plain", ("TEA-001", 1), buyer_memo="谢谢老板"),
        make_order("sf", ("TEA-001", 1), buyer_memo="请发顺丰"),
    )

    review_orders(actor=ACTOR, now=NOW)

    assert statuses() == {"plain": OrderStatus.ACCEPTED, "sf": OrderStatus.ON_HOLD}


def test_a_released_memo_order_is_not_held_again_for_its_memo(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest(shop, make_order("memo", ("TEA-001", 1), buyer_memo="请发顺丰"))
    review_orders(actor=ACTOR, now=NOW)
    order = Order.objects.get()

    release_order(order.id, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)

    order.refresh_from_db()
    assert (order.status, order.waived_reasons) == (OrderStatus.ACCEPTED, ["buyer_memo"])


def test_amount_outside_the_shop_limits_is_held(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    set_review_rules(shop.id, [{"code": "amount_anomaly", "params": {"max_pay_fen": 1500}}])
    ingest(shop, make_order("cheap", ("TEA-001", 1)), make_order("dear", ("TEA-001", 2)))

    review_orders(actor=ACTOR, now=NOW)

    assert statuses() == {"cheap": OrderStatus.ACCEPTED, "dear": OrderStatus.ON_HOLD}


def test_disabling_a_mandatory_rule_is_refused(shop):
    from kuaifa.domain.shared.errors import InvalidRuleConfig

    with pytest.raises(InvalidRuleConfig) as refused:
        set_review_rules(shop.id, [{"code": "platform_risk", "enabled": False}])

    assert refused.value.code == "review.invalid_rule_config"
    shop.refresh_from_db()
    assert shop.review_rules == []


def test_an_unmapped_order_is_accepted_once_the_sku_exists(shop, catalog, django_capture_on_commit_callbacks):
    from kuaifa.domain.inventory.catalog import SkuSpec

    ingest(shop, make_order("o1", ("LATE-SKU", 1)))
    review_orders(actor=ACTOR, now=NOW)
    assert Order.objects.get().hold_reasons == ["sku_unmapped"]

    upsert_skus([SkuSpec("LATE-SKU")], now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        receive_stock("LATE-SKU", 1, actor=ACTOR, now=NOW)

    assert Order.objects.get().status == OrderStatus.ACCEPTED


def test_reviewing_again_changes_nothing_and_records_nothing(shop, catalog):
    ingest(shop, make_order("o1", ("TEA-001", 1)))
    review_orders(actor=ACTOR, now=NOW)
    events_before = OrderEvent.objects.count()
    version_before = Order.objects.get().version

    order_id = Order.objects.get().id
    report = review_orders(actor=ACTOR, now=NOW, order_ids=[order_id])  # named: reviewed although nothing changed

    assert (report.reviewed, report.held) == (1, 1)
    assert OrderEvent.objects.count() == events_before
    assert Order.objects.get().version == version_before


def test_multi_warehouse_stock_is_drawn_in_priority_order(shop, catalog):
    from kuaifa.persistence.models import Warehouse

    Warehouse.objects.create(code="WEST", name="西仓", priority=1)  # reference data; MAIN has priority 100
    receive_stock("TEA-001", 1, warehouse="WEST", actor=ACTOR, now=NOW)
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest(shop, make_order("o1", ("TEA-001", 3)))

    review_orders(actor=ACTOR, now=NOW)

    reserved = dict(StockLevel.objects.values_list("warehouse__code", "reserved"))
    assert reserved == {"WEST": 1, "MAIN": 2}


def test_replacing_nothing_in_a_chunked_run_keeps_global_deadline_order(shop, catalog):
    receive_stock("TEA-001", 3, actor=ACTOR, now=NOW)
    orders = [make_order(f"o{i:02d}", ("TEA-001", 1), ship_in_hours=50 - i) for i in range(10)]
    ingest(shop, *orders)

    review_orders(actor=ACTOR, now=NOW, chunk=2)

    accepted = sorted(sn for sn, status in statuses().items() if status == OrderStatus.ACCEPTED)
    assert accepted == ["o07", "o08", "o09"]
    assert ledger_problems() == []


def test_a_reissue_copies_the_order_and_needs_no_payment(shop, catalog):
    from kuaifa.services.orders import create_reissue_order

    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest(shop, replace(make_order("orig", ("TEA-001", 2)), buyer_memo=""))

    reissue = create_reissue_order(Order.objects.get(order_sn="orig").id, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)

    reissue.refresh_from_db()
    assert (reissue.order_sn, reissue.source, reissue.pay_amount) == ("orig-R1", "reissue", 0)
    assert reissue.status == OrderStatus.ACCEPTED
    assert reissue.province == "浙江省"
