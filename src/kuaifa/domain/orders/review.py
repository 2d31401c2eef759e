"""Review (审单): per-shop rules decide whether a new order may go on to stock allocation, or is held.

Rules are data: each shop keeps a list of ``{"code", "enabled", "params"}``. They are evaluated in the order of
:data:`RULE_ORDER`, every rule every time, so a held order lists *all* its reasons and ``explain`` can show every
verdict. Stock is the last rule; it is decided by allocation (``kuaifa.domain.inventory.allocation``), after every
other rule has passed, so only orders that may ship take stock.

Mandatory rules protect the platform's rules and the stock invariants and cannot be switched off: nothing ships
while the platform reviews an order (risk_control_status = 1), holds it (ship_hold), or has after-sales open;
nothing is reserved for a line whose SKU is unknown.

A person who releases a held order waives the judgement rules that held it (buyer memo, address, amount), so review
does not hold it again for the same reason; platform, mapping and stock reasons are never waived.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kuaifa.domain.orders.canonical import PlatformRefundStatus
from kuaifa.domain.shared.errors import InvalidRuleConfig, Text


class HoldReason(StrEnum):
    PLATFORM_RISK = "platform_risk"
    SHIP_HOLD = "ship_hold"
    AFTER_SALES_OPEN = "after_sales_open"
    SKU_UNMAPPED = "sku_unmapped"
    ADDRESS_INCOMPLETE = "address_incomplete"
    AMOUNT_ANOMALY = "amount_anomaly"
    BUYER_MEMO = "buyer_memo"
    STOCK_INSUFFICIENT = "stock_insufficient"
    MANUAL = "manual"
    BUNDLE_INVALID = "bundle_invalid"  # a bundle line that cannot be expanded (a cycle, nested too deep)
    DATA_INVALID = "data_invalid"  # the order's stored data cannot be reviewed (the event names the problem)


R = HoldReason

#: the documented evaluation order of the review rules.
RULE_ORDER: tuple[HoldReason, ...] = (
    R.PLATFORM_RISK,
    R.SHIP_HOLD,
    R.AFTER_SALES_OPEN,
    R.SKU_UNMAPPED,
    R.ADDRESS_INCOMPLETE,
    R.AMOUNT_ANOMALY,
    R.BUYER_MEMO,
    R.STOCK_INSUFFICIENT,
)
MANDATORY: frozenset[HoldReason] = frozenset(
    {R.PLATFORM_RISK, R.SHIP_HOLD, R.AFTER_SALES_OPEN, R.SKU_UNMAPPED, R.STOCK_INSUFFICIENT}
)
#: reasons the platform sets and clears; re-evaluated on every sync.
PLATFORM_REASONS: frozenset[HoldReason] = frozenset({R.PLATFORM_RISK, R.SHIP_HOLD, R.AFTER_SALES_OPEN})
#: reasons a person may waive by releasing the order.
WAIVABLE: frozenset[HoldReason] = frozenset({R.ADDRESS_INCOMPLETE, R.AMOUNT_ANOMALY, R.BUYER_MEMO})
#: reasons that clear by themselves (platform, mapping added, stock arrived): such holds are reviewed again.
#: (broken data is reviewed again too: once the catalogue is fixed, the order goes through)
SELF_CLEARING: frozenset[HoldReason] = PLATFORM_REASONS | {
    R.SKU_UNMAPPED,
    R.STOCK_INSUFFICIENT,
    R.BUNDLE_INVALID,
    R.DATA_INVALID,
}

DEFAULT_PARAMS: Mapping[HoldReason, Mapping[str, Any]] = {
    R.AMOUNT_ANOMALY: {"min_pay_fen": 1, "max_pay_fen": 500_000},
    R.BUYER_MEMO: {"keywords": []},
}


@dataclass(frozen=True, slots=True)
class RuleConfig:
    code: HoldReason
    enabled: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> Any:
        return self.params.get(name, DEFAULT_PARAMS.get(self.code, {}).get(name))


def default_rules() -> tuple[RuleConfig, ...]:
    return tuple(RuleConfig(code) for code in RULE_ORDER)


def parse_rules(raw: Iterable[Mapping[str, Any]] | None) -> tuple[RuleConfig, ...]:
    """Build a shop's rule list from stored data; rules not mentioned keep their defaults, order is RULE_ORDER."""
    given: dict[HoldReason, RuleConfig] = {}
    for item in raw or ():
        try:
            code = HoldReason(item["code"])
        except (KeyError, ValueError):
            raise InvalidRuleConfig(rule=str(item.get("code")), reason=Text("unknown rule code")) from None
        if code is R.MANUAL:
            raise InvalidRuleConfig(rule=code.value, reason=Text("manual holds are not a review rule"))
        enabled = item.get("enabled", True)
        if not isinstance(enabled, bool):
            raise InvalidRuleConfig(rule=code.value, reason=Text("enabled must be true or false"))
        if not enabled and code in MANDATORY:
            raise InvalidRuleConfig(rule=code.value, reason=Text("this rule is mandatory and cannot be disabled"))
        params = dict(item.get("params") or {})
        _check_params(code, params)
        low, high = params.get("min_pay_fen"), params.get("max_pay_fen")
        if low is not None and high is not None and low > high:
            raise InvalidRuleConfig(rule=code.value, reason=Text("min_pay_fen is larger than max_pay_fen"))
        given[code] = RuleConfig(code, enabled, params)
    return tuple(given.get(code, RuleConfig(code)) for code in RULE_ORDER)


