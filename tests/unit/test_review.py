"""Review rules: parsed from shop data, evaluated in RULE_ORDER, every rule every time."""

from __future__ import annotations

from typing import Any

import pytest

from kuaifa.domain.orders.canonical import PlatformRefundStatus
from kuaifa.domain.orders.review import (
    MANDATORY,
    PLATFORM_REASONS,
    RULE_ORDER,
    SELF_CLEARING,
    WAIVABLE,
    HoldReason,
    ReviewLine,
    ReviewSubject,
    RuleConfig,
    RuleVerdict,
    default_rules,
    parse_rules,
    platform_reasons,
    review,
)
from kuaifa.domain.shared.errors import InvalidRuleConfig

R = HoldReason


def clean_subject(**changes: Any) -> ReviewSubject:
    """An order every default rule lets through; tests change one thing at a time."""
    fields: dict[str, Any] = {
        "order_sn": "240101-1",
        "lines": (ReviewLine(sku_id=7, quantity=1, unit_price_fen=1990),),
        "pay_amount_fen": 1990,
    }
    fields.update(changes)
    return ReviewSubject(**fields)


# --- the rule sets ----------------------------------------------------------------------------------------------


def test_rule_order_is_platform_then_mapping_then_judgement_then_stock() -> None:
    assert RULE_ORDER == (
        R.PLATFORM_RISK,
        R.SHIP_HOLD,
        R.AFTER_SALES_OPEN,
        R.SKU_UNMAPPED,
        R.ADDRESS_INCOMPLETE,
        R.AMOUNT_ANOMALY,
        R.BUYER_MEMO,
        R.STOCK_INSUFFICIENT,
    )


def test_mandatory_and_waivable_rules_split_the_review_rules_between_them() -> None:
    mandatory = {R.PLATFORM_RISK, R.SHIP_HOLD, R.AFTER_SALES_OPEN, R.SKU_UNMAPPED, R.STOCK_INSUFFICIENT}
    assert frozenset(mandatory) == MANDATORY
    assert frozenset({R.ADDRESS_INCOMPLETE, R.AMOUNT_ANOMALY, R.BUYER_MEMO}) == WAIVABLE
    assert not MANDATORY & WAIVABLE
    assert set(RULE_ORDER) == MANDATORY | WAIVABLE
    assert R.MANUAL not in RULE_ORDER


def test_platform_reasons_are_mandatory_and_self_clearing_but_never_waivable() -> None:
    assert frozenset({R.PLATFORM_RISK, R.SHIP_HOLD, R.AFTER_SALES_OPEN}) == PLATFORM_REASONS
    assert PLATFORM_REASONS <= MANDATORY
    assert PLATFORM_REASONS | {R.SKU_UNMAPPED, R.STOCK_INSUFFICIENT, R.BUNDLE_INVALID, R.DATA_INVALID} == SELF_CLEARING
    assert not SELF_CLEARING & WAIVABLE


def test_default_rules_enable_every_rule_in_rule_order() -> None:
    assert default_rules() == tuple(RuleConfig(code, True, {}) for code in RULE_ORDER)


# --- parse_rules ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, []])
def test_a_shop_without_stored_rules_gets_the_defaults(raw: list[dict[str, Any]] | None) -> None:
    assert parse_rules(raw) == default_rules()


def test_parsed_rules_come_back_in_rule_order_with_unmentioned_rules_at_their_defaults() -> None:
    # given a shop that stores two rules, out of order
    raw = [
        {"code": "buyer_memo", "enabled": True, "params": {"keywords": ["加急"]}},
        {"code": "address_incomplete", "enabled": False},
    ]
    # when
    rules = parse_rules(raw)
    # then
    assert rules == (
        RuleConfig(R.PLATFORM_RISK),
        RuleConfig(R.SHIP_HOLD),
        RuleConfig(R.AFTER_SALES_OPEN),
        RuleConfig(R.SKU_UNMAPPED),
        RuleConfig(R.ADDRESS_INCOMPLETE, False, {}),
        RuleConfig(R.AMOUNT_ANOMALY),
        RuleConfig(R.BUYER_MEMO, True, {"keywords": ["加急"]}),
        RuleConfig(R.STOCK_INSUFFICIENT),
    )


