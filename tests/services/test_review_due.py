"""Held orders are looked at again only when something that held them changed (services.review_due)."""

import pytest

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence import review_rows
from kuaifa.persistence.models import Order, OrderEvent, Sku
from kuaifa.services.catalog import map_platform_sku, set_review_rules, upsert_skus
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.orders import cancel_order
from kuaifa.services.review import review_orders
from kuaifa.services.review_due import mark_due_for_skus
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def ingest(shop, *orders):
    ingest_orders(shop, list(orders), source=Order.Source.API, actor=ACTOR, now=NOW)


def due():
    return dict(Order.objects.values_list("order_sn", "review_due"))


def test_a_held_order_is_not_read_again_until_its_stock_arrives(shop, catalog):
    ingest(shop, make_order("o1", ("TEA-001", 1)))
    review_orders(actor=ACTOR, now=NOW)
    assert due() == {"o1": False}

    assert review_orders(actor=ACTOR, now=NOW).reviewed == 0

    receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)  # the follow-up review runs only after commit: not here
    assert due() == {"o1": True}
    report = review_orders(actor=ACTOR, now=NOW)
    assert (report.reviewed, report.accepted) == (1, 1)
    assert Order.objects.get().status == OrderStatus.ACCEPTED
    assert due() == {"o1": False}


def test_stock_of_another_sku_leaves_the_held_order_unmarked(shop, catalog):
    ingest(shop, make_order("o1", ("TEA-001", 1)))
    review_orders(actor=ACTOR, now=NOW)

    receive_stock("CUP-002", 5, actor=ACTOR, now=NOW)

    assert due() == {"o1": False}
    assert review_orders(actor=ACTOR, now=NOW).reviewed == 0


def test_stock_of_a_component_marks_orders_for_its_bundle(shop, catalog):
    ingest(shop, make_order("gift", ("GIFT-SET", 1)))
    review_orders(actor=ACTOR, now=NOW)

    receive_stock("CUP-002", 1, actor=ACTOR, now=NOW)

    assert due() == {"gift": True}


@pytest.mark.parametrize("held_past", [2000, 0], ids=["few held: through their lines", "many: through the SKUs'"])
def test_marking_orders_due_counts_those_it_marked(shop, catalog, monkeypatch, held_past):
    monkeypatch.setattr(review_rows, "THROUGH_LINES_FROM", held_past)
    ingest(shop, make_order("tea", ("TEA-001", 1)), make_order("gift", ("GIFT-SET", 1)),
           make_order("cup", ("CUP-002", 1)))  # fmt: skip
    review_orders(actor=ACTOR, now=NOW)
    tea = Sku.objects.get(code="TEA-001").id

    assert mark_due_for_skus([tea]) == 2  # the tea, and the gift set it goes into
    assert due() == {"tea": True, "gift": True, "cup": False}
    assert mark_due_for_skus([tea]) == 0  # already due


def test_a_held_order_with_the_earlier_deadline_beats_a_new_order_to_arriving_stock(shop, catalog):
    ingest(shop, make_order("held-sooner", ("TEA-001", 1), ship_in_hours=2))
    review_orders(actor=ACTOR, now=NOW)
    ingest(shop, make_order("new-later", ("TEA-001", 1), ship_in_hours=20))

    receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)

    assert dict(Order.objects.values_list("order_sn", "status")) == {
        "held-sooner": OrderStatus.ACCEPTED,
        "new-later": OrderStatus.ON_HOLD,
    }


def test_a_new_order_with_the_earlier_deadline_beats_a_held_order_to_arriving_stock(shop, catalog):
    ingest(shop, make_order("held-later", ("TEA-001", 1), ship_in_hours=20))
    review_orders(actor=ACTOR, now=NOW)
    ingest(shop, make_order("new-sooner", ("TEA-001", 1), ship_in_hours=2))

    receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)

    assert dict(Order.objects.values_list("order_sn", "status")) == {
        "held-later": OrderStatus.ON_HOLD,
        "new-sooner": OrderStatus.ACCEPTED,
    }


def test_a_cancelled_order_frees_its_stock_for_the_held_ones(shop, catalog):
    receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)
    ingest(shop, make_order("first", ("TEA-001", 1), ship_in_hours=2), make_order("second", ("TEA-001", 1)))
    review_orders(actor=ACTOR, now=NOW)
    assert due() == {"first": False, "second": False}

    cancel_order(Order.objects.get(order_sn="first").id, actor=ACTOR, now=NOW)

    assert due() == {"first": False, "second": True}
    review_orders(actor=ACTOR, now=NOW)
    assert Order.objects.get(order_sn="second").status == OrderStatus.ACCEPTED


def test_a_new_sku_marks_orders_whose_lines_name_it(shop, catalog):
    ingest(shop, make_order("late", ("LATE-SKU", 1)), make_order("other", ("NEVER-SKU", 1)))
    review_orders(actor=ACTOR, now=NOW)
    assert due() == {"late": False, "other": False}

    upsert_skus([SkuSpec("LATE-SKU")], now=NOW)

    assert due() == {"late": True, "other": False}


@pytest.mark.parametrize("held_past", [2000, 0], ids=["few held: through their lines", "many: through the SKUs'"])
def test_a_bundle_made_of_other_components_marks_the_orders_held_for_it(shop, catalog, monkeypatch, held_past):
    monkeypatch.setattr(review_rows, "THROUGH_LINES_FROM", held_past)
    ingest(shop, make_order("gift", ("GIFT-SET", 1)), make_order("tea", ("TEA-001", 1)))
    review_orders(actor=ACTOR, now=NOW)
    assert due() == {"gift": False, "tea": False}

    upsert_skus([SkuSpec("GIFT-SET", name="礼盒", components=(("CUP-002", 2),))], now=NOW)

    assert due() == {"gift": True, "tea": False}


def test_a_new_platform_mapping_marks_the_shops_unmapped_orders(shop, catalog):
    ingest(shop, make_order("listing", ("", 1)))
    line = Order.objects.get().lines.get()  # a line known only by its platform listing, no merchant code
    line.goods_id, line.platform_sku_id = "G1", "S1"
    line.save()
    review_orders(actor=ACTOR, now=NOW)
    assert Order.objects.get().hold_reasons == ["sku_unmapped"]

    map_platform_sku(shop.id, "G1", "S1", "TEA-001")

    assert due() == {"listing": True}


def test_changed_review_rules_mark_every_held_order_of_the_shop(shop, catalog):
    ingest(shop, make_order("o1", ("TEA-001", 1)), make_order("o2", ("CUP-002", 1)))
    review_orders(actor=ACTOR, now=NOW)
    events = OrderEvent.objects.count()

    set_review_rules(shop.id, [])

    assert due() == {"o1": True, "o2": True}
    assert OrderEvent.objects.count() == events  # marking records nothing; the review that follows does
