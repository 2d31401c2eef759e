"""Stock on the shelf: every change is a ledger move, and a shortfall never leaves an order promised units."""

import pytest

from kuaifa.domain.inventory.catalog import StockCount
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, StockLevel, StockMove
from kuaifa.persistence.queries import ledger_problems
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import adjust_stock, receive_stock, stocktake
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def level(code: str) -> tuple[int, int]:
    row = StockLevel.objects.get(sku__code=code)
    return row.on_hand, row.reserved


def test_receipts_adjustments_and_counts_are_each_one_move(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    adjust_stock("TEA-001", -3, actor=ACTOR, now=NOW, note="破损")
    stocktake([StockCount("TEA-001", "MAIN", 5)], actor=ACTOR, now=NOW)

    moves = list(StockMove.objects.order_by("id").values_list("kind", "quantity", "on_hand_after"))
    assert moves == [("receipt", 10, 10), ("adjustment", -3, 7), ("stocktake", -2, 5)]
    assert level("TEA-001") == (5, 0)
    assert ledger_problems() == []


def test_a_count_equal_to_what_is_on_hand_writes_no_move(shop, catalog):
    receive_stock("TEA-001", 4, actor=ACTOR, now=NOW)

    stocktake([StockCount("TEA-001", "MAIN", 4)], actor=ACTOR, now=NOW)

    assert StockMove.objects.count() == 1


def test_a_count_below_reserved_takes_units_back_from_the_latest_deadline(shop, catalog):
    receive_stock("TEA-001", 3, actor=ACTOR, now=NOW)
    ingest_orders(
        shop,
        [
            make_order("urgent", ("TEA-001", 1), ship_in_hours=2),
            make_order("middle", ("TEA-001", 1), ship_in_hours=10),
            make_order("relaxed", ("TEA-001", 1), ship_in_hours=40),
        ],
        source=Order.Source.API,
        actor=ACTOR,
        now=NOW,
    )
    review_orders(actor=ACTOR, now=NOW)
    assert level("TEA-001") == (3, 3)

    changes = stocktake([StockCount("TEA-001", "MAIN", 1)], actor=ACTOR, now=NOW)

    assert changes[0].released_orders == ("relaxed", "middle")
    assert dict(Order.objects.values_list("order_sn", "status")) == {
        "urgent": OrderStatus.ACCEPTED,
        "middle": OrderStatus.ON_HOLD,
        "relaxed": OrderStatus.ON_HOLD,
    }
    assert Order.objects.get(order_sn="middle").hold_reasons == ["stock_insufficient"]
    assert OrderEvent.objects.filter(kind="held", order__order_sn="middle").count() == 1
    assert level("TEA-001") == (1, 1)
    assert ledger_problems() == []


def test_stock_cannot_go_below_zero(shop, catalog):
    receive_stock("TEA-001", 2, actor=ACTOR, now=NOW)

    with pytest.raises(InvalidInput) as refused:
        adjust_stock("TEA-001", -3, actor=ACTOR, now=NOW)

    assert refused.value.code == "invalid_input"
    assert level("TEA-001") == (2, 0)
    assert StockMove.objects.count() == 1


def test_a_stocktake_with_one_bad_row_changes_nothing(shop, catalog):
    receive_stock("TEA-001", 2, actor=ACTOR, now=NOW)

    with pytest.raises(NotFound):
        stocktake([StockCount("TEA-001", "MAIN", 9), StockCount("NOPE", "MAIN", 1)], actor=ACTOR, now=NOW)

    assert level("TEA-001") == (2, 0)


def test_the_same_sku_counted_twice_is_refused(shop, catalog):
    with pytest.raises(InvalidInput):
        stocktake([StockCount("TEA-001", "MAIN", 1), StockCount("TEA-001", "MAIN", 2)], actor=ACTOR, now=NOW)


def test_bundles_hold_no_stock_of_their_own(shop, catalog):
    with pytest.raises(InvalidInput) as refused:
        receive_stock("GIFT-SET", 1, actor=ACTOR, now=NOW)

    assert "bundle" in refused.value.message


def test_receipts_must_be_positive(shop, catalog):
    with pytest.raises(InvalidInput):
        receive_stock("TEA-001", 0, actor=ACTOR, now=NOW)


def test_the_database_refuses_an_oversold_stock_level(shop, catalog):
    """The CHECK constraint is the last line of defence, whatever code path writes."""
    from django.db import IntegrityError, transaction
    from django.db.models import F

    receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(sku__code="TEA-001").update(reserved=F("on_hand") + 1)

    assert level("TEA-001") == (1, 0)