def test_a_rule_without_enabled_is_enabled() -> None:
    rules = parse_rules([{"code": "amount_anomaly", "params": {"max_pay_fen": 100}}])
    assert rules[5] == RuleConfig(R.AMOUNT_ANOMALY, True, {"max_pay_fen": 100})


@pytest.mark.parametrize("code", sorted(c.value for c in MANDATORY))
def test_disabling_a_mandatory_rule_is_refused(code: str) -> None:
    # given a stored config that switches off a mandatory rule
    # when it is parsed
    with pytest.raises(InvalidRuleConfig) as caught:
        parse_rules([{"code": code, "enabled": False}])
    # then
    assert caught.value.code == "review.invalid_rule_config"
    assert caught.value.params == {"rule": code, "reason": "this rule is mandatory and cannot be disabled"}


@pytest.mark.parametrize("code", sorted(c.value for c in MANDATORY))
def test_mentioning_a_mandatory_rule_as_enabled_is_fine(code: str) -> None:
    assert parse_rules([{"code": code, "enabled": True}]) == default_rules()


@pytest.mark.parametrize(
    ("item", "rule"),
    [({"code": "gift_wrap"}, "gift_wrap"), ({"enabled": True}, "None"), ({"code": "PLATFORM_RISK"}, "PLATFORM_RISK")],
)
def test_an_unknown_rule_code_is_refused(item: dict[str, Any], rule: str) -> None:
    with pytest.raises(InvalidRuleConfig) as caught:
        parse_rules([item])
    assert caught.value.code == "review.invalid_rule_config"
    assert caught.value.params == {"rule": rule, "reason": "unknown rule code"}


def test_manual_is_a_hold_reason_but_not_a_rule() -> None:
    with pytest.raises(InvalidRuleConfig) as caught:
        parse_rules([{"code": "manual"}])
    assert caught.value.params == {"rule": "manual", "reason": "manual holds are not a review rule"}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"min_pay_fen": -1}, "min_pay_fen"),
        ({"max_pay_fen": 19.9}, "max_pay_fen"),
        ({"max_pay_fen": "500"}, "max_pay_fen"),
        ({"min_pay_fen": None}, "min_pay_fen"),
    ],
)
def test_amount_bounds_must_be_whole_fen_not_below_zero(params: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidRuleConfig) as caught:
        parse_rules([{"code": "amount_anomaly", "params": params}])
    assert caught.value.params == {"rule": "amount_anomaly", "reason": f"{name} must be a whole number of fen ≥ 0"}


@pytest.mark.parametrize("keywords", ["加急", ["加急", ""], ["  "], [1], None])
def test_memo_keywords_must_be_a_list_of_non_empty_words(keywords: object) -> None:
    with pytest.raises(InvalidRuleConfig) as caught:
        parse_rules([{"code": "buyer_memo", "params": {"keywords": keywords}}])
    assert caught.value.params == {"rule": "buyer_memo", "reason": "keywords must be a list of non-empty words"}


def test_valid_params_are_kept() -> None:
    rules = parse_rules(
        [
            {"code": "amount_anomaly", "params": {"min_pay_fen": 0, "max_pay_fen": 100_000}},
            {"code": "buyer_memo", "params": {"keywords": []}},
        ]
    )
    assert rules[5].params == {"min_pay_fen": 0, "max_pay_fen": 100_000}
    assert rules[6].params == {"keywords": []}


def test_a_rule_param_falls_back_to_its_default() -> None:
    rule = RuleConfig(R.AMOUNT_ANOMALY, True, {"max_pay_fen": 100})
    assert rule.param("max_pay_fen") == 100
    assert rule.param("min_pay_fen") == 1
    assert RuleConfig(R.BUYER_MEMO).param("keywords") == []
    assert RuleConfig(R.SHIP_HOLD).param("anything") is None


