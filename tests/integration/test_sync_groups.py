"""Catching up, windows are fetched a few at a time and committed together: fewer transactions, and the cursor is
still never ahead of what is stored (a failure mid-group commits what was fetched before it)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kuaifa.domain.platform import PlatformError
from kuaifa.persistence.models import Order, SyncCursor, SyncLog
from kuaifa.platforms.sim import ShopConfig
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.services.intake import upsert_orders
from kuaifa.services.sync import ORDERS, SyncSettings, order_key, run_window, sync_orders
from tests.integration.platform_fixtures import (
    ACTOR,
    Sleeps,
    assert_mirrors,
    assert_windows_contiguous,
    connect_sim_shop,
    lookback_from,
    pdd_gateway,
    quiet_moment,
    running_sim,
    sim_now,
)

CONFIG = ShopConfig(seed=20261203, days=1, orders_per_day=120)


@pytest.fixture
def sim():
    with running_sim(CONFIG, now=lambda shop: quiet_moment(shop, shop.end_ts + HOUR)) as server:
        yield server


def test_a_group_of_windows_is_stored_in_one_step_with_the_cursor_at_its_last_end(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    gateway = pdd_gateway(sim, Sleeps())
    settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))
    stores: list[int] = []

    def store(orders):
        stores.append(len(orders))
        return upsert_orders(shop, orders, source=Order.Source.API, actor=ACTOR, now=sim_now(state))

    done = run_window(shop, gateway, ORDERS, gateway.orders_updated, store, order_key, now=sim_now(state),
                      settings=settings, group=4)  # fmt: skip

    assert done is not None and done.windows == 4 and len(stores) == 1
    logs = assert_windows_contiguous(shop)
    assert len(logs) == 4
    assert SyncCursor.objects.get(shop=shop, stream=ORDERS).position == logs[-1].window_end == done.end
    assert Order.objects.filter(shop=shop).count() == stores[0]  # each order once, its newest copy


def test_a_failure_mid_group_commits_the_windows_before_it_and_the_cursor_stays_at_their_end(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    gateway = pdd_gateway(sim, Sleeps())
    peak = state.shop.start_ts + 10 * HOUR  # the group starts in a busy hour: its first windows hold orders
    settings = SyncSettings(first_lookback=timedelta(seconds=state.now() - peak))
    calls: list[tuple] = []

    def fetch(start, end):
        calls.append((start, end))
        if len(calls) == 3:
            raise PlatformError("the gateway went away", code="platform.unavailable", retryable=True)
        return gateway.orders_updated(start, end)

    with pytest.raises(PlatformError):
        run_window(shop, gateway, ORDERS, fetch,
                   lambda orders: upsert_orders(shop, orders, source=Order.Source.API, actor=ACTOR, now=sim_now(state)),
                   order_key, now=sim_now(state), settings=settings, group=4)  # fmt: skip

    stored_end = calls[1][1]
    assert SyncCursor.objects.get(shop=shop, stream=ORDERS).position == stored_end
    assert list(SyncLog.objects.filter(shop=shop).order_by("id").values_list("window_end", "error_code")) == [
        (calls[0][1], ""),
        (calls[1][1], ""),
        (calls[2][1], "platform.unavailable"),
    ]
    stored = list(Order.objects.filter(shop=shop).values_list("platform_updated_at", flat=True))
    assert stored and max(stored) <= stored_end  # what the first two windows held; nothing of the failed one


def test_a_grouped_catch_up_still_mirrors_the_platform_exactly(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts), catch_up_group=5)

    report = sync_orders(shop, pdd_gateway(sim, Sleeps()), actor=ACTOR, clock=lambda: sim_now(state),
                         settings=settings)  # fmt: skip

    assert report.caught_up and report.windows == len(assert_windows_contiguous(shop))
    assert_mirrors(shop, state)