def _check_params(code: HoldReason, params: Mapping[str, Any]) -> None:
    if code is R.AMOUNT_ANOMALY:
        for name in ("min_pay_fen", "max_pay_fen"):
            value = params.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidRuleConfig(
                    rule=code.value, reason=Text("%(name)s must be a whole number of fen ≥ 0", name=name)
                )
    if code is R.BUYER_MEMO and "keywords" in params:
        words = params["keywords"]
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise InvalidRuleConfig(rule=code.value, reason=Text("keywords must be a list of non-empty words"))


@dataclass(frozen=True, slots=True)
class ReviewLine:
    sku_id: int | None  # None: the line's platform SKU maps to none of ours
    quantity: int
    unit_price_fen: int


@dataclass(frozen=True, slots=True)
class ReviewSubject:
    """What review needs to know about one order; built by the service from stored rows."""

    order_sn: str
    lines: tuple[ReviewLine, ...]
    risk_control_status: int = 0
    ship_hold: bool = False
    refund_status: int = PlatformRefundStatus.NONE
    buyer_memo: str = ""
    receiver_complete: bool = True
    pay_amount_fen: int = 0
    waived: frozenset[HoldReason] = frozenset()


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    code: HoldReason
    enabled: bool
    mandatory: bool
    passed: bool | None  # None: not evaluated (disabled, waived, or stock not yet decided)
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    reasons: tuple[HoldReason, ...]
    verdicts: tuple[RuleVerdict, ...]

    @property
    def passed(self) -> bool:
        return not self.reasons


# Members looked up once: on Python 3.11 reading an attribute of an Enum class goes through the metaclass's
# __getattr__ hook (gone in 3.12), which costs more than a rule check.
_PLATFORM_RISK, _SHIP_HOLD, _AFTER_SALES_OPEN = R.PLATFORM_RISK, R.SHIP_HOLD, R.AFTER_SALES_OPEN
_REFUND_OPEN = frozenset({PlatformRefundStatus.IN_PROGRESS, PlatformRefundStatus.REFUNDING})
_STOCK_INSUFFICIENT = R.STOCK_INSUFFICIENT