# --- platform_reasons -------------------------------------------------------------------------------------------


def test_a_clean_order_has_no_platform_reasons() -> None:
    assert platform_reasons(clean_subject()) == ()


def test_every_platform_reason_is_found_in_rule_order() -> None:
    subject = clean_subject(risk_control_status=1, ship_hold=True, refund_status=PlatformRefundStatus.REFUNDING)
    assert platform_reasons(subject) == (R.PLATFORM_RISK, R.SHIP_HOLD, R.AFTER_SALES_OPEN)


@pytest.mark.parametrize(
    ("refund_status", "reasons"),
    [
        (PlatformRefundStatus.NONE, ()),
        (PlatformRefundStatus.IN_PROGRESS, (R.AFTER_SALES_OPEN,)),
        (PlatformRefundStatus.REFUNDING, (R.AFTER_SALES_OPEN,)),
        (PlatformRefundStatus.REFUNDED, ()),
    ],
)
def test_after_sales_is_open_only_while_it_is_in_progress_or_refunding(
    refund_status: PlatformRefundStatus, reasons: tuple[HoldReason, ...]
) -> None:
    assert platform_reasons(clean_subject(refund_status=refund_status)) == reasons


@pytest.mark.parametrize(("risk", "reasons"), [(0, ()), (1, (R.PLATFORM_RISK,)), (2, ())])
def test_only_risk_control_status_one_is_a_platform_review(risk: int, reasons: tuple[HoldReason, ...]) -> None:
    assert platform_reasons(clean_subject(risk_control_status=risk)) == reasons


# --- review -----------------------------------------------------------------------------------------------------


def test_a_clean_order_passes_review_and_leaves_stock_to_allocation() -> None:
    # given a clean order and the default rules
    # when it is reviewed
    outcome = review(clean_subject(), default_rules())
    # then it passes, and every rule has a verdict, stock undecided
    assert outcome.passed is True
    assert outcome.reasons == ()
    assert outcome.verdicts == (
        RuleVerdict(R.PLATFORM_RISK, True, True, True, ""),
        RuleVerdict(R.SHIP_HOLD, True, True, True, ""),
        RuleVerdict(R.AFTER_SALES_OPEN, True, True, True, ""),
        RuleVerdict(R.SKU_UNMAPPED, True, True, True, ""),
        RuleVerdict(R.ADDRESS_INCOMPLETE, True, False, True, ""),
        RuleVerdict(R.AMOUNT_ANOMALY, True, False, True, ""),
        RuleVerdict(R.BUYER_MEMO, True, False, True, ""),
        RuleVerdict(R.STOCK_INSUFFICIENT, True, True, None, "decided by allocation"),
    )


def test_a_held_order_lists_every_reason_in_rule_order() -> None:
    # given an order that breaks every rule review decides
    subject = clean_subject(
        risk_control_status=1,
        ship_hold=True,
        refund_status=PlatformRefundStatus.IN_PROGRESS,
        lines=(ReviewLine(None, 1, 100), ReviewLine(None, 2, 100), ReviewLine(3, 1, 100)),
        receiver_complete=False,
        pay_amount_fen=0,
        buyer_memo="请发顺丰",
    )
    # when
    outcome = review(subject, default_rules())
    # then
    assert outcome.passed is False
    assert outcome.reasons == (
        R.PLATFORM_RISK,
        R.SHIP_HOLD,
        R.AFTER_SALES_OPEN,
        R.SKU_UNMAPPED,
        R.ADDRESS_INCOMPLETE,
        R.AMOUNT_ANOMALY,
        R.BUYER_MEMO,
    )
    details = {v.code: v.detail for v in outcome.verdicts}
    assert details[R.SKU_UNMAPPED] == "2 line(s) unmapped"
    assert details[R.AMOUNT_ANOMALY] == "pay 0 fen outside [1, 500000]"
    assert details[R.BUYER_MEMO] == "请发顺丰"


