"""The SLA sweep's rules: how much time an order has left, which alert thresholds it has crossed, and what a late
shipment may cost.

Business rules:

- Thresholds are "time left to ship-by" marks, by default T−24 h, T−6 h, T−1 h and overdue (T−0). An order
  crosses a mark once its time left is at or below it; each mark alerts once per order (the caller keys the alert
  by order and mark, so sweeping again raises nothing new).
- An order under the platform's risk review (风控) or ship hold (暂停发货) must not ship: it is listed apart and
  never alarmed — nobody on the packing line can save it.
- The platform does not publish its late-shipment compensation formula (延迟发货 消费者补偿). The penalty at stake is
  therefore an estimate from the shop's own policy: a share of the paid amount with a floor and an optional cap
  (defaults: 5 % of the amount paid, at least ¥3, no cap — a commonly quoted rule, unverified).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.domain.sla.deadlines import Risk, RiskThresholds, risk_level


class InvalidSlaPolicy(DomainError):
    code = "sla.invalid_policy"
    template = "SLA policy: %(reason)s"


DEFAULT_MARKS: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=6), timedelta(hours=1), timedelta(0))


def mark_name(mark: timedelta) -> str:
    """``T-24h``, ``T-90m``, ``overdue``: the stable name an alert is keyed by."""
    if mark <= timedelta(0):
        return "overdue"
    minutes = int(mark.total_seconds() // 60)
    return f"T-{minutes // 60}h" if minutes % 60 == 0 else f"T-{minutes}m"


@dataclass(frozen=True, slots=True)
class PenaltyPolicy:
    """A shop's estimate of the late-shipment charge: ``basis_points`` of the paid amount, floored and capped (fen)."""

    basis_points: int = 500
    min_fen: int = 300
    max_fen: int | None = None

    def __post_init__(self) -> None:
        if self.basis_points < 0 or self.min_fen < 0:
            raise InvalidSlaPolicy(reason=Text("the penalty share and floor cannot be negative"))
        if self.max_fen is not None and self.max_fen < self.min_fen:
            raise InvalidSlaPolicy(reason=Text("the penalty cap cannot be below its floor"))

    def penalty_fen(self, pay_amount_fen: int) -> int:
        """The estimated charge if this order ships late; integer fen, rounded half up."""
        share = (pay_amount_fen * self.basis_points + 5_000) // 10_000
        amount = max(share, self.min_fen)
        return amount if self.max_fen is None else min(amount, self.max_fen)


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """Alert marks (time left, any order) and the penalty estimate of one shop."""

    marks: tuple[timedelta, ...] = DEFAULT_MARKS
    penalty: PenaltyPolicy = PenaltyPolicy()

    def __post_init__(self) -> None:
        if not self.marks:
            raise InvalidSlaPolicy(reason=Text("at least one alert threshold is needed"))
        if any(mark < timedelta(0) for mark in self.marks):
            raise InvalidSlaPolicy(reason=Text("an alert threshold is time left before ship-by and cannot be negative"))
        if len(set(self.marks)) != len(self.marks):
            raise InvalidSlaPolicy(reason=Text("alert thresholds must differ"))


class SetApart(StrEnum):
    RISK_REVIEW = "platform_risk"
    SHIP_HOLD = "ship_hold"


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """What the sweep needs to know about an order not yet shipped."""

    key: str
    ship_by: datetime | None
    pay_amount_fen: int
    under_risk_review: bool = False
    ship_hold: bool = False


@dataclass(frozen=True, slots=True)
class Assessment:
    order: OpenOrder
    time_left: timedelta | None
    risk: Risk
    penalty_fen: int
    crossed: tuple[str, ...]
    set_apart: SetApart | None


def assess(order: OpenOrder, *, now: datetime, policy: SlaPolicy = SlaPolicy()) -> Assessment:
    """Time left, risk level, marks crossed (most urgent last) and the penalty at stake for one open order."""
    apart = SetApart.RISK_REVIEW if order.under_risk_review else SetApart.SHIP_HOLD if order.ship_hold else None
    left = None if order.ship_by is None else order.ship_by - now
    thresholds = RiskThresholds()
    risk = risk_level(order.ship_by, now, thresholds)
    crossed: Sequence[str] = ()
    if left is not None and apart is None:
        crossed = tuple(mark_name(m) for m in sorted(policy.marks, reverse=True) if left <= m)
    return Assessment(order, left, risk, policy.penalty.penalty_fen(order.pay_amount_fen), tuple(crossed), apart)
