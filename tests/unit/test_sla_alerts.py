"""SLA sweep rules: thresholds crossed, orders set apart, penalty estimates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kuaifa.domain.sla.alerts import (
    InvalidSlaPolicy,
    OpenOrder,
    PenaltyPolicy,
    SetApart,
    SlaPolicy,
    assess,
    mark_name,
)
from kuaifa.domain.sla.deadlines import Risk

NOW = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)


def order(hours_left: float, **flags: bool) -> OpenOrder:
    return OpenOrder("SN1", NOW + timedelta(hours=hours_left), 9_900, **flags)


@pytest.mark.parametrize(
    ("hours_left", "crossed", "risk"),
    [
        (30, (), Risk.OK),
        (24, ("T-24h",), Risk.DUE_SOON),
        (5.5, ("T-24h", "T-6h"), Risk.URGENT),
        (1, ("T-24h", "T-6h", "T-1h"), Risk.URGENT),
        (0, ("T-24h", "T-6h", "T-1h", "overdue"), Risk.OVERDUE),
        (-3, ("T-24h", "T-6h", "T-1h", "overdue"), Risk.OVERDUE),
    ],
)
def test_each_default_threshold_is_crossed_at_its_mark(hours_left: float, crossed: tuple, risk: Risk) -> None:
    result = assess(order(hours_left), now=NOW)
    assert result.crossed == crossed
    assert result.risk is risk
    assert result.time_left == timedelta(hours=hours_left)


@pytest.mark.parametrize(
    ("flags", "reason"),
    [({"under_risk_review": True}, SetApart.RISK_REVIEW), ({"ship_hold": True}, SetApart.SHIP_HOLD)],
)
def test_platform_held_orders_are_set_apart_and_never_alarmed(flags: dict, reason: SetApart) -> None:
    result = assess(order(-5, **flags), now=NOW)
    assert result.set_apart is reason
    assert result.crossed == ()


def test_custom_thresholds_are_named_by_minutes_when_not_whole_hours() -> None:
    policy = SlaPolicy(marks=(timedelta(hours=12), timedelta(minutes=90)))
    assert assess(order(1), now=NOW, policy=policy).crossed == ("T-12h", "T-90m")
    assert mark_name(timedelta(0)) == "overdue"


@pytest.mark.parametrize(("paid", "expected"), [(9_900, 495), (1_000, 300), (0, 300), (1_000_000, 50_000)])
def test_default_penalty_is_five_percent_with_a_three_yuan_floor(paid: int, expected: int) -> None:
    assert PenaltyPolicy().penalty_fen(paid) == expected


def test_penalty_cap_applies_and_rounds_half_up() -> None:
    assert PenaltyPolicy(basis_points=1000, min_fen=0, max_fen=2_000).penalty_fen(1_000_000) == 2_000
    assert PenaltyPolicy(basis_points=1, min_fen=0).penalty_fen(5_000) == 1  # 0.5 fen rounds up


@pytest.mark.parametrize(
    "make",
    [
        lambda: SlaPolicy(marks=()),
        lambda: SlaPolicy(marks=(timedelta(hours=-1),)),
        lambda: SlaPolicy(marks=(timedelta(hours=1), timedelta(hours=1))),
        lambda: PenaltyPolicy(min_fen=500, max_fen=100),
        lambda: PenaltyPolicy(basis_points=-1),
    ],
)
def test_bad_policies_are_refused(make) -> None:
    with pytest.raises(InvalidSlaPolicy):
        make()
