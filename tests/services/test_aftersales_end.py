"""After-sales cases to their end through the database: each case type finishes with both ledgers balanced, and
replayed, duplicated or out-of-order copies of the same platform change never refund or restock twice."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db.models import Sum

from kuaifa.domain.aftersales.canonical import CanonicalCase, CaseGoods, CaseType
from kuaifa.domain.aftersales.cases import Decision
from kuaifa.domain.aftersales.errors import DecisionNotAllowed
from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import (
    AfterSalesCase,
    Order,
    OrderEvent,
    Reservation,
    ReturnToStockTask,
    StockLevel,
    StockMove,
)
from kuaifa.persistence.queries import ledger_problems
from kuaifa.services.aftersales import decide_case, upsert_cases
from kuaifa.services.aftersales_end import inspect, queue, receive_return, send_replacement
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from kuaifa.services.waves import create_waves
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db
RETURN_NO = "YT9988776655443"


def platform_case(status: int, *, minutes: int = 0, **fields) -> CanonicalCase:
    base = CanonicalCase(
        after_sales_id="7001", order_sn="o1", case_type=CaseType.RETURN_REFUND, platform_status=status,
        refund_amount_fen=2000, created_at=NOW - timedelta(hours=1), updated_at=NOW + timedelta(minutes=minutes),
        expire_time=NOW + timedelta(hours=48), goods=CaseGoods(outer_id="TEA-001", quantity=2),
    )  # fmt: skip
    return replace(base, **fields)


def sync(shop, *cases: CanonicalCase) -> None:
    """One delivery of platform copies (a push, a sync window or a retried page)."""
    upsert_cases(shop, list(cases), actor=ACTOR, now=NOW)


def reserved_order(shop, order_sn: str = "o1", stock: int = 5) -> Order:
    receive_stock("TEA-001", stock, actor=ACTOR, now=NOW)
    ingest_orders(shop, [make_order(order_sn, ("TEA-001", 2))], source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    order = Order.objects.get(order_sn=order_sn)
    assert order.status == OrderStatus.ACCEPTED
    return order


def shipped_order(shop) -> Order:
    order = reserved_order(shop)
    ship_order(order.id, carrier=85, tracking_number="YT5550001112223", actor=ACTOR, now=NOW, upload=False)
    return Order.objects.get(id=order.id)


def the_case() -> AfterSalesCase:
    return AfterSalesCase.objects.get(after_sales_id="7001")


def refunds_booked() -> int:
    return AfterSalesCase.objects.aggregate(t=Sum("refunded_amount"))["t"] or 0


def on_hand() -> int:
    return StockLevel.objects.get(sku__code="TEA-001").on_hand


def assert_ledgers_balanced() -> None:
    assert ledger_problems() == []
    assert on_hand() == StockMove.objects.filter(stock_level__sku__code="TEA-001").aggregate(t=Sum("quantity"))["t"]


# refund only (仅退款) before shipment: the order is intercepted


def test_a_refund_request_before_shipment_holds_the_order_and_frees_its_stock(shop, catalog):
    order = reserved_order(shop)

    sync(shop, platform_case(2, case_type=CaseType.REFUND_ONLY))

    order.refresh_from_db()
    assert (order.status, order.hold_reasons) == (OrderStatus.ON_HOLD, ["after_sales_open"])
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 0
    assert ReturnToStockTask.objects.count() == 0  # nothing was picked
    assert OrderEvent.objects.filter(order=order, kind="intercepted").count() == 1


def test_the_paid_refund_cancels_the_held_order_and_is_booked_once_whatever_arrives_again(shop, catalog):
    order = reserved_order(shop)
    requested = platform_case(2, case_type=CaseType.REFUND_ONLY)
    refunded = platform_case(10, minutes=30, case_type=CaseType.REFUND_ONLY)

    sync(shop, requested)
    sync(shop, refunded)
    sync(shop, refunded)  # the same change pushed and synced
    sync(shop, requested)  # an older copy, out of order
    sync(
        shop, replace(refunded, reason="买家补充", updated_at=NOW + timedelta(minutes=40))
    )  # a newer copy, same refund

    order.refresh_from_db()
    assert (order.status, the_case().state) == (OrderStatus.CANCELLED, "CLOSED_REFUNDED")
    assert refunds_booked() == 2000
    assert OrderEvent.objects.filter(order=order, kind="intercepted").count() == 2  # held once, cancelled once
    assert Reservation.objects.filter(state=Reservation.State.OPEN).count() == 0
    assert_ledgers_balanced()


def test_a_refund_of_an_order_being_picked_opens_a_return_to_stock_task(shop, catalog):
    order = reserved_order(shop)
    create_waves(WaveRule(horizon=timedelta(days=3)), actor=ACTOR, now=NOW)
    assert Order.objects.get(id=order.id).status == OrderStatus.PICKING

    sync(shop, platform_case(10, case_type=CaseType.REFUND_ONLY))
    sync(shop, platform_case(10, case_type=CaseType.REFUND_ONLY))

    task = ReturnToStockTask.objects.get()
    assert (task.order_id, task.from_status) == (order.id, "PICKING")
    assert Order.objects.get(id=order.id).status == OrderStatus.CANCELLED
    assert refunds_booked() == 2000
    assert_ledgers_balanced()


def test_a_refund_after_shipment_does_not_touch_the_order(shop, catalog):
    order = shipped_order(shop)

    sync(shop, platform_case(2, case_type=CaseType.REFUND_ONLY))

    assert Order.objects.get(id=order.id).status == OrderStatus.SHIPPED
    assert not OrderEvent.objects.filter(kind="intercepted").exists()


# return + refund (退货退款): scanned in, inspected, restocked once, refunded once


def test_a_return_is_received_by_scan_restocked_once_and_refunded_once_through_replays(shop, catalog):
    shipped_order(shop)
    assert on_hand() == 3
    in_transit = platform_case(3, tracking_number=RETURN_NO)
    sync(shop, in_transit)

    first = receive_return(f" {RETURN_NO.lower()} ", actor=ACTOR, now=NOW)
    again = receive_return(RETURN_NO, actor=ACTOR, now=NOW)
    sync(shop, replace(in_transit, reason="催促", updated_at=NOW + timedelta(minutes=5)))  # platform still waits
    result = inspect(the_case().id, ok=True, actor=ACTOR, now=NOW)
    sync(shop, in_transit, replace(in_transit, reason="再催", updated_at=NOW + timedelta(minutes=6)))
    with pytest.raises(InvalidInput, match="inspected already"):
        inspect(the_case().id, ok=True, actor=ACTOR, now=NOW)
    with pytest.raises(DecisionNotAllowed):
        decide_case(the_case().id, Decision.RESTOCK, actor=ACTOR, now=NOW)
    closed = platform_case(10, minutes=60, tracking_number=RETURN_NO)
    sync(shop, closed)
    sync(shop, closed, in_transit)

    assert (first.already, again.already, result.restocked) == (False, True, 2)
    assert (the_case().state, the_case().restocked_units, the_case().received_at) == ("CLOSED_REFUNDED", 2, NOW)
    assert on_hand() == 5
    assert list(StockMove.objects.filter(kind="return").values_list("quantity", flat=True)) == [2]
    assert refunds_booked() == 2000
    assert_ledgers_balanced()


def test_a_restock_after_the_platform_moves_on_and_back_is_still_refused(shop, catalog):
    shipped_order(shop)
    sync(shop, platform_case(3, tracking_number=RETURN_NO))
    receive_return(RETURN_NO, actor=ACTOR, now=NOW)
    inspect(the_case().id, ok=True, actor=ACTOR, now=NOW)
    sync(shop, platform_case(8, minutes=10, tracking_number=RETURN_NO))  # 平台处理中
    sync(shop, platform_case(3, minutes=20, tracking_number=RETURN_NO))  # back to the merchant

    assert the_case().state == "RETURN_IN_TRANSIT"
    assert receive_return(RETURN_NO, actor=ACTOR, now=NOW).already is True
    with pytest.raises(InvalidInput, match="inspected already"):
        inspect(the_case().id, ok=True, actor=ACTOR, now=NOW)
    assert on_hand() == 5
    assert_ledgers_balanced()


def test_damaged_returns_are_written_off_in_the_ledger_and_never_become_sellable(shop, catalog):
    shipped_order(shop)
    sync(shop, platform_case(3, tracking_number=RETURN_NO))
    receive_return(RETURN_NO, actor=ACTOR, now=NOW)

    result = inspect(the_case().id, ok=False, actor=ACTOR, now=NOW, note="外包装破损")

    assert (result.state, result.restocked, result.damaged) == ("INSPECTED_DAMAGED", 0, 2)
    assert on_hand() == 3
    kinds = list(StockMove.objects.filter(kind__in=["return", "damaged"]).values_list("kind", "quantity"))
    assert kinds == [("return", 2), ("damaged", -2)]
    assert_ledgers_balanced()


def test_scanning_an_unknown_parcel_or_one_not_expected_is_refused(shop, catalog):
    shipped_order(shop)
    sync(shop, platform_case(3))  # no return waybill yet: RETURN_REQUESTED
    with pytest.raises(NotFound):
        receive_return("SF0000000000", actor=ACTOR, now=NOW)
    with pytest.raises(InvalidInput, match="TRACKING_NO"):
        receive_return("  ", actor=ACTOR, now=NOW)
    assert the_case().received_at is None


# exchange (换货) and resend (补寄): a replacement order reviewed and reserved like any order


def test_an_exchange_ends_with_a_replacement_order_that_holds_its_own_reservation_once(shop, catalog):
    original = shipped_order(shop)
    exchange = platform_case(14, case_type=CaseType.EXCHANGE, refund_amount_fen=0, tracking_number=RETURN_NO)
    sync(shop, exchange)
    receive_return(RETURN_NO, actor=ACTOR, now=NOW)
    inspect(the_case().id, ok=True, actor=ACTOR, now=NOW)

    sent = send_replacement(the_case().id, actor=ACTOR, now=NOW)
    again = send_replacement(the_case().id, actor=ACTOR, now=NOW)
    sync(shop, exchange, replace(exchange, updated_at=NOW + timedelta(minutes=1), reason="again"))

    replacement = Order.objects.get(order_sn=sent.order_sn)
    assert (sent.already, again.already, again.order_sn) == (False, True, "o1-AS7001")
    assert (replacement.status, replacement.reissue_of_id, the_case().reissue_order_id) == (
        OrderStatus.ACCEPTED, original.id, replacement.id)  # fmt: skip
    assert list(Reservation.objects.filter(order=replacement).values_list("quantity", "state")) == [(2, "open")]
    assert Order.objects.filter(reissue_of=original).count() == 1
    assert (on_hand(), StockLevel.objects.get(sku__code="TEA-001").reserved) == (5, 2)
    assert refunds_booked() == 0
    assert_ledgers_balanced()


def test_a_resend_creates_the_replacement_at_once_and_refuses_a_type_that_sends_nothing(shop, catalog):
    shipped_order(shop)
    sync(shop, platform_case(32, case_type=CaseType.RESEND, refund_amount_fen=0,
                             goods=CaseGoods(outer_id="TEA-001", quantity=1)))  # fmt: skip

    sent = send_replacement(the_case().id, actor=ACTOR, now=NOW)

    assert (sent.order_status, the_case().state) == ("ACCEPTED", "WAITING_BUYER")
    assert Reservation.objects.get(order__order_sn=sent.order_sn).quantity == 1
    sync(shop, platform_case(2, after_sales_id="7002", case_type=CaseType.REFUND_ONLY))
    with pytest.raises(InvalidInput, match="nothing is sent"):
        send_replacement(AfterSalesCase.objects.get(after_sales_id="7002").id, actor=ACTOR, now=NOW)


# the queue by deadline


def test_the_queue_lists_open_cases_nearest_deadline_first_with_the_time_left(shop, catalog):
    sync(
        shop,
        platform_case(2, after_sales_id="late", expire_time=NOW + timedelta(hours=30)),
        platform_case(2, after_sales_id="soon", expire_time=NOW + timedelta(hours=2)),
        platform_case(2, after_sales_id="overdue", expire_time=NOW - timedelta(minutes=90)),
        platform_case(2, after_sales_id="none", expire_time=None),
        platform_case(10, after_sales_id="closed", expire_time=NOW - timedelta(hours=9)),
    )

    rows = queue(now=NOW)

    assert [r.after_sales_id for r in rows] == ["overdue", "soon", "late", "none"]
    assert [r.left for r in rows] == [-timedelta(minutes=90), timedelta(hours=2), timedelta(hours=30), None]
