"""Explain shows what review did: leaf units reserved per bundle line, and who holds a SKU ahead of the order."""

import pytest

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.persistence.models import Order
from kuaifa.services.catalog import upsert_skus
from kuaifa.services.explain import explain_order
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def ingest(shop, *orders):
    ingest_orders(shop, list(orders), source=Order.Source.API, actor=ACTOR, now=NOW)


def test_a_bundle_of_bundles_shows_the_leaf_units_reserved(shop, catalog):
    # given DELUXE = 2 × GIFT-SET (2 tea + 1 cup) + 1 lid, and stock for one deluxe set
    upsert_skus([SkuSpec("LID-003"), SkuSpec("DELUXE", components=(("GIFT-SET", 2), ("LID-003", 1)))], now=NOW)
    for code, units in {"TEA-001": 4, "CUP-002": 2, "LID-003": 1}.items():
        receive_stock(code, units, actor=ACTOR, now=NOW)
    ingest(shop, make_order("deluxe", ("DELUXE", 1)))
    review_orders(actor=ACTOR, now=NOW)

    explanation = explain_order(Order.objects.get(), now=NOW)

    assert [(x.sku_code, x.quantity, x.reserved_for_this_order, x.on_hand, x.bundle) for x in explanation.lines] == [
        ("TEA-001", 4, 4, 4, "DELUXE"),
        ("CUP-002", 2, 2, 2, "DELUXE"),
        ("LID-003", 1, 1, 1, "DELUXE"),
    ]
    stock_verdict = next(v for v in explanation.verdicts if v.code == "stock_insufficient")
    assert stock_verdict.passed is True


def test_orders_due_at_the_same_moment_count_as_due_no_later(shop, catalog):
    receive_stock("TEA-001", 3, actor=ACTOR, now=NOW)
    ingest(
        shop,
        make_order("same-deadline", ("TEA-001", 1), ship_in_hours=10),
        make_order("earlier", ("TEA-001", 1), ship_in_hours=5),
        make_order("later", ("TEA-001", 1), ship_in_hours=20),
        make_order("me", ("TEA-001", 1), ship_in_hours=10),
    )
    review_orders(actor=ACTOR, now=NOW)  # 3 units: earlier, then same-deadline and me (by payment, then number)

    line = explain_order(Order.objects.get(order_sn="later"), now=NOW).lines[0]
    assert (line.reserved_for_this_order, line.reserved_by_others, line.earlier_orders_holding) == (0, 3, 3)
    line = explain_order(Order.objects.get(order_sn="me"), now=NOW).lines[0]
    assert (line.reserved_for_this_order, line.earlier_orders_holding) == (1, 2)  # same-deadline and earlier
