"""Ship-by deadlines and risk levels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kuaifa.domain.sla.deadlines import CHINA, Risk, RiskThresholds, ShipByPolicy, risk_level, ship_by, time_left

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAID = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)


# --- ship_by ----------------------------------------------------------------------------------------------------


def test_china_is_asia_shanghai() -> None:
    assert CHINA == SHANGHAI


def test_the_platforms_last_ship_time_wins_over_everything_else() -> None:
    # given an order with a platform promise, a payment time and a pre-sale day
    last_ship_time = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    # when
    deadline = ship_by(
        last_ship_time=last_ship_time,
        paid_at=PAID,
        is_pre_sale=True,
        pre_sale_time=datetime(2026, 11, 11, 10, 0, tzinfo=SHANGHAI),
        policy=ShipByPolicy(hours=24),
    )
    # then the platform's promise is the deadline
    assert deadline == last_ship_time


def test_without_a_platform_promise_the_deadline_is_payment_plus_48_hours_by_default() -> None:
    assert ship_by(last_ship_time=None, paid_at=PAID) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_a_shop_policy_changes_the_hours_after_payment() -> None:
    deadline = ship_by(last_ship_time=None, paid_at=PAID, policy=ShipByPolicy(hours=24))
    assert deadline == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_the_deadline_after_payment_is_the_same_instant_whatever_zone_payment_was_given_in() -> None:
    paid_in_china = datetime(2026, 3, 1, 16, 0, tzinfo=SHANGHAI)  # 08:00 UTC
    deadline = ship_by(last_ship_time=None, paid_at=paid_in_china)
    assert deadline is not None
    assert deadline.astimezone(UTC) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_a_pre_sale_order_must_ship_by_the_end_of_the_pre_sale_day_in_china() -> None:
    # given a pre-sale on 2026-11-11 at 10:00 in Shanghai
    pre_sale_time = datetime(2026, 11, 11, 10, 0, tzinfo=SHANGHAI)
    # when
    deadline = ship_by(last_ship_time=None, paid_at=PAID, is_pre_sale=True, pre_sale_time=pre_sale_time)
    # then it is 23:59:59 that day in Shanghai, which is 15:59:59 UTC, returned in UTC
    assert deadline == datetime(2026, 11, 11, 15, 59, 59, tzinfo=UTC)
    assert deadline is not None
    assert deadline.tzinfo is UTC
    assert deadline.astimezone(SHANGHAI).replace(tzinfo=None) == datetime(2026, 11, 11, 23, 59, 59)


def test_the_pre_sale_day_is_the_day_in_china_not_in_utc() -> None:
    # given a pre-sale time late on the 11th in UTC, which is already the 12th in Shanghai
    pre_sale_time = datetime(2026, 11, 11, 20, 0, tzinfo=UTC)
    # when
    deadline = ship_by(last_ship_time=None, paid_at=None, is_pre_sale=True, pre_sale_time=pre_sale_time)
    # then the deadline is the end of the 12th in Shanghai
    assert deadline == datetime(2026, 11, 12, 15, 59, 59, tzinfo=UTC)


def test_a_pre_sale_time_just_before_midnight_in_china_keeps_its_day() -> None:
    pre_sale_time = datetime(2026, 11, 11, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
    deadline = ship_by(last_ship_time=None, paid_at=None, is_pre_sale=True, pre_sale_time=pre_sale_time)
    assert deadline == datetime(2026, 11, 11, 15, 59, 59, tzinfo=UTC)


def test_a_pre_sale_order_without_a_pre_sale_time_falls_back_to_payment() -> None:
    deadline = ship_by(last_ship_time=None, paid_at=PAID, is_pre_sale=True, pre_sale_time=None)
    assert deadline == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_a_pre_sale_time_on_an_order_that_is_not_pre_sale_is_ignored() -> None:
    pre_sale_time = datetime(2026, 11, 11, 10, 0, tzinfo=SHANGHAI)
    deadline = ship_by(last_ship_time=None, paid_at=PAID, is_pre_sale=False, pre_sale_time=pre_sale_time)
    assert deadline == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_an_unpaid_order_without_a_platform_promise_has_no_deadline() -> None:
    assert ship_by(last_ship_time=None, paid_at=None) is None
    assert ship_by(last_ship_time=None, paid_at=None, is_pre_sale=True) is None


# --- risk_level -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("left", "risk"),
    [
        (timedelta(days=3), Risk.OK),
        (timedelta(hours=24) + TICK, Risk.OK),
        (timedelta(hours=24), Risk.DUE_SOON),
        (timedelta(hours=6) + TICK, Risk.DUE_SOON),
        (timedelta(hours=6), Risk.URGENT),
        (TICK, Risk.URGENT),
        (timedelta(0), Risk.OVERDUE),
        (-TICK, Risk.OVERDUE),
        (-timedelta(days=2), Risk.OVERDUE),
    ],
)
def test_risk_levels_at_the_default_thresholds(left: timedelta, risk: Risk) -> None:
    # given a deadline ``left`` away from now
    now = DEADLINE - left
    # when / then
    assert risk_level(DEADLINE, now) is risk


def test_exactly_at_the_deadline_is_overdue() -> None:
    assert risk_level(DEADLINE, DEADLINE) is Risk.OVERDUE


def test_an_order_without_a_deadline_is_never_at_risk() -> None:
    assert risk_level(None, DEADLINE + timedelta(days=365)) is Risk.OK


@pytest.mark.parametrize(
    ("left", "risk"),
    [
        (timedelta(hours=12) + TICK, Risk.OK),
        (timedelta(hours=12), Risk.DUE_SOON),
        (timedelta(hours=2) + TICK, Risk.DUE_SOON),
        (timedelta(hours=2), Risk.URGENT),
        (timedelta(0), Risk.OVERDUE),
    ],
)
def test_a_shop_may_set_its_own_thresholds(left: timedelta, risk: Risk) -> None:
    thresholds = RiskThresholds(due_soon=timedelta(hours=12), urgent=timedelta(hours=2))
    assert risk_level(DEADLINE, DEADLINE - left, thresholds) is risk


def test_risk_compares_instants_not_wall_clocks() -> None:
    # given now expressed in Shanghai time, 5 hours before a UTC deadline
    now = datetime(2026, 3, 3, 11, 0, tzinfo=SHANGHAI)  # 03:00 UTC
    # when / then
    assert risk_level(DEADLINE, now) is Risk.URGENT


def test_time_left_is_the_deadline_minus_now() -> None:
    assert time_left(DEADLINE, DEADLINE - timedelta(hours=5)) == timedelta(hours=5)
    assert time_left(DEADLINE, DEADLINE + timedelta(minutes=1)) == -timedelta(minutes=1)


def test_risk_values_are_lowercase_codes() -> None:
    assert [r.value for r in Risk] == ["ok", "due_soon", "urgent", "overdue"]