def test_a_platform_risk_review_holds_the_order() -> None:
    outcome = review(clean_subject(risk_control_status=1), default_rules())
    assert outcome.reasons == (R.PLATFORM_RISK,)
    assert outcome.verdicts[0] == RuleVerdict(R.PLATFORM_RISK, True, True, False, "")


def test_an_unmapped_line_holds_the_order() -> None:
    subject = clean_subject(lines=(ReviewLine(7, 1, 1000), ReviewLine(None, 1, 990)))
    outcome = review(subject, default_rules())
    assert outcome.reasons == (R.SKU_UNMAPPED,)
    assert outcome.verdicts[3] == RuleVerdict(R.SKU_UNMAPPED, True, True, False, "1 line(s) unmapped")


def test_an_incomplete_address_holds_the_order() -> None:
    assert review(clean_subject(receiver_complete=False), default_rules()).reasons == (R.ADDRESS_INCOMPLETE,)


@pytest.mark.parametrize(
    ("pay", "passed"),
    [(0, False), (1, True), (500_000, True), (500_001, False)],
)
def test_the_default_amount_bounds_are_inclusive(pay: int, passed: bool) -> None:
    outcome = review(clean_subject(pay_amount_fen=pay), default_rules())
    assert outcome.reasons == (() if passed else (R.AMOUNT_ANOMALY,))


def test_a_shop_amount_ceiling_replaces_the_default() -> None:
    rules = parse_rules([{"code": "amount_anomaly", "params": {"max_pay_fen": 1000}}])
    outcome = review(clean_subject(pay_amount_fen=1001), rules)
    assert outcome.reasons == (R.AMOUNT_ANOMALY,)
    assert outcome.verdicts[5].detail == "pay 1001 fen outside [1, 1000]"


def test_a_shop_may_accept_free_orders() -> None:
    rules = parse_rules([{"code": "amount_anomaly", "params": {"min_pay_fen": 0}}])
    assert review(clean_subject(pay_amount_fen=0), rules).passed is True


@pytest.mark.parametrize(
    "line",
    [ReviewLine(7, 1, -1), ReviewLine(7, 0, 1990), ReviewLine(7, -1, 1990)],
)
def test_a_line_with_a_negative_price_or_no_quantity_is_an_amount_anomaly(line: ReviewLine) -> None:
    outcome = review(clean_subject(lines=(line,)), default_rules())
    assert outcome.reasons == (R.AMOUNT_ANOMALY,)
    assert outcome.verdicts[5].detail == "a line has a negative price or no quantity"


def test_a_free_gift_line_is_not_an_anomaly() -> None:
    subject = clean_subject(lines=(ReviewLine(7, 1, 1990), ReviewLine(8, 1, 0)))
    assert review(subject, default_rules()).passed is True


@pytest.mark.parametrize("memo", ["", "   ", "\n"])
def test_a_blank_memo_does_not_hold(memo: str) -> None:
    assert review(clean_subject(buyer_memo=memo), default_rules()).passed is True


def test_without_keywords_any_memo_holds_and_the_memo_is_the_detail() -> None:
    outcome = review(clean_subject(buyer_memo="  不要放发票 "), default_rules())
    assert outcome.reasons == (R.BUYER_MEMO,)
    assert outcome.verdicts[6].detail == "不要放发票"


def test_with_keywords_only_a_memo_naming_one_holds() -> None:
    rules = parse_rules([{"code": "buyer_memo", "params": {"keywords": ["顺丰", "加急", "发票"]}}])
    hit = review(clean_subject(buyer_memo="加急，要发票"), rules)
    miss = review(clean_subject(buyer_memo="谢谢老板"), rules)
    assert hit.reasons == (R.BUYER_MEMO,)
    assert hit.verdicts[6].detail == "加急, 发票"
    assert miss.passed is True
    assert miss.verdicts[6] == RuleVerdict(R.BUYER_MEMO, True, False, True, "")


