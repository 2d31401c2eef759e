"""Intake: idempotent upserts, newest copy wins, and the platform's facts move our status."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuaifa.domain.orders.canonical import (
    CanonicalLine,
    CanonicalOrder,
    ConfirmStatus,
    PlatformOrderStatus,
    PlatformRefundStatus,
    Receiver,
)
from kuaifa.domain.orders.intake import (
    IngestAction,
    StatusChange,
    StoredVersion,
    decide,
    follow_platform,
    initial_status,
    is_cancelled_on_platform,
    only_self_clearing,
)
from kuaifa.domain.orders.review import HoldReason
from kuaifa.domain.orders.status import OrderStatus, can_transition
from kuaifa.services.fingerprints import fingerprint

S = OrderStatus
R = HoldReason
P = PlatformOrderStatus
F = PlatformRefundStatus

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def make_order(**changes: Any) -> CanonicalOrder:
    fields: dict[str, Any] = {
        "order_sn": "260301-123456789",
        "lines": (CanonicalLine(quantity=2, unit_price_fen=995, platform_sku_id="s1", outer_id="TEA-250"),),
        "pay_amount_fen": 1990,
        "receiver": Receiver(province="浙江省", city="杭州市", address_mask="西湖区****"),
        "paid_at": T0,
        "updated_at": T0,
    }
    fields.update(changes)
    return CanonicalOrder(**fields)


def stored_from(order: CanonicalOrder, **changes: Any) -> StoredVersion:
    fields: dict[str, Any] = {
        "fingerprint": fingerprint(order),
        "updated_at": order.updated_at,
        "order_status": int(order.order_status),
        "refund_status": int(order.refund_status),
        "confirm_status": int(order.confirm_status),
    }
    fields.update(changes)
    return StoredVersion(**fields)


# --- decide -----------------------------------------------------------------------------------------------------


def test_an_order_we_do_not_hold_is_created() -> None:
    order = make_order()
    assert decide(None, order, fingerprint(order)) is IngestAction.CREATE


def test_the_same_copy_again_changes_nothing() -> None:
    order = make_order()
    assert decide(stored_from(order), order, fingerprint(order)) is IngestAction.UNCHANGED


def test_an_identical_export_copy_without_update_time_changes_nothing() -> None:
    order = make_order(updated_at=None)
    assert decide(stored_from(order), order, fingerprint(order)) is IngestAction.UNCHANGED


def test_a_newer_copy_updates_the_order() -> None:
    # given we hold the order as of T0
    stored = stored_from(make_order())
    # when a copy updated an hour later arrives with a new remark
    newer = make_order(remark="已联系买家", updated_at=T0 + timedelta(hours=1))
    # then it is applied
    assert decide(stored, newer, fingerprint(newer)) is IngestAction.UPDATE


def test_an_older_copy_is_stale_even_if_it_moves_the_order_forward() -> None:
    stored = stored_from(make_order(updated_at=T0 + timedelta(hours=1)))
    older = make_order(order_status=P.SHIPPED, updated_at=T0)
    assert decide(stored, older, fingerprint(older)) is IngestAction.STALE


def test_a_different_copy_with_the_same_update_time_is_applied() -> None:
    stored = stored_from(make_order())
    same_time = make_order(remark="改了备注")
    assert decide(stored, same_time, fingerprint(same_time)) is IngestAction.UPDATE


def test_an_export_copy_that_moves_shipping_state_backwards_is_stale() -> None:
    # given we hold the order as shipped
    stored = stored_from(make_order(order_status=P.SHIPPED))
    # when an older export file, without update time, still says 待发货
    export = make_order(order_status=P.AWAITING_SHIPMENT, updated_at=None)
    # then it is stale
    assert decide(stored, export, fingerprint(export)) is IngestAction.STALE


def test_an_export_copy_that_reopens_a_refunded_order_is_stale() -> None:
    stored = stored_from(make_order(refund_status=F.REFUNDED))
    export = make_order(refund_status=F.NONE, updated_at=None)
    assert decide(stored, export, fingerprint(export)) is IngestAction.STALE


def test_an_export_copy_that_reopens_a_cancelled_order_is_stale() -> None:
    stored = stored_from(make_order(confirm_status=ConfirmStatus.CANCELLED))
    export = make_order(confirm_status=ConfirmStatus.CONFIRMED, updated_at=None)
    assert decide(stored, export, fingerprint(export)) is IngestAction.STALE


def test_an_export_copy_that_moves_shipping_state_forward_is_applied() -> None:
    stored = stored_from(make_order())
    export = make_order(order_status=P.RECEIVED, updated_at=None)
    assert decide(stored, export, fingerprint(export)) is IngestAction.UPDATE


def test_an_export_copy_that_only_changes_other_fields_is_applied() -> None:
    stored = stored_from(make_order(updated_at=None))
    export = make_order(remark="新备注", updated_at=None)
    assert decide(stored, export, fingerprint(export)) is IngestAction.UPDATE


def test_an_export_copy_reporting_a_refund_on_a_shipped_order_is_applied() -> None:
    stored = stored_from(make_order(order_status=P.SHIPPED))
    export = make_order(order_status=P.SHIPPED, refund_status=F.REFUNDED, updated_at=None)
    assert decide(stored, export, fingerprint(export)) is IngestAction.UPDATE


def test_an_api_copy_over_an_exported_order_is_judged_by_shipping_state() -> None:
    # given an order first seen in an export file (no update time), already shipped
    stored = stored_from(make_order(order_status=P.SHIPPED, updated_at=None))
    # when an API copy, which has an update time, says 待发货
    api_copy = make_order(order_status=P.AWAITING_SHIPMENT, updated_at=T0 + timedelta(days=1))
    # then without a stored time to compare, the backwards move makes it stale
    assert decide(stored, api_copy, fingerprint(api_copy)) is IngestAction.STALE


# --- initial_status and is_cancelled_on_platform ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({}, S.NEW),
        ({"order_status": P.SHIPPED}, S.SHIPPED),
        ({"order_status": P.RECEIVED}, S.DELIVERED),
        ({"confirm_status": ConfirmStatus.CANCELLED}, S.CANCELLED),
        ({"refund_status": F.REFUNDED}, S.CANCELLED),
        ({"refund_status": F.REFUNDING}, S.NEW),
        ({"order_status": P.SHIPPED, "refund_status": F.REFUNDED}, S.SHIPPED),
        ({"order_status": P.RECEIVED, "refund_status": F.REFUNDED}, S.DELIVERED),
        ({"order_status": P.SHIPPED, "confirm_status": ConfirmStatus.CANCELLED}, S.CANCELLED),
        ({"confirm_status": ConfirmStatus.UNCONFIRMED}, S.NEW),
    ],
)
def test_the_status_of_an_order_seen_for_the_first_time(changes: dict[str, Any], status: OrderStatus) -> None:
    assert initial_status(make_order(**changes)) is status


def test_a_refund_before_shipping_is_a_cancel_but_a_refund_after_shipping_is_not() -> None:
    assert is_cancelled_on_platform(make_order(refund_status=F.REFUNDED)) is True
    assert is_cancelled_on_platform(make_order(order_status=P.SHIPPED, refund_status=F.REFUNDED)) is False
    assert is_cancelled_on_platform(make_order(refund_status=F.IN_PROGRESS)) is False
    assert is_cancelled_on_platform(make_order()) is False


# --- follow_platform --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("current", [S.NEW, S.ON_HOLD, S.ACCEPTED, S.PICKING, S.PACKED])
def test_refund_before_shipping_cancels_the_order(current: OrderStatus) -> None:
    # given an order not yet shipped, maybe held for stock
    held = (R.STOCK_INSUFFICIENT,) if current is S.ON_HOLD else ()
    # when the platform reports the refund succeeded
    change = follow_platform(current, held, make_order(refund_status=F.REFUNDED), ())
    # then it is cancelled and holds nothing
    assert change == StatusChange((S.CANCELLED,), ())


def test_a_platform_cancel_cancels_an_accepted_order() -> None:
    change = follow_platform(S.ACCEPTED, (), make_order(confirm_status=ConfirmStatus.CANCELLED), ())
    assert change == StatusChange((S.CANCELLED,), ())


@pytest.mark.parametrize("current", [S.NEW, S.ON_HOLD, S.ACCEPTED, S.PICKING, S.PACKED])
def test_a_parcel_the_platform_reports_shipped_is_shipped(current: OrderStatus) -> None:
    held = (R.BUYER_MEMO,) if current is S.ON_HOLD else ()
    change = follow_platform(current, held, make_order(order_status=P.SHIPPED), ())
    assert change == StatusChange((S.SHIPPED,), ())


def test_the_platform_shipping_fact_wins_over_a_platform_hold_reason() -> None:
    change = follow_platform(S.ACCEPTED, (), make_order(order_status=P.SHIPPED, ship_hold=True), (R.SHIP_HOLD,))
    assert change == StatusChange((S.SHIPPED,), ())


def test_received_from_accepted_goes_through_shipped_to_delivered() -> None:
    change = follow_platform(S.ACCEPTED, (), make_order(order_status=P.RECEIVED), ())
    assert change == StatusChange((S.SHIPPED, S.DELIVERED), ())


def test_received_from_shipped_is_delivered() -> None:
    change = follow_platform(S.SHIPPED, (), make_order(order_status=P.RECEIVED), ())
    assert change == StatusChange((S.DELIVERED,), ())


@pytest.mark.parametrize(
    ("current", "changes"),
    [
        (S.SHIPPED, {"order_status": P.SHIPPED}),
        (S.SHIPPED, {"order_status": P.SHIPPED, "refund_status": F.REFUNDED}),
        (S.SHIPPED, {"order_status": P.AWAITING_SHIPMENT, "refund_status": F.REFUNDED}),
        (S.DELIVERED, {"order_status": P.RECEIVED}),
        (S.DELIVERED, {"order_status": P.RECEIVED, "refund_status": F.REFUNDED}),
        (S.COMPLETED, {"order_status": P.RECEIVED, "refund_status": F.REFUNDED}),
        (S.CANCELLED, {"order_status": P.SHIPPED}),
        (S.CANCELLED, {}),
    ],
)
def test_after_shipment_or_once_closed_the_platform_moves_nothing(
    current: OrderStatus, changes: dict[str, Any]
) -> None:
    change = follow_platform(current, (), make_order(**changes), (R.AFTER_SALES_OPEN,))
    assert change == StatusChange((), ())


def test_a_closed_order_keeps_the_hold_reasons_it_had() -> None:
    change = follow_platform(S.CANCELLED, (R.MANUAL,), make_order(refund_status=F.REFUNDED), ())
    assert change == StatusChange((), (R.MANUAL,))


@pytest.mark.parametrize("current", [S.ACCEPTED, S.PICKING, S.PACKED])
def test_an_order_with_reserved_stock_is_held_when_the_platform_opens_a_risk_review(current: OrderStatus) -> None:
    # given an order holding stock
    # when the platform puts it under risk review
    change = follow_platform(current, (), make_order(risk_control_status=1), (R.PLATFORM_RISK,))
    # then it is held with that reason
    assert change == StatusChange((S.ON_HOLD,), (R.PLATFORM_RISK,))


def test_an_accepted_order_is_held_with_every_new_platform_reason() -> None:
    reasons = (R.SHIP_HOLD, R.AFTER_SALES_OPEN)
    change = follow_platform(S.ACCEPTED, (), make_order(ship_hold=True, refund_status=F.IN_PROGRESS), reasons)
    assert change == StatusChange((S.ON_HOLD,), (R.SHIP_HOLD, R.AFTER_SALES_OPEN))


def test_an_accepted_order_without_platform_reasons_stays_accepted() -> None:
    assert follow_platform(S.ACCEPTED, (), make_order(remark="x"), ()) == StatusChange((), ())


def test_a_new_order_is_not_held_by_the_platform_here_review_will_see_it() -> None:
    change = follow_platform(S.NEW, (), make_order(risk_control_status=1), (R.PLATFORM_RISK,))
    assert change == StatusChange((), ())


def test_a_hold_whose_only_reason_was_platform_risk_goes_back_to_review_once_clear() -> None:
    # given an order held only because the platform was reviewing it
    # when the platform's review is over
    change = follow_platform(S.ON_HOLD, (R.PLATFORM_RISK,), make_order(), ())
    # then it returns to NEW with no reasons
    assert change == StatusChange((S.NEW,), ())


def test_a_hold_for_stock_stays_on_hold() -> None:
    change = follow_platform(S.ON_HOLD, (R.STOCK_INSUFFICIENT,), make_order(), ())
    assert change == StatusChange((), (R.STOCK_INSUFFICIENT,))


def test_a_hold_loses_a_cleared_platform_reason_but_keeps_its_other_reasons() -> None:
    change = follow_platform(S.ON_HOLD, (R.PLATFORM_RISK, R.STOCK_INSUFFICIENT), make_order(), ())
    assert change == StatusChange((S.ON_HOLD,), (R.STOCK_INSUFFICIENT,))


def test_a_hold_gains_a_new_platform_reason_ahead_of_its_other_reasons() -> None:
    change = follow_platform(S.ON_HOLD, (R.ADDRESS_INCOMPLETE,), make_order(ship_hold=True), (R.SHIP_HOLD,))
    assert change == StatusChange((S.ON_HOLD,), (R.SHIP_HOLD, R.ADDRESS_INCOMPLETE))


def test_a_hold_whose_platform_reason_persists_is_unchanged() -> None:
    change = follow_platform(S.ON_HOLD, (R.PLATFORM_RISK,), make_order(risk_control_status=1), (R.PLATFORM_RISK,))
    assert change == StatusChange((), (R.PLATFORM_RISK,))


def test_a_manual_hold_is_kept_when_platform_reasons_clear() -> None:
    change = follow_platform(S.ON_HOLD, (R.MANUAL, R.SHIP_HOLD), make_order(), ())
    assert change == StatusChange((S.ON_HOLD,), (R.MANUAL,))


_STATUSES = st.sampled_from(list(OrderStatus))
_REASONS = st.lists(st.sampled_from(list(HoldReason)), unique=True, max_size=4).map(tuple)
_PLATFORM = st.lists(st.sampled_from([R.PLATFORM_RISK, R.SHIP_HOLD, R.AFTER_SALES_OPEN]), unique=True).map(tuple)
_ORDERS = st.builds(
    make_order,
    order_status=st.sampled_from(list(PlatformOrderStatus)),
    refund_status=st.sampled_from(list(PlatformRefundStatus)),
    confirm_status=st.sampled_from(list(ConfirmStatus)),
)


@given(current=_STATUSES, hold_reasons=_REASONS, order=_ORDERS, reasons=_PLATFORM)
def test_every_path_the_platform_takes_an_order_along_is_a_chain_of_allowed_moves(
    current: OrderStatus, hold_reasons: tuple[HoldReason, ...], order: CanonicalOrder, reasons: tuple[HoldReason, ...]
) -> None:
    change = follow_platform(current, hold_reasons, order, reasons)
    for before, after in zip((current, *change.path), change.path, strict=False):
        assert can_transition(before, after), (before, after)
    if change.path and change.path[-1] is not S.ON_HOLD:
        assert change.hold_reasons == ()


# --- only_self_clearing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reasons", "expected"),
    [
        ((), False),
        ((R.STOCK_INSUFFICIENT,), True),
        ((R.PLATFORM_RISK, R.SKU_UNMAPPED), True),
        ((R.STOCK_INSUFFICIENT, R.BUYER_MEMO), False),
        ((R.MANUAL,), False),
        ((R.ADDRESS_INCOMPLETE,), False),
    ],
)
def test_only_a_hold_made_entirely_of_self_clearing_reasons_may_lift_by_itself(
    reasons: tuple[HoldReason, ...], expected: bool
) -> None:
    assert only_self_clearing(reasons) is expected


def test_canonical_orders_are_immutable_values() -> None:
    order = make_order()
    with pytest.raises(dataclasses.FrozenInstanceError):
        order.remark = "x"  # type: ignore[misc]
    assert make_order() == order


@pytest.mark.parametrize(
    ("receiver", "complete"),
    [
        (Receiver(province="浙江省", city="杭州市", address="~cipher~"), True),
        (Receiver(province="浙江省", city="杭州市", address_mask="西湖区****"), True),
        (Receiver(province="浙江省", city="杭州市"), False),
        (Receiver(city="杭州市", address="文三路1号"), False),
        (Receiver(province="浙江省", address="文三路1号"), False),
        (Receiver(), False),
    ],
)
def test_a_receiver_is_complete_with_a_region_and_some_form_of_detailed_address(
    receiver: Receiver, complete: bool
) -> None:
    assert receiver.is_complete is complete
