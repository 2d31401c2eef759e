"""Intake: orders come in exactly once, newest copy wins, platform facts move our status."""

import hashlib
from dataclasses import replace
from datetime import timedelta

import pytest

from kuaifa.domain.orders.canonical import PlatformOrderStatus, PlatformRefundStatus
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, OrderLine, Reservation, Sku, StockLevel, StockMove
from kuaifa.services.fingerprints import fingerprint
from kuaifa.services.intake import ingest_orders, take_order
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order
from tests.services.test_order_counts import fresh as counted_counts
from tests.services.test_order_counts import kept as kept_counts

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


# --- digests stored by the first recipe, and updates that leave the indexed columns alone ---------------------


def _first_recipe(record) -> str:
    return hashlib.blake2b(repr(record).encode(), digest_size=16).hexdigest()


@pytest.mark.parametrize("one_at_a_time", [False, True], ids=["batch", "one-order path"])
def test_an_order_stored_with_a_first_recipe_digest_fetched_again_unchanged_is_not_rewritten(
    shop, catalog, one_at_a_time
):
    order = make_order("261126-000000000000001", ("TEA-001", 1))
    ingest(shop, order)
    Order.objects.update(fingerprint=_first_recipe(order))
    version = Order.objects.get().version

    def again(copy):
        if one_at_a_time:
            return take_order(shop, copy, source=Order.Source.API, actor=ACTOR, now=NOW)
        return ingest(shop, copy)

    report = again(order)
    stored = Order.objects.get()
    assert (report.unchanged, report.updated) == (1, 0)
    assert (stored.fingerprint, stored.version) == (_first_recipe(order), version)
    assert list(OrderEvent.objects.values_list("kind", flat=True)) == ["ingested"]

    changed = replace(order, buyer_memo="请发顺丰", updated_at=NOW + timedelta(minutes=1))
    report = again(changed)
    stored = Order.objects.get()
    assert report.updated == 1
    assert stored.buyer_memo == "请发顺丰" and stored.fingerprint == fingerprint(changed) != _first_recipe(changed)


def test_newer_copies_in_one_batch_store_every_field_whether_or_not_an_indexed_column_moves(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    sns = [f"261126-00000000000000{i}" for i in range(1, 5)]
    originals = [make_order(sn, ("TEA-001", 1)) for sn in sns]
    ingest(shop, *originals)
    review_orders(actor=ACTOR, now=NOW)
    before = {o.order_sn: o for o in Order.objects.all()}
    later = NOW + timedelta(minutes=5)
    memo, ship_by, shipped, refunded = (
        replace(originals[0], remark="加急", updated_at=later),  # nothing indexed moves
        replace(originals[1], last_ship_time=NOW + timedelta(hours=30), updated_at=later),  # the deadline moves
        replace(
            originals[2],
            order_status=PlatformOrderStatus.SHIPPED,
            shipped_at=later,
            tracking_number="YT1",
            updated_at=later,
        ),
        replace(originals[3], refund_status=PlatformRefundStatus.REFUNDED, updated_at=later),
    )

    report = ingest(shop, memo, ship_by, shipped, refunded)

    assert report.updated == 4
    after = {o.order_sn: o for o in Order.objects.all()}
    assert (after[sns[0]].remark, after[sns[0]].status, after[sns[0]].ship_by) == (
        "加急", OrderStatus.ACCEPTED, before[sns[0]].ship_by)  # fmt: skip
    assert after[sns[1]].ship_by == NOW + timedelta(hours=30)
    assert (after[sns[2]].status, after[sns[2]].shipped_at, after[sns[2]].tracking_number) == (
        OrderStatus.SHIPPED, later, "YT1")  # fmt: skip
    assert after[sns[3]].status == OrderStatus.CANCELLED
    for sn, copy in zip(sns, (memo, ship_by, shipped, refunded), strict=True):
        assert after[sn].fingerprint == fingerprint(copy)
        assert after[sn].platform_updated_at == later
        assert after[sn].version == before[sn].version + 1
    assert kept_counts() == counted_counts()