@pytest.mark.parametrize("code", sorted(c.value for c in WAIVABLE))
def test_a_disabled_non_mandatory_rule_does_not_hold(code: str) -> None:
    # given an order that breaks every judgement rule, and a shop that switched one of them off
    subject = clean_subject(receiver_complete=False, pay_amount_fen=0, buyer_memo="备注")
    rules = parse_rules([{"code": code, "enabled": False}])
    # when
    outcome = review(subject, rules)
    # then that rule is not evaluated and is not among the reasons
    disabled = HoldReason(code)
    assert outcome.reasons == tuple(r for r in (R.ADDRESS_INCOMPLETE, R.AMOUNT_ANOMALY, R.BUYER_MEMO) if r != disabled)
    assert RuleVerdict(disabled, False, False, None, "disabled") in outcome.verdicts


def test_a_person_who_released_an_order_waives_the_judgement_rules_that_held_it() -> None:
    # given an order released by a person after it was held for its address and memo
    subject = clean_subject(
        receiver_complete=False,
        buyer_memo="备注",
        waived=frozenset({R.ADDRESS_INCOMPLETE, R.BUYER_MEMO}),
    )
    # when it is reviewed again
    outcome = review(subject, default_rules())
    # then it passes, the waived rules are recorded as not evaluated
    assert outcome.reasons == ()
    assert outcome.verdicts[4] == RuleVerdict(R.ADDRESS_INCOMPLETE, True, False, None, "waived by a person on release")
    assert outcome.verdicts[6] == RuleVerdict(R.BUYER_MEMO, True, False, None, "waived by a person on release")


def test_a_waiver_covers_only_the_rules_it_names() -> None:
    subject = clean_subject(receiver_complete=False, buyer_memo="备注", waived=frozenset({R.BUYER_MEMO}))
    assert review(subject, default_rules()).reasons == (R.ADDRESS_INCOMPLETE,)


def test_platform_and_mapping_reasons_cannot_be_waived() -> None:
    # given a release that tries to waive mandatory reasons
    subject = clean_subject(
        risk_control_status=1,
        lines=(ReviewLine(None, 1, 1990),),
        waived=frozenset({R.PLATFORM_RISK, R.SKU_UNMAPPED}),
    )
    # when / then they still hold
    assert review(subject, default_rules()).reasons == (R.PLATFORM_RISK, R.SKU_UNMAPPED)


def test_review_never_holds_for_stock_itself() -> None:
    outcome = review(clean_subject(), [RuleConfig(R.STOCK_INSUFFICIENT)])
    assert outcome.reasons == ()
    assert outcome.verdicts == (RuleVerdict(R.STOCK_INSUFFICIENT, True, True, None, "decided by allocation"),)


def test_review_evaluates_the_rules_it_is_given_in_the_order_given() -> None:
    subject = clean_subject(receiver_complete=False, risk_control_status=1)
    rules = [RuleConfig(R.ADDRESS_INCOMPLETE), RuleConfig(R.PLATFORM_RISK)]
    outcome = review(subject, rules)
    assert outcome.reasons == (R.ADDRESS_INCOMPLETE, R.PLATFORM_RISK)
    assert [v.code for v in outcome.verdicts] == [R.ADDRESS_INCOMPLETE, R.PLATFORM_RISK]


def test_a_mandatory_rule_is_evaluated_even_when_a_hand_built_config_disables_it() -> None:
    outcome = review(clean_subject(risk_control_status=1), [RuleConfig(R.PLATFORM_RISK, enabled=False)])
    assert outcome.reasons == (R.PLATFORM_RISK,)
    assert outcome.verdicts == (RuleVerdict(R.PLATFORM_RISK, True, True, False, ""),)


def test_batch_review_gives_the_same_reasons_without_building_verdicts() -> None:
    subject = clean_subject(risk_control_status=1, buyer_memo="请发顺丰", receiver_complete=False)
    rules = default_rules()

    full = review(subject, rules)
    batch = review(subject, rules, explain=False)

    assert batch.reasons == full.reasons == (R.PLATFORM_RISK, R.ADDRESS_INCOMPLETE, R.BUYER_MEMO)
    assert batch.verdicts == ()
