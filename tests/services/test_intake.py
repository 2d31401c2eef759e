"""Intake: orders come in exactly once, newest copy wins, platform facts move our status."""

from dataclasses import replace
from datetime import timedelta

import pytest

from kuaifa.domain.orders.canonical import PlatformOrderStatus, PlatformRefundStatus
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, OrderLine, Reservation, Sku, StockLevel, StockMove
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def ingest(shop, *orders, **kwargs):
    return ingest_orders(shop, list(orders), source=Order.Source.API, actor=ACTOR, now=NOW, **kwargs)


def test_the_same_order_twice_is_stored_once(shop, catalog):
    order = make_order("261126-000000000000001", ("TEA-001", 1))

    first = ingest(shop, order)
    second = ingest(shop, order)

    assert (first.created, second.created, second.unchanged) == (1, 0, 1)
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 1
    assert list(OrderEvent.objects.values_list("kind", flat=True)) == ["ingested"]


def test_a_duplicate_inside_one_batch_keeps_the_newest_copy(shop, catalog):
    old = make_order("261126-000000000000001", ("TEA-001", 1), buyer_memo="old")
    new = replace(old, buyer_memo="new", updated_at=NOW + timedelta(minutes=5))

    report = ingest(shop, new, old)

    assert report.created == 1
    assert Order.objects.get().buyer_memo == "new"


def test_an_older_copy_never_overwrites_a_newer_one(shop, catalog):
    newer = make_order("261126-000000000000001", ("TEA-001", 1), buyer_memo="newer", updated_at=NOW)
    older = replace(newer, buyer_memo="older", updated_at=NOW - timedelta(minutes=10))
    ingest(shop, newer)

    report = ingest(shop, older)

    assert (report.stale, report.updated) == (1, 0)
    assert Order.objects.get().buyer_memo == "newer"


def test_lines_map_by_merchant_code_else_by_platform_listing(shop, catalog):
    from kuaifa.services.catalog import map_platform_sku

    map_platform_sku(shop.id, "G1", "S1", "CUP-002")
    by_code = make_order("261126-000000000000001", ("TEA-001", 1))
    by_listing = replace(
        make_order("261126-000000000000002", ("", 1)),
        lines=(replace(make_order("x", ("", 1)).lines[0], goods_id="G1", platform_sku_id="S1"),),
    )
    unknown = make_order("261126-000000000000003", ("NOPE-404", 1))

    ingest(shop, by_code, by_listing, unknown)

    skus = dict(OrderLine.objects.values_list("order__order_sn", "sku__code"))
    assert skus == {
        "261126-000000000000001": "TEA-001",
        "261126-000000000000002": "CUP-002",
        "261126-000000000000003": None,
    }


def test_export_imports_may_create_missing_skus_flagged_incomplete(shop, catalog):
    ingest(shop, make_order("261126-000000000000001", ("NEW-777", 2)), create_missing_skus=True)

    sku = Sku.objects.get(code="NEW-777")
    assert sku.incomplete is True
    assert OrderLine.objects.get().sku == sku


