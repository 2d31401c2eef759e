"""After-sales rules: PDD's status codes (pdd-reference §4.2) onto our case states, the merchant's decisions, the
attention deadline from ``expire_time``, and refunds recorded once."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuaifa.domain.aftersales.canonical import (
    STATUS_NAMES,
    TERMINAL,
    WAITING_ON_MERCHANT,
    CanonicalCase,
    CaseGoods,
    CaseType,
    PlatformCaseStatus,
    is_terminal,
    refund_succeeded,
    status_name_en,
    status_name_zh,
    waiting_on_merchant,
)
from kuaifa.domain.aftersales.cases import (
    BACK_OFFICE_ONLY,
    CLOSED,
    DECISIONS,
    MERCHANT_TURN,
    PLATFORM_API,
    WAREHOUSE,
    WAREHOUSE_DECISIONS,
    CaseState,
    Decision,
    allowed_decisions,
    decide,
    inspection,
    needs_attention,
    our_state,
    reconcile,
    state_of,
)
from kuaifa.domain.aftersales.errors import (
    DecisionNotAllowed,
    InvalidCase,
    InvalidRefundAmount,
    RefundAlreadyRecorded,
    RefundExceedsPaid,
    UnknownCaseStatus,
)
from kuaifa.domain.aftersales.refunds import OrderRefunds, RecordedRefund, refund_recorded
from kuaifa.domain.shared.errors import DomainError
from kuaifa.platforms.pdd import aftersales as pdd_aftersales

S = CaseState
D = Decision
T = CaseType

#: pdd-reference §4.2, verbatim.
DOC_STATUSES = {
    0: "无售后",
    2: "买家申请退款，待商家处理",
    3: "退货退款，待商家处理",
    4: "商家同意退款，退款中",
    5: "平台同意退款，退款中",
    6: "驳回退款，待买家处理",
    7: "已同意退货退款，待用户发货",
    8: "平台处理中",
    9: "平台拒绝退款，退款关闭",
    10: "退款成功",
    11: "买家撤销",
    12: "买家逾期未处理，退款失败",
    13: "买家逾期，超过有效期",
    14: "换货补寄待商家处理",
    15: "换货补寄待用户处理",
    16: "换货补寄成功",
    17: "换货补寄失败",
    18: "换货补寄待用户确认完成",
    21: "待商家同意维修",
    22: "待用户确认发货",
    24: "维修关闭",
    25: "维修成功",
    27: "待用户确认收货",
    31: "已同意拒收退款，待用户拒收",
    32: "补寄待商家发货",
    33: "(同意召回后退款)待商家召回",
}
DOC_WAITING = {2, 3, 14, 21, 32, 33}
DOC_TERMINAL = {9, 10, 11, 12, 13, 16, 17, 24, 25}

#: our state for each code when the type is the natural one and no return parcel is known.
EXPECTED_STATE = {
    0: S.NONE,
    2: S.REFUND_REQUESTED,
    3: S.RETURN_REQUESTED,
    4: S.WAITING_PLATFORM,
    5: S.WAITING_PLATFORM,
    6: S.WAITING_BUYER,
    7: S.WAITING_BUYER,
    8: S.WAITING_PLATFORM,
    9: S.CLOSED_REJECTED,
    10: S.CLOSED_REFUNDED,
    11: S.CLOSED_CANCELLED,
    12: S.CLOSED_CANCELLED,
    13: S.CLOSED_CANCELLED,
    14: S.EXCHANGE_REQUESTED,
    15: S.WAITING_BUYER,
    16: S.RESOLVED,
    17: S.CLOSED_REJECTED,
    18: S.WAITING_BUYER,
    21: S.REPAIR_REQUESTED,
    22: S.WAITING_BUYER,
    24: S.CLOSED_REJECTED,
    25: S.RESOLVED,
    27: S.WAITING_BUYER,
    31: S.WAITING_BUYER,
    32: S.RESEND_REQUESTED,
    33: S.RECALL_DUE,
}

ALLOWED = {
    (S.REFUND_REQUESTED, D.AGREE_REFUND): S.WAITING_PLATFORM,
    (S.REFUND_REQUESTED, D.REJECT): S.WAITING_BUYER,
    (S.RETURN_REQUESTED, D.AGREE_RETURN): S.WAITING_BUYER,
    (S.RETURN_REQUESTED, D.AGREE_REFUND): S.WAITING_PLATFORM,
    (S.RETURN_REQUESTED, D.REJECT): S.WAITING_BUYER,
    (S.EXCHANGE_REQUESTED, D.AGREE_RETURN): S.WAITING_BUYER,
    (S.EXCHANGE_REQUESTED, D.REJECT): S.WAITING_BUYER,
    (S.RESEND_REQUESTED, D.RESEND): S.WAITING_BUYER,
    (S.RESEND_REQUESTED, D.REJECT): S.WAITING_BUYER,
    (S.REPAIR_REQUESTED, D.AGREE_RETURN): S.WAITING_BUYER,
    (S.REPAIR_REQUESTED, D.REJECT): S.WAITING_BUYER,
    (S.RECALL_DUE, D.RECEIVE_RETURN): S.RECEIVED,
    (S.RECALL_DUE, D.AGREE_REFUND): S.WAITING_PLATFORM,
    (S.RETURN_IN_TRANSIT, D.RECEIVE_RETURN): S.RECEIVED,
    (S.RETURN_IN_TRANSIT, D.AGREE_REFUND): S.WAITING_PLATFORM,
    (S.RECEIVED, D.INSPECT_OK): S.INSPECTED,
    (S.RECEIVED, D.INSPECT_DAMAGED): S.INSPECTED_DAMAGED,
    (S.INSPECTED, D.RESTOCK): S.RESTOCKED,
    (S.INSPECTED, D.AGREE_REFUND): S.WAITING_PLATFORM,
    (S.INSPECTED, D.RESEND): S.WAITING_BUYER,
    (S.INSPECTED_DAMAGED, D.AGREE_REFUND): S.WAITING_PLATFORM,
    (S.INSPECTED_DAMAGED, D.REJECT): S.WAITING_BUYER,
    (S.RESTOCKED, D.AGREE_REFUND): S.WAITING_PLATFORM,
    (S.RESTOCKED, D.RESEND): S.WAITING_BUYER,
}

NOW = datetime(2026, 3, 5, 4, 0, tzinfo=UTC)


def _case(**changes: object) -> CanonicalCase:
    case = CanonicalCase(
        after_sales_id="9000000001",
        order_sn="260302-111111111111111",
        case_type=T.RETURN_REFUND,
        platform_status=3,
        refund_amount_fen=4290,
        created_at=NOW - timedelta(hours=1),
        updated_at=NOW - timedelta(hours=1),
        goods=CaseGoods(goods_id="600001", sku_id="7000013", outer_id="TS-BLK-L", quantity=1),
        expire_time=NOW + timedelta(hours=47),
    )
    return replace(case, **changes)  # type: ignore[arg-type]


# --- platform status codes ------------------------------------------------------------------------------------


def test_the_platform_status_enum_is_exactly_the_documented_codes_with_their_names() -> None:
    assert {int(code) for code in PlatformCaseStatus} == set(DOC_STATUSES)
    assert set(STATUS_NAMES) == set(PlatformCaseStatus)
    for code, zh in DOC_STATUSES.items():
        assert status_name_zh(code) == zh
        assert status_name_en(code) and status_name_en(code).isascii()
    assert len({status_name_en(code) for code in DOC_STATUSES}) == len(DOC_STATUSES)


def test_waiting_and_terminal_sets_are_exactly_the_documented_ones() -> None:
    assert WAITING_ON_MERCHANT == DOC_WAITING
    assert TERMINAL == DOC_TERMINAL
    for code in range(-1, 60):
        assert waiting_on_merchant(code) is (code in DOC_WAITING)
        assert is_terminal(code) is (code in DOC_TERMINAL)
        assert refund_succeeded(code) is (code == 10)


def test_the_domain_agrees_with_the_pdd_adapters_tables() -> None:
    assert {kind.value for kind in CaseType} == {kind.value for kind in pdd_aftersales.AfterSalesType}
    assert pdd_aftersales.WAITING_ON_MERCHANT == WAITING_ON_MERCHANT
    assert pdd_aftersales.TERMINAL == TERMINAL


@pytest.mark.parametrize("code", sorted(DOC_STATUSES))
def test_every_code_maps_to_exactly_one_state_for_every_type_and_parcel(code: int) -> None:
    for case_type, shipped in itertools.product(CaseType, (False, True)):
        state = our_state(code, case_type, return_shipped=shipped)
        assert isinstance(state, CaseState)
        assert state not in WAREHOUSE  # only the warehouse's decisions reach those
        assert (state in MERCHANT_TURN) is waiting_on_merchant(code)
        assert (state in CLOSED) is is_terminal(code)


@pytest.mark.parametrize(("code", "expected"), sorted(EXPECTED_STATE.items()))
def test_each_code_maps_to_its_documented_state(code: int, expected: CaseState) -> None:
    natural = {14: T.EXCHANGE, 21: T.REPAIR, 32: T.RESEND, 2: T.REFUND_ONLY}.get(code, T.RETURN_REFUND)
    assert our_state(code, natural) is expected


def test_a_shipped_return_turns_the_merchants_request_into_a_parcel_to_receive() -> None:
    assert our_state(3, T.RETURN_REFUND, return_shipped=True) is S.RETURN_IN_TRANSIT
    assert our_state(14, T.EXCHANGE, return_shipped=True) is S.RETURN_IN_TRANSIT
    assert our_state(21, T.REPAIR, return_shipped=True) is S.RETURN_IN_TRANSIT
    # nothing travels back for a refund-only or a resend case, and a waybill after the case moved on changes nothing
    assert our_state(3, T.REFUND_ONLY, return_shipped=True) is S.RETURN_REQUESTED
    assert our_state(14, T.RESEND, return_shipped=True) is S.RESEND_REQUESTED
    assert our_state(10, T.RETURN_REFUND, return_shipped=True) is S.CLOSED_REFUNDED
    assert our_state(7, T.RETURN_REFUND, return_shipped=True) is S.WAITING_BUYER


def test_code_14_is_a_resend_or_an_exchange_by_case_type() -> None:
    assert our_state(14, T.RESEND) is S.RESEND_REQUESTED
    assert our_state(14, T.EXCHANGE) is S.EXCHANGE_REQUESTED


def test_state_of_a_case_reads_its_return_waybill() -> None:
    assert state_of(_case()) is S.RETURN_REQUESTED
    assert state_of(_case(tracking_number="YT123456789012")) is S.RETURN_IN_TRANSIT


@pytest.mark.parametrize("code", [1, 19, 20, 23, 26, 28, 34, -1, 99])
def test_an_undocumented_code_is_refused_with_a_code(code: int) -> None:
    with pytest.raises(UnknownCaseStatus) as raised:
        our_state(code, T.REFUND_ONLY)
    assert raised.value.code == "aftersales.unknown_status"
    with pytest.raises(UnknownCaseStatus):
        status_name_zh(code)


# --- decisions ------------------------------------------------------------------------------------------------


def test_the_decision_table_is_exactly_the_documented_one() -> None:
    table = {(state, action): target for state, row in DECISIONS.items() for action, target in row.items()}
    assert table == ALLOWED


@pytest.mark.parametrize(("state", "action"), list(itertools.product(CaseState, Decision)))
def test_every_decision_is_allowed_or_refused_with_a_code(state: CaseState, action: Decision) -> None:
    if (state, action) in ALLOWED:
        assert decide(state, action, after_sales_id="42") is ALLOWED[state, action]
        assert action in allowed_decisions(state)
        return
    with pytest.raises(DecisionNotAllowed) as raised:
        decide(state, action, after_sales_id="42")
    assert isinstance(raised.value, DomainError)
    assert raised.value.code == "aftersales.decision_not_allowed"
    assert raised.value.params["state"] == state.value and raised.value.params["action"] == action.value
    assert "42" in raised.value.message


def test_nothing_is_decided_on_a_closed_or_someone_elses_case() -> None:
    for state in CLOSED | {S.NONE, S.WAITING_BUYER, S.WAITING_PLATFORM}:
        assert allowed_decisions(state) == frozenset()
    for state in MERCHANT_TURN:
        assert allowed_decisions(state), state


def test_reject_is_back_office_only_and_warehouse_steps_call_nothing() -> None:
    assert frozenset({D.REJECT}) == BACK_OFFICE_ONLY
    assert D.REJECT not in PLATFORM_API
    assert not WAREHOUSE_DECISIONS & set(PLATFORM_API)
    assert set(PLATFORM_API) | BACK_OFFICE_ONLY | WAREHOUSE_DECISIONS == set(Decision)
    assert PLATFORM_API[D.AGREE_REFUND] == "pdd.refund.agree"


def test_a_return_goes_through_the_warehouse_and_restocks_once() -> None:
    state = decide(our_state(3, T.RETURN_REFUND), D.AGREE_RETURN)
    assert state is S.WAITING_BUYER
    state = reconcile(state, our_state(3, T.RETURN_REFUND, return_shipped=True))
    assert state is S.RETURN_IN_TRANSIT
    state = decide(state, D.RECEIVE_RETURN)
    assert reconcile(state, our_state(3, T.RETURN_REFUND, return_shipped=True)) is S.RECEIVED  # sync keeps progress
    state = decide(decide(state, inspection(ok=True)), D.RESTOCK)
    assert state is S.RESTOCKED
    with pytest.raises(DecisionNotAllowed):
        decide(state, D.RESTOCK)
    state = decide(state, D.AGREE_REFUND)
    assert reconcile(state, our_state(10, T.RETURN_REFUND, return_shipped=True)) is S.CLOSED_REFUNDED


def test_damaged_goods_are_not_restocked() -> None:
    state = decide(S.RECEIVED, inspection(ok=False))
    assert state is S.INSPECTED_DAMAGED
    with pytest.raises(DecisionNotAllowed):
        decide(state, D.RESTOCK)


def test_the_platform_wins_a_reconcile_once_it_moved_on() -> None:
    assert reconcile(S.INSPECTED, S.CLOSED_CANCELLED) is S.CLOSED_CANCELLED
    assert reconcile(S.RESTOCKED, S.WAITING_PLATFORM) is S.WAITING_PLATFORM
    assert reconcile(None, S.REFUND_REQUESTED) is S.REFUND_REQUESTED
    assert reconcile(S.WAITING_BUYER, S.RETURN_IN_TRANSIT) is S.RETURN_IN_TRANSIT


def test_goods_on_our_shelf_outlast_a_platform_still_waiting_for_the_buyer_to_send_them() -> None:
    assert reconcile(S.RECEIVED, our_state(7, T.RETURN_REFUND, return_shipped=True)) is S.RECEIVED
    assert reconcile(S.RESTOCKED, S.WAITING_BUYER) is S.RESTOCKED


# --- needs_attention --------------------------------------------------------------------------------------------


def test_a_waiting_case_needs_attention_with_the_time_left_to_its_expire_time() -> None:
    assert needs_attention(_case(), NOW) == (True, timedelta(hours=47))


def test_the_deadline_moment_and_after_are_zero_and_negative_time_left() -> None:
    deadline = NOW + timedelta(hours=47)
    assert needs_attention(_case(), deadline) == (True, timedelta(0))
    assert needs_attention(_case(), deadline + timedelta(seconds=1)) == (True, timedelta(seconds=-1))


def test_warn_before_boundary_is_inclusive() -> None:
    case = _case(expire_time=NOW + timedelta(hours=6))
    assert needs_attention(case, NOW, warn_before=timedelta(hours=6)) == (True, timedelta(hours=6))
    late = NOW - timedelta(seconds=1)
    assert needs_attention(case, late, warn_before=timedelta(hours=6)) == (False, timedelta(hours=6, seconds=1))
    assert needs_attention(case, NOW + timedelta(hours=7), warn_before=timedelta(hours=6))[0] is True


def test_a_case_not_waiting_on_the_merchant_needs_no_attention_even_with_a_stray_deadline() -> None:
    for code in sorted(set(DOC_STATUSES) - DOC_WAITING):
        assert needs_attention(_case(platform_status=code), NOW) == (False, None)


def test_a_waiting_case_without_a_deadline_needs_attention_with_unknown_time_left() -> None:
    assert needs_attention(_case(expire_time=None), NOW) == (True, None)
    assert needs_attention(_case(expire_time=None), NOW, warn_before=timedelta(minutes=1)) == (True, None)


@given(st.integers(min_value=-(10**7), max_value=10**7), st.sampled_from(sorted(DOC_WAITING)))
def test_the_time_left_is_exactly_the_platforms_deadline_minus_now(offset_s: int, code: int) -> None:
    expire = NOW + timedelta(seconds=offset_s)
    assert needs_attention(_case(platform_status=code, expire_time=expire), NOW) == (True, expire - NOW)


def test_needs_attention_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError):
        needs_attention(_case(), datetime(2026, 3, 5, 12, 0))


# --- the canonical case ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"refund_amount_fen": -1}, "refund_amount_fen"),
        ({"order_sn": ""}, "order_sn"),
        ({"created_at": datetime(2026, 3, 5, 12, 0)}, "created_at"),
        ({"expire_time": datetime(2026, 3, 5, 12, 0, tzinfo=timezone(timedelta(hours=8)))}, "expire_time"),
        ({"goods": CaseGoods(quantity=-1)}, "goods.quantity"),
    ],
)
def test_a_canonical_case_refuses_what_breaks_its_rules(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidCase) as raised:
        _case(**changes)
    assert raised.value.code == "aftersales.invalid_case" and raised.value.params["field"] == field


# --- refunds are paid once ------------------------------------------------------------------------------------


def test_a_case_refund_is_recorded_once() -> None:
    assert refund_recorded(0, 1990, after_sales_id="7") == 1990
    with pytest.raises(RefundAlreadyRecorded) as raised:
        refund_recorded(1990, 1990, after_sales_id="7")
    assert raised.value.code == "aftersales.refund_already_recorded"
    assert raised.value.params["recorded_fen"] == 1990


@pytest.mark.parametrize(("previous", "amount"), [(0, 0), (0, -1), (-1, 100)])
def test_a_refund_is_a_positive_amount(previous: int, amount: int) -> None:
    with pytest.raises(InvalidRefundAmount) as raised:
        refund_recorded(previous, amount)
    assert raised.value.code == "aftersales.invalid_refund_amount"


def test_partial_refunds_of_an_order_sum_up_to_what_was_paid() -> None:
    refunds = OrderRefunds("260302-1", paid_fen=5080).record("a", 4290).record("b", 790)
    assert (refunds.refunded_fen, refunds.refundable_fen) == (5080, 0)
    with pytest.raises(RefundExceedsPaid) as raised:
        refunds.record("c", 1)
    assert raised.value.code == "aftersales.refund_exceeds_paid"
    with pytest.raises(RefundAlreadyRecorded):
        refunds.record("a", 4290)  # the same success seen again is a replay, never a second payment


def test_loaded_refunds_obey_the_same_rules() -> None:
    with pytest.raises(RefundAlreadyRecorded):
        OrderRefunds("260302-1", 5000, (RecordedRefund("a", 100), RecordedRefund("a", 100)))
    with pytest.raises(RefundExceedsPaid):
        OrderRefunds("260302-1", 150, (RecordedRefund("a", 100), RecordedRefund("b", 100)))


_CASE_IDS = st.sampled_from(["c1", "c2", "c3", "c4", "c5"])


@given(
    paid=st.integers(min_value=0, max_value=50_000),
    attempts=st.lists(st.tuples(_CASE_IDS, st.integers(min_value=-100, max_value=30_000)), max_size=30),
)
def test_refunds_are_paid_at_most_once_per_case_and_never_beyond_the_paid_amount(
    paid: int, attempts: list[tuple[str, int]]
) -> None:
    refunds = OrderRefunds("260302-1", paid)
    model: dict[str, int] = {}
    for case_id, amount in attempts:
        try:
            after = refunds.record(case_id, amount)
        except InvalidRefundAmount:
            assert amount <= 0
            after = refunds
        except RefundAlreadyRecorded as refused:
            assert case_id in model and refused.params["recorded_fen"] == model[case_id]
            after = refunds
        except RefundExceedsPaid:
            assert amount > 0 and case_id not in model and sum(model.values()) + amount > paid
            after = refunds
        else:
            assert amount > 0 and case_id not in model and sum(model.values()) + amount <= paid
            model[case_id] = amount
        refunds = after
        assert refunds.refunded_fen == sum(model.values()) <= paid
        assert len({r.after_sales_id for r in refunds.refunds}) == len(refunds.refunds)
        assert all(refunds.refunded_for(case) == amount for case, amount in model.items())