def platform_reasons(subject: ReviewSubject) -> tuple[HoldReason, ...]:
    """The platform's own reasons not to ship, in rule order."""
    found = []
    if subject.risk_control_status == 1:
        found.append(_PLATFORM_RISK)
    if subject.ship_hold:
        found.append(_SHIP_HOLD)
    if subject.refund_status in _REFUND_OPEN:
        found.append(_AFTER_SALES_OPEN)
    return tuple(found)


def _check_unmapped(rule: RuleConfig, subject: ReviewSubject) -> tuple[bool, str]:
    unmapped = sum(1 for line in subject.lines if line.sku_id is None)
    return unmapped == 0, f"{unmapped} line(s) unmapped" if unmapped else ""


def _check_address(rule: RuleConfig, subject: ReviewSubject) -> tuple[bool, str]:
    return subject.receiver_complete, ""


def _check_amount(rule: RuleConfig, subject: ReviewSubject) -> tuple[bool, str]:
    low, high = rule.param("min_pay_fen"), rule.param("max_pay_fen")
    if subject.pay_amount_fen < low or subject.pay_amount_fen > high:
        return False, f"pay {subject.pay_amount_fen} fen outside [{low}, {high}]"
    if any(line.unit_price_fen < 0 or line.quantity <= 0 for line in subject.lines):
        return False, "a line has a negative price or no quantity"
    return True, ""


def _check_memo(rule: RuleConfig, subject: ReviewSubject) -> tuple[bool, str]:
    memo = subject.buyer_memo.strip()
    keywords: Sequence[str] = rule.param("keywords") or ()
    if not memo:
        return True, ""
    if not keywords:
        return False, memo
    hits = [word for word in keywords if word in memo]
    return not hits, ", ".join(hits)


#: the check of each rule that is not the platform's (those compare with platform_reasons) nor stock (allocation)
_CHECKS: Mapping[HoldReason, Callable[[RuleConfig, ReviewSubject], tuple[bool, str]]] = {
    R.SKU_UNMAPPED: _check_unmapped,
    R.ADDRESS_INCOMPLETE: _check_address,
    R.AMOUNT_ANOMALY: _check_amount,
    R.BUYER_MEMO: _check_memo,
}
if set(_CHECKS) | PLATFORM_REASONS | {R.STOCK_INSUFFICIENT} != set(RULE_ORDER):  # pragma: no cover
    raise AssertionError("every rule in RULE_ORDER needs its check")


def _check(rule: RuleConfig, subject: ReviewSubject, from_platform: tuple[HoldReason, ...]) -> tuple[bool, str]:
    code = rule.code
    if code in PLATFORM_REASONS:
        return code not in from_platform, ""
    return _CHECKS[code](rule, subject)


def review(subject: ReviewSubject, rules: Sequence[RuleConfig], *, explain: bool = True) -> ReviewOutcome:
    """Evaluate every rule but stock. An order that passes goes to allocation, which decides the stock rule.

    ``explain=False`` (batch review) returns the reasons without building a verdict per rule."""
    reasons: list[HoldReason] = []
    verdicts: list[RuleVerdict] = []
    from_platform = platform_reasons(subject)
    for rule in rules:
        code = rule.code
        mandatory = code in MANDATORY
        if code is _STOCK_INSUFFICIENT:
            if explain:
                verdicts.append(RuleVerdict(code, True, True, None, "decided by allocation"))
            continue
        if not rule.enabled and not mandatory:
            if explain:
                verdicts.append(RuleVerdict(code, False, mandatory, None, "disabled"))
            continue
        if code in subject.waived and code in WAIVABLE:
            if explain:
                verdicts.append(RuleVerdict(code, True, mandatory, None, "waived by a person on release"))
            continue
        passed, detail = _check(rule, subject, from_platform)
        if explain:
            verdicts.append(RuleVerdict(code, True, mandatory, passed, detail))
        if not passed:
            reasons.append(code)
    return ReviewOutcome(tuple(reasons), tuple(verdicts))