def test_a_refund_before_shipping_cancels_and_releases_the_reservation(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    order = make_order("261126-000000000000001", ("TEA-001", 2))
    ingest(shop, order)
    review_orders(actor=ACTOR, now=NOW)
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 2

    ingest(shop, replace(order, refund_status=PlatformRefundStatus.REFUNDED, updated_at=NOW + timedelta(minutes=1)))

    stored = Order.objects.get()
    assert stored.status == OrderStatus.CANCELLED
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 0
    assert list(Reservation.objects.values_list("state", flat=True)) == ["released"]


def test_a_risk_review_arriving_after_acceptance_holds_the_order_and_frees_its_stock(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    order = make_order("261126-000000000000001", ("TEA-001", 1))
    ingest(shop, order)
    review_orders(actor=ACTOR, now=NOW)

    ingest(shop, replace(order, risk_control_status=1, updated_at=NOW + timedelta(minutes=1)))

    stored = Order.objects.get()
    assert (stored.status, stored.hold_reasons) == (OrderStatus.ON_HOLD, ["platform_risk"])
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 0


def test_when_the_platform_clears_its_review_the_order_goes_back_to_review(shop, catalog):
    order = make_order("261126-000000000000001", ("TEA-001", 1), risk_control_status=1)
    ingest(shop, order)
    review_orders(actor=ACTOR, now=NOW)
    assert Order.objects.get().status == OrderStatus.ON_HOLD

    ingest(shop, replace(order, risk_control_status=0, updated_at=NOW + timedelta(minutes=1)))

    assert Order.objects.get().status == OrderStatus.NEW


def test_a_parcel_shipped_from_the_back_office_consumes_the_reservation(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    order = make_order("261126-000000000000001", ("TEA-001", 2))
    ingest(shop, order)
    review_orders(actor=ACTOR, now=NOW)

    ingest(shop, replace(order, order_status=PlatformOrderStatus.SHIPPED, updated_at=NOW + timedelta(minutes=1)))

    level = StockLevel.objects.get(sku__code="TEA-001")
    assert Order.objects.get().status == OrderStatus.SHIPPED
    assert (level.on_hand, level.reserved) == (3, 0)
    assert list(StockMove.objects.filter(kind="ship").values_list("quantity", flat=True)) == [-2]


def test_orders_first_seen_already_shipped_or_cancelled_take_no_stock(shop, catalog):
    shipped = make_order("261126-000000000000001", ("TEA-001", 1), order_status=PlatformOrderStatus.SHIPPED)
    refunded = make_order("261126-000000000000002", ("TEA-001", 1), refund_status=PlatformRefundStatus.REFUNDED)

    ingest(shop, shipped, refunded)
    review_orders(actor=ACTOR, now=NOW)

    assert dict(Order.objects.values_list("order_sn", "status")) == {
        "261126-000000000000001": OrderStatus.SHIPPED,
        "261126-000000000000002": OrderStatus.CANCELLED,
    }
    assert Reservation.objects.count() == 0


def test_ship_by_comes_from_the_platform_else_from_the_shop_promise(shop, catalog):
    with_deadline = make_order("261126-000000000000001", ("TEA-001", 1), ship_in_hours=10)
    without = replace(make_order("261126-000000000000002", ("TEA-001", 1)), last_ship_time=None)

    ingest(shop, with_deadline, without)

    deadlines = dict(Order.objects.values_list("order_sn", "ship_by"))
    assert deadlines["261126-000000000000001"] == NOW + timedelta(hours=10)
    assert deadlines["261126-000000000000002"] == without.paid_at + timedelta(hours=48)


def test_an_order_shipped_from_the_back_office_before_review_still_takes_its_units_off_the_shelf(shop, catalog):
    receive_stock("TEA-001", 3, actor=ACTOR, now=NOW)
    order = make_order("261126-000000000000001", ("GIFT-SET", 1))  # 2 × TEA-001 + 1 × CUP-002, never reviewed
    ingest(shop, order)

    ingest(shop, replace(order, order_status=PlatformOrderStatus.SHIPPED, updated_at=NOW + timedelta(minutes=1)))

    assert Order.objects.get().status == OrderStatus.SHIPPED
    assert StockLevel.objects.get(sku__code="TEA-001").on_hand == 1
    unaccounted = OrderEvent.objects.get(kind="stock_unaccounted")
    assert unaccounted.details == {"missing": {"CUP-002": 1}}  # no cup was on any shelf: said, not hidden


def test_units_shipped_outside_kuaifa_are_taken_back_from_the_latest_deadline(shop, catalog):
    receive_stock("TEA-001", 2, actor=ACTOR, now=NOW)
    reserved = make_order("261126-000000000000002", ("TEA-001", 2), ship_in_hours=40)
    ingest(shop, reserved)
    review_orders(actor=ACTOR, now=NOW)
    shipped_elsewhere = make_order("261126-000000000000003", ("TEA-001", 1), risk_control_status=1)
    ingest(shop, shipped_elsewhere)

    ingest(shop, replace(shipped_elsewhere, order_status=PlatformOrderStatus.SHIPPED,
                         updated_at=NOW + timedelta(minutes=1)))  # fmt: skip

    level = StockLevel.objects.get(sku__code="TEA-001")
    assert (level.on_hand, level.reserved) == (1, 0)
    assert Order.objects.get(order_sn="261126-000000000000002").hold_reasons == ["stock_insufficient"]
