"""Stock alerts: short SKUs, waiting orders covered earliest ship-by first, run-out by sales rate."""

from datetime import UTC, datetime, timedelta

import pytest

from kuaifa.domain.inventory.shortage import InvalidStockAlertRule, Waiting, assess_sku, stock_alerts

NOW = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)


def due(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def test_available_stock_covers_the_earliest_ship_by_first_and_the_rest_breach_at_their_deadline() -> None:
    alert = assess_sku(
        "TEA",
        available=3,
        waiting=[Waiting("LATER", due(30), 2), Waiting("SOON", due(5), 2), Waiting("NEXT", due(10), 1)],
        shipped_recently=0,
        window_days=7,
        horizon_days=3,
    )
    assert alert is not None
    assert [(v.order_sn, v.covered) for v in alert.orders] == [("SOON", True), ("NEXT", True), ("LATER", False)]
    assert (alert.waiting_units, alert.shortfall, alert.needed_by) == (5, 2, due(30))
    assert alert.days_of_cover is None and not alert.runs_out_soon


def test_a_sku_selling_fast_runs_out_within_the_horizon() -> None:
    alert = assess_sku("CUP", available=20, waiting=[], shipped_recently=70, window_days=7, horizon_days=3)
    assert alert is not None
    assert (alert.daily_rate, alert.days_of_cover, alert.runs_out_soon, alert.shortfall) == (10.0, 2.0, True, 0)


def test_a_sku_that_lasts_past_the_horizon_and_covers_its_orders_is_no_alert() -> None:
    assert (
        assess_sku(
            "CUP", available=40, waiting=[Waiting("A", due(1), 5)], shipped_recently=70, window_days=7, horizon_days=3
        )
        is None
    )


def test_short_skus_come_first_by_the_deadline_they_breach() -> None:
    found = stock_alerts(
        {"A": 0, "B": 0, "C": 5},
        {"A": [Waiting("a1", due(20), 1)], "B": [Waiting("b1", due(2), 1)]},
        {"C": 14},
        window_days=7,
        horizon_days=3,
    )
    assert [a.sku for a in found] == ["B", "A", "C"]


def test_a_sku_with_waiting_orders_but_no_stock_row_is_reported() -> None:
    found = stock_alerts({}, {"NEW": [Waiting("n1", due(2), 4)]}, {})
    assert [(a.sku, a.available, a.shortfall) for a in found] == [("NEW", 0, 4)]


@pytest.mark.parametrize(("window", "horizon"), [(0, 3), (7, -1)])
def test_bad_rules_are_refused(window: int, horizon: float) -> None:
    with pytest.raises(InvalidStockAlertRule):
        assess_sku("X", available=1, waiting=[], shipped_recently=1, window_days=window, horizon_days=horizon)
