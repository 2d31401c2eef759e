"""After-sales cases through the database: stored once, decided by table, refunded once, restocked once."""

from dataclasses import replace
from datetime import timedelta

import pytest

from kuaifa.domain.aftersales.canonical import CanonicalCase, CaseGoods, CaseType
from kuaifa.domain.aftersales.cases import Decision
from kuaifa.domain.aftersales.errors import DecisionNotAllowed
from kuaifa.persistence.models import AfterSalesCase, OutboxEntry, Shop, StockLevel, StockMove
from kuaifa.persistence.queries import ledger_problems
from kuaifa.services.aftersales import decide_case, upsert_cases
from kuaifa.services.errors import InvalidInput
from tests.factories import ACTOR, NOW

pytestmark = pytest.mark.django_db


def case(status: int, **fields) -> CanonicalCase:
    base = CanonicalCase(
        after_sales_id="9001", order_sn="261126-000000000000001", case_type=CaseType.RETURN_REFUND,
        platform_status=status, refund_amount_fen=1990, created_at=NOW - timedelta(hours=2), updated_at=NOW,
        goods=CaseGoods(outer_id="TEA-001", quantity=2),
    )  # fmt: skip
    return replace(base, **fields)


def stored() -> AfterSalesCase:
    return AfterSalesCase.objects.get()


def test_a_case_is_stored_once_and_a_repeat_changes_nothing(shop, catalog):
    first = upsert_cases(shop, [case(3)], actor=ACTOR, now=NOW)
    again = upsert_cases(shop, [case(3)], actor=ACTOR, now=NOW)

    assert (first.created, again.created, again.unchanged) == (1, 0, 1)
    assert (stored().state, stored().platform_status) == ("RETURN_REQUESTED", 3)


def test_an_older_copy_of_a_case_is_ignored(shop, catalog):
    upsert_cases(shop, [case(7)], actor=ACTOR, now=NOW)

    report = upsert_cases(shop, [case(3, updated_at=NOW - timedelta(minutes=5))], actor=ACTOR, now=NOW)

    assert report.unchanged == 1
    assert stored().platform_status == 7


def test_a_paid_refund_is_recorded_once(shop, catalog):
    upsert_cases(shop, [case(10)], actor=ACTOR, now=NOW)
    report = upsert_cases(shop, [case(10, reason="买家补充说明", updated_at=NOW + timedelta(minutes=1))],
                          actor=ACTOR, now=NOW)  # fmt: skip

    assert report.refunds_recorded == 0
    assert (stored().refunded_amount, stored().state) == (1990, "CLOSED_REFUNDED")


def test_agreeing_to_a_return_queues_the_platform_call_once(shop, catalog):
    upsert_cases(shop, [case(3)], actor=ACTOR, now=NOW)

    decision = decide_case(stored().id, Decision.AGREE_RETURN, return_address_id=1, actor=ACTOR, now=NOW)

    entry = OutboxEntry.objects.get()
    assert decision.state == "WAITING_BUYER"
    assert (entry.kind, entry.payload["after_sales_id"], entry.payload["return_address_id"]) == (
        "agree_return",
        "9001",
        1,
    )
    with pytest.raises(DecisionNotAllowed):
        decide_case(stored().id, Decision.AGREE_RETURN, return_address_id=1, actor=ACTOR, now=NOW)
    assert OutboxEntry.objects.count() == 1


def test_agreeing_to_a_return_needs_an_address(shop, catalog):
    upsert_cases(shop, [case(3)], actor=ACTOR, now=NOW)

    with pytest.raises(InvalidInput):
        decide_case(stored().id, Decision.AGREE_RETURN, actor=ACTOR, now=NOW)

    assert (stored().state, OutboxEntry.objects.count()) == ("RETURN_REQUESTED", 0)


def test_a_returned_parcel_is_received_inspected_and_restocked_once(shop, catalog):
    upsert_cases(shop, [case(3, tracking_number="YT1234567890123")], actor=ACTOR, now=NOW)
    assert stored().state == "RETURN_IN_TRANSIT"

    for step in (Decision.RECEIVE_RETURN, Decision.INSPECT_OK, Decision.RESTOCK):
        decide_case(stored().id, step, actor=ACTOR, now=NOW)

    level = StockLevel.objects.get(sku__code="TEA-001")
    assert (stored().state, level.on_hand) == ("RESTOCKED", 2)
    assert list(StockMove.objects.values_list("kind", "quantity")) == [("return", 2)]
    with pytest.raises(DecisionNotAllowed):
        decide_case(stored().id, Decision.RESTOCK, actor=ACTOR, now=NOW)
    assert StockMove.objects.count() == 1
    assert ledger_problems() == []


def test_damaged_goods_are_written_off_not_restocked(shop, catalog):
    upsert_cases(shop, [case(3, tracking_number="YT1234567890123")], actor=ACTOR, now=NOW)
    decide_case(stored().id, Decision.RECEIVE_RETURN, actor=ACTOR, now=NOW)
    decide_case(stored().id, Decision.INSPECT_DAMAGED, actor=ACTOR, now=NOW)

    with pytest.raises(DecisionNotAllowed):
        decide_case(stored().id, Decision.RESTOCK, actor=ACTOR, now=NOW)

    assert list(StockMove.objects.order_by("id").values_list("kind", "quantity")) == [("return", 2), ("damaged", -2)]
    assert StockLevel.objects.get(sku__code="TEA-001").on_hand == 0
    assert (stored().damaged_units, stored().restocked_units) == (2, 0)
    assert ledger_problems() == []


def test_warehouse_progress_survives_a_sync_while_the_platform_still_waits(shop, catalog):
    upsert_cases(shop, [case(3, tracking_number="YT1234567890123")], actor=ACTOR, now=NOW)
    decide_case(stored().id, Decision.RECEIVE_RETURN, actor=ACTOR, now=NOW)

    upsert_cases(shop, [case(3, tracking_number="YT1234567890123", updated_at=NOW + timedelta(minutes=3),
                             reason="催促")], actor=ACTOR, now=NOW)  # fmt: skip

    assert stored().state == "RECEIVED"
    assert Shop.objects.count() == 1


def test_a_returned_bundle_goes_back_as_its_components_and_wakes_orders_held_for_stock(
    shop, catalog, django_capture_on_commit_callbacks
):
    from kuaifa.persistence.models import Order
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.review import review_orders
    from tests.factories import make_order

    ingest_orders(shop, [make_order("waiting", ("CUP-002", 1))], source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    gift = case(3, tracking_number="YT1234567890123", goods=CaseGoods(outer_id="GIFT-SET", quantity=1))
    upsert_cases(shop, [gift], actor=ACTOR, now=NOW)
    decide_case(stored().id, Decision.RECEIVE_RETURN, actor=ACTOR, now=NOW)
    decide_case(stored().id, Decision.INSPECT_OK, actor=ACTOR, now=NOW)

    with django_capture_on_commit_callbacks(execute=True):
        decide_case(stored().id, Decision.RESTOCK, actor=ACTOR, now=NOW)

    assert dict(StockLevel.objects.values_list("sku__code", "on_hand")) == {"TEA-001": 2, "CUP-002": 1}
    assert sorted(StockMove.objects.values_list("kind", "quantity")) == [("return", 1), ("return", 2)]
    assert Order.objects.get(order_sn="waiting").status == "ACCEPTED"
    assert ledger_problems() == []
