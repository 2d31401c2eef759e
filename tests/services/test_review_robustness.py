"""Review never fails for everyone: one order's broken data holds that order alone, with the reason; and the
details review must get right (late mappings stored, old reasons dropped, a person's hold respected)."""

import pytest

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import BundleComponent, Order, OrderEvent, OrderLine, Reservation, Shop, Sku
from kuaifa.persistence.queries import ledger_problems
from kuaifa.services.catalog import add_shop, upsert_skus
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.orders import hold_order
from kuaifa.services.review import candidate_ids, review_chunk, review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def ingest(shop, *orders):
    ingest_orders(shop, list(orders), source=Order.Source.API, actor=ACTOR, now=NOW)


def statuses():
    return dict(Order.objects.values_list("order_sn", "status"))


def _corrupt_cycle(bundle_code: str, component_code: str) -> None:
    """What the import refuses, written straight into the database: ``bundle`` now contains ``component``."""
    BundleComponent.objects.create(
        bundle=Sku.objects.get(code=bundle_code), component=Sku.objects.get(code=component_code), quantity=1
    )


def test_an_order_with_a_bundle_cycle_is_held_and_every_other_order_is_reviewed(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    receive_stock("CUP-002", 10, actor=ACTOR, now=NOW)
    upsert_skus([SkuSpec("DUO", components=(("GIFT-SET", 1),))], now=NOW)
    _corrupt_cycle("GIFT-SET", "DUO")  # GIFT-SET → DUO → GIFT-SET
    ingest(
        shop,
        make_order("broken", ("DUO", 1), ship_in_hours=1),
        make_order("tea", ("TEA-001", 2), ship_in_hours=2),
        make_order("cup", ("CUP-002", 1), ship_in_hours=3),
    )

    report = review_orders(actor=ACTOR, now=NOW)

    assert statuses() == {"broken": OrderStatus.ON_HOLD, "tea": OrderStatus.ACCEPTED, "cup": OrderStatus.ACCEPTED}
    assert (report.reviewed, report.accepted, report.held, dict(report.reasons)) == (3, 2, 1, {"bundle_invalid": 1})
    broken = Order.objects.get(order_sn="broken")
    assert broken.hold_reasons == ["bundle_invalid"]
    event = OrderEvent.objects.get(order=broken, kind="reviewed")
    assert event.details["reasons"] == ["bundle_invalid"]
    assert event.details["problem"]["code"] == "inventory.bundle_cycle"
    assert event.details["problem"]["message"] == (
        "Bundle DUO → GIFT-SET → DUO contains itself: a bundle cannot contain itself, directly or through other "
        "bundles."
    )
    assert not Reservation.objects.filter(order=broken).exists()
    assert ledger_problems() == []


def test_an_order_held_for_a_broken_bundle_goes_through_once_the_catalogue_is_fixed(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    receive_stock("CUP-002", 10, actor=ACTOR, now=NOW)
    _corrupt_cycle("GIFT-SET", "GIFT-SET")
    ingest(shop, make_order("gift", ("GIFT-SET", 1)))
    review_orders(actor=ACTOR, now=NOW)
    assert Order.objects.get().hold_reasons == ["bundle_invalid"]

    # the merchant re-imports the bundle's right components: that marks the held order due for review
    upsert_skus([SkuSpec("GIFT-SET", name="礼盒", components=(("TEA-001", 2), ("CUP-002", 1)))], now=NOW)
    review_orders(actor=ACTOR, now=NOW)

    order = Order.objects.get()
    assert (order.status, order.hold_reasons) == (OrderStatus.ACCEPTED, [])
    assert dict(Reservation.objects.values_list("sku__code", "quantity")) == {"TEA-001": 2, "CUP-002": 1}


def test_a_shop_whose_stored_rules_are_broken_holds_its_own_orders_only(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    other = add_shop("另一店", now=NOW)
    Shop.objects.filter(id=other.id).update(review_rules=[{"code": "platform_risk", "enabled": False}])
    ingest(shop, make_order("good", ("TEA-001", 1)))
    ingest(other, make_order("bad-rules", ("TEA-001", 1)))

    report = review_orders(actor=ACTOR, now=NOW)

    assert statuses() == {"good": OrderStatus.ACCEPTED, "bad-rules": OrderStatus.ON_HOLD}
    assert Order.objects.get(order_sn="bad-rules").hold_reasons == ["data_invalid"]
    assert dict(report.reasons) == {"data_invalid": 1}
    event = OrderEvent.objects.get(order__order_sn="bad-rules", kind="reviewed")
    assert event.details["problem"]["code"] == "review.invalid_rule_config"


def test_a_stored_hold_reason_this_version_does_not_know_leaves_the_order_to_a_person(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    ingest(shop, make_order("odd", ("TEA-001", 1)), make_order("fine", ("TEA-001", 1)))
    Order.objects.filter(order_sn="odd").update(status=OrderStatus.ON_HOLD, hold_reasons=["from_the_future"])

    review_orders(actor=ACTOR, now=NOW)

    assert statuses() == {"odd": OrderStatus.ON_HOLD, "fine": OrderStatus.ACCEPTED}
    assert Order.objects.get(order_sn="odd").hold_reasons == ["from_the_future"]


def test_review_stores_a_late_sku_mapping_on_the_order_line(shop, catalog):
    ingest(shop, make_order("o1", ("LATE-SKU", 1)))
    review_orders(actor=ACTOR, now=NOW)
    assert OrderLine.objects.get().sku_id is None
    upsert_skus([SkuSpec("LATE-SKU")], now=NOW)
    receive_stock("LATE-SKU", 1, actor=ACTOR, now=NOW)

    review_orders(actor=ACTOR, now=NOW)

    line = OrderLine.objects.get()
    assert line.sku_id == Sku.objects.get(code="LATE-SKU").id
    assert list(Reservation.objects.values_list("line_id", "sku__code", "quantity")) == [(line.id, "LATE-SKU", 1)]


def test_an_accepted_order_keeps_none_of_its_old_hold_reasons(shop, catalog):
    ingest(shop, make_order("o1", ("TEA-001", 1)))
    review_orders(actor=ACTOR, now=NOW)
    assert Order.objects.get().hold_reasons == ["stock_insufficient"]
    receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)

    review_orders(actor=ACTOR, now=NOW)

    order = Order.objects.get()
    assert (order.status, order.hold_reasons) == (OrderStatus.ACCEPTED, [])


def test_an_order_a_person_holds_after_the_candidates_were_listed_is_not_reviewed(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest(shop, make_order("held-by-person", ("TEA-001", 1)), make_order("other", ("TEA-001", 1)))
    ids = candidate_ids()
    held = Order.objects.get(order_sn="held-by-person")
    hold_order(held.id, note="买家来电", actor=Actor.user("li"), now=NOW)  # between the listing and the chunk's lock

    report = review_chunk(ids, actor=ACTOR, now=NOW)

    assert (report.reviewed, report.accepted) == (1, 1)
    held.refresh_from_db()
    assert (held.status, held.hold_reasons) == (OrderStatus.ON_HOLD, ["manual"])
    assert not Reservation.objects.filter(order=held).exists()
    assert not OrderEvent.objects.filter(order=held, kind="reviewed").exists()
