"""Order and after-sales sync against the simulated PDD gateway over real HTTP: every order exactly once, as its
latest version, however the sync is interrupted, whatever the gateway throws at it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from kuaifa.domain.platform import PlatformError
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import AfterSalesCase, Order, OrderEvent, ShopCredential, SyncCursor, SyncLog
from kuaifa.platforms.sim import ShopConfig
from kuaifa.platforms.sim.shop import DAY, HOUR, WAITING_ON_MERCHANT
from kuaifa.services.aftersales import sync_cases
from kuaifa.services.credentials import credentials_of
from kuaifa.services.sync import SyncSettings, reconcile_orders, sync_orders
from kuaifa.tasks.platforms import platform_for
from tests.integration.platform_fixtures import (
    ACTOR,
    SimSleeps,
    Sleeps,
    assert_mirrors,
    assert_windows_contiguous,
    at,
    connect_sim_shop,
    lookback_from,
    mirror_gaps,
    pdd_gateway,
    quiet_moment,
    run_together,
    running_sim,
    sim_now,
)

SEED = 20260302
DAY_OF_ORDERS = ShopConfig(seed=SEED, days=1, orders_per_day=400)


@pytest.fixture
def day_sim():
    """One simulated day of 400 orders, the clock frozen at the first quiet moment after it ended."""
    with running_sim(DAY_OF_ORDERS, now=lambda shop: quiet_moment(shop, shop.end_ts + HOUR)) as sim:
        yield sim


def test_a_synced_day_holds_every_visible_order_once_as_its_latest_version(db, day_sim):
    state = day_sim.state
    shop = connect_sim_shop(day_sim)
    sleeps = Sleeps()
    gateway = pdd_gateway(day_sim, sleeps)
    settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))

    report = sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings)

    assert report.caught_up
    count = assert_mirrors(shop, state)
    assert count > 350
    assert report.ingest.created == count
    assert_windows_contiguous(shop)

    # two days later: new versions (shipped, received, after-sales) appear; the next sync picks them up
    state.set_now(quiet_moment(state.shop, state.shop.end_ts + 2 * DAY))
    before = dict(Order.objects.filter(shop=shop).values_list("order_sn", "fingerprint"))
    again = sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings)

    assert again.caught_up
    assert assert_mirrors(shop, state) == count
    changed = {sn for sn, digest in Order.objects.filter(shop=shop).values_list("order_sn", "fingerprint")
               if before[sn] != digest}  # fmt: skip
    assert len(changed) > 50
    assert again.ingest.created == 0 and again.ingest.updated == len(changed)
    assert_windows_contiguous(shop)
    assert sleeps.waits == []


# --- killed at random points ----------------------------------------------------------------------------------

WORKER_SCRIPT = Path(__file__).with_name("sync_worker.py")
KILLS = 6
CHILD_TIMEOUT_S = 60


def _start_worker(sim, shop, lookback: timedelta, ready: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        KUAIFA_HOME=str(django_settings.KUAIFA_HOME),
        KUAIFA_SYNC_DB_ENGINE=connection.settings_dict["ENGINE"],
        KUAIFA_SYNC_DB_NAME=str(connection.settings_dict["NAME"]),
        KUAIFA_SYNC_GATEWAY=sim.base_url,
        KUAIFA_SYNC_TOKEN=sim.state.default_token.access_token,
        KUAIFA_SYNC_SHOP_ID=str(shop.id),
        KUAIFA_SYNC_LOOKBACK_S=str(lookback.total_seconds()),
        KUAIFA_SYNC_READY=str(ready),
        DJANGO_SETTINGS_MODULE="kuaifa.config.settings",
        PYTHONUNBUFFERED="1",
    )
    return subprocess.Popen(
        [sys.executable, str(WORKER_SCRIPT)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(proc: subprocess.Popen, ready: Path) -> None:
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while not ready.exists():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"sync worker exited with {proc.returncode} before it started syncing:\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"sync worker not ready within {CHILD_TIMEOUT_S} s")
        time.sleep(0.005)


def _cursor(shop) -> datetime | None:
    return SyncCursor.objects.filter(shop=shop, stream="orders").values_list("position", flat=True).first()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_sync_killed_at_random_points_and_restarted_misses_nothing_and_duplicates_nothing(tmp_path):
    rng = random.Random(SEED)
    # the child's clock is the real one: the simulator (frozen in 2026) must take its uncalibrated first call
    moment = lambda shop: quiet_moment(shop, shop.end_ts + 2 * DAY)  # noqa: E731
    with running_sim(DAY_OF_ORDERS, now=moment, check_timestamp=False) as sim:
        state = sim.state
        shop = connect_sim_shop(sim)
        lookback = lookback_from(state, state.shop.start_ts)
        killed: list[tuple[float, datetime | None]] = []
        finished = None
        for run in range(KILLS + 1):
            ready = tmp_path / f"ready-{run}"
            proc = _start_worker(sim, shop, lookback, ready)
            try:
                _wait_ready(proc, ready)
                if run < KILLS:
                    delay = rng.uniform(0.02, 0.3)
                    time.sleep(delay)
                    if proc.poll() is None:
                        proc.send_signal(signal.SIGKILL)
                        proc.wait()
                        killed.append((delay, _cursor(shop)))
                        continue
                out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            assert proc.returncode == 0, f"sync worker failed:\n{err}"
            finished = json.loads(out.strip().splitlines()[-1])
            break

        assert finished is not None and finished["caught_up"], f"no run finished after {len(killed)} kills"
        assert len(killed) >= KILLS // 2, f"only {len(killed)} kills hit a running sync: {killed}"
        positions = [position for _, position in killed if position is not None]
        assert positions == sorted(positions), "the cursor went backwards across restarts"
        assert len(set(positions)) >= 3, f"the kills did not interrupt the sync at different points: {killed}"

        assert assert_mirrors(shop, state) > 350
        logs = assert_windows_contiguous(shop)
        assert logs[0].window_start <= at(state.shop.start_ts)
        assert logs[-1].window_end >= sim_now(state) - timedelta(minutes=4)
        assert not SyncLog.objects.filter(shop=shop).exclude(error_code="").exists()


# --- faults -------------------------------------------------------------------------------------------------------

INCREMENT = "pdd.order.number.list.increment.get"


def _errors(state, **match) -> int:
    return sum(all(getattr(call, key) == value for key, value in match.items()) for call in state.calls_of(INCREMENT))


def test_a_sync_survives_system_errors_bad_gateways_throttling_and_slow_replies(db, day_sim):
    state = day_sim.state
    shop = connect_sim_shop(day_sim)
    sleeps = Sleeps()
    gateway = pdd_gateway(day_sim, sleeps, timeout=1.0)
    settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))
    run = lambda **kw: sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings, **kw)  # noqa: E731

    state.fail_next(2, code=50001, api=INCREMENT)
    state.http_error_next(1, status=502, api=INCREMENT)
    assert run(max_windows=10).windows == 10
    state.rate_limit_next(2, api=INCREMENT)  # 70031
    state.delay_next(1, seconds=0.2, api=INCREMENT)  # slow, answered within the client's timeout
    assert run(max_windows=10).windows == 10
    state.delay_next(1, seconds=1.5, api=INCREMENT)  # slower than the client waits: a timeout, then a retry
    assert run(max_windows=10).windows == 10
    assert state.pending_faults() == 0
    assert not SyncLog.objects.filter(shop=shop).exclude(error_code="").exists()  # every fault passed in the client
    assert len(sleeps.waits) == 2 + 1 + 2 + 1  # one backoff per retried call

    # a fault that outlasts the client's retries fails the window: logged, the cursor stays, the next run resumes
    position = SyncCursor.objects.get(shop=shop, stream="orders").position
    state.fail_next(gateway.client.max_retries + 1, code=50001, api=INCREMENT)
    with pytest.raises(PlatformError) as failed:
        run()
    assert failed.value.retryable and failed.value.code == "platform.unavailable"
    assert SyncCursor.objects.get(shop=shop, stream="orders").position == position
    assert list(SyncLog.objects.filter(shop=shop).exclude(error_code="").values_list("error_code", flat=True)) == [
        "platform.unavailable"
    ]

    assert run().caught_up
    assert _errors(state, error_code=50001) == 2 + gateway.client.max_retries + 1
    assert _errors(state, error_code=70031) == 2
    assert _errors(state, http_status=502) == 1
    assert assert_mirrors(shop, state) > 350
    assert_windows_contiguous(shop)  # the committed windows; the failed one is logged apart


# --- token expiry -------------------------------------------------------------------------------------------------


def test_an_expired_token_is_refreshed_once_stored_sealed_and_the_sync_completes(db, day_sim):
    state = day_sim.state
    shop = connect_sim_shop(day_sim)
    old = credentials_of(shop)
    sealed_before = ShopCredential.objects.get(shop=shop).access_token
    assert old.access_token == state.default_token.access_token
    state.expire_access_token(old.access_token)
    sleeps = Sleeps()
    gateway = platform_for(shop, clock=state.now, sleep=sleeps, rng=random.Random(3))
    settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))

    report = sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings)

    assert report.caught_up
    assert assert_mirrors(shop, state) > 350
    assert len(state.calls_of("pdd.pop.auth.token.refresh")) == 1
    assert sum(call.error_code == 10019 for call in state.calls) == 1
    new = credentials_of(shop)
    assert new.access_token != old.access_token and new.refresh_token != old.refresh_token
    assert new.access_token == gateway.client.access_token
    token = state.token(new.access_token)
    assert token is not None and token.expires_at > state.now()
    assert new.access_expires_at == at(token.expires_at) and not new.needs_authorization
    row = ShopCredential.objects.get(shop=shop)
    assert row.access_token != sealed_before and new.access_token not in row.access_token  # stored sealed
    assert sleeps.waits == []  # a refresh is not a retry: no backoff

    # the next process builds its client from the stored pair: it works without another refresh
    fresh = platform_for(shop, clock=state.now, sleep=sleeps)
    assert fresh.order(state.visible_order_sns()[0]) is not None
    assert len(state.calls_of("pdd.pop.auth.token.refresh")) == 1


def test_two_clients_of_one_shop_that_both_meet_the_expired_token_both_carry_on(db, day_sim):
    """E.g. a long sync and an outbox delivery, each with the client it built from the stored pair: the first to
    meet 10019 refreshes (and the platform invalidates the old pair); the other must pick up the stored new token,
    not refresh with the used-up refresh token and flag the shop as needing authorisation."""
    state = day_sim.state
    shop = connect_sim_shop(day_sim)
    old = credentials_of(shop)
    sync_client = platform_for(shop, clock=state.now, sleep=Sleeps())
    outbox_client = platform_for(shop, clock=state.now, sleep=Sleeps())
    state.expire_access_token(old.access_token)
    order_sn = state.visible_order_sns()[0]

    assert outbox_client.order(order_sn) is not None  # refreshes and stores the new pair
    assert credentials_of(shop).access_token != old.access_token

    assert sync_client.order(order_sn) is not None  # its token is the expired one
    assert not credentials_of(shop).needs_authorization
    assert sync_client.client.access_token == credentials_of(shop).access_token


# --- reconciliation -----------------------------------------------------------------------------------------------


def test_reconciliation_reports_exactly_the_orders_the_increments_missed_and_stores_them(db):
    morning = lambda shop: quiet_moment(shop, shop.start_ts + 8 * HOUR)  # noqa: E731
    with running_sim(DAY_OF_ORDERS, now=morning) as sim:
        state = sim.state
        shop = connect_sim_shop(sim)
        gateway = pdd_gateway(sim, Sleeps())
        settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))
        sync = lambda: sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings)  # noqa: E731
        assert sync().caught_up
        assert_mirrors(shop, state)

        # the cursor jumps ten hours ahead (a lost stretch): increments never see what changed only in it
        SyncCursor.objects.filter(shop=shop, stream="orders").update(position=sim_now(state) + timedelta(hours=10))
        state.set_now(quiet_moment(state.shop, state.shop.end_ts + 3 * HOUR))
        assert sync().caught_up
        gaps = mirror_gaps(shop, state)
        assert gaps["extra"] == gaps["duplicated"] == []
        assert len(gaps["missing"]) > 50 and len(gaps["stale"]) > 5, {k: len(v) for k, v in gaps.items()}

        start, end = at(state.shop.start_ts), at(state.shop.end_ts + HOUR)
        result = reconcile_orders(shop, gateway, start, end, actor=ACTOR, now=sim_now(state))

        assert sorted(result.missing) == gaps["missing"]
        assert len(result.missing) == len(set(result.missing))
        assert result.changed == len(gaps["stale"])
        assert result.ingest.created == len(gaps["missing"])
        assert result.windows == 2
        assert assert_mirrors(shop, state) > 350

        again = reconcile_orders(shop, gateway, start, end, actor=ACTOR, now=sim_now(state))
        assert again.missing == [] and again.changed == 0 and again.ingest.created == 0


# --- after-sales --------------------------------------------------------------------------------------------------


def _visible_cases(state) -> dict[str, object]:
    return {str(case.id): case for case in state.refund_cases_updated_between(0, 2**62)}


def _case_rows(shop) -> dict[str, dict]:
    rows = AfterSalesCase.objects.filter(shop=shop).values()
    return {row["after_sales_id"]: {k: v for k, v in row.items() if k not in ("id",)} for row in rows}


def test_after_sales_cases_are_stored_once_with_deadlines_and_each_paid_refund_is_recorded_once(db):
    # the refund list is limited to 100 calls per 10 s: the client's waits move the simulator's clock on
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 3 * DAY, after_s=120)  # noqa: E731
    with running_sim(DAY_OF_ORDERS, now=moment) as sim:
        state = sim.state
        shop = connect_sim_shop(sim)
        sleeps = SimSleeps(state)
        gateway = pdd_gateway(sim, sleeps)
        settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))
        clock = lambda: sim_now(state)  # noqa: E731
        sync_orders(shop, gateway, actor=ACTOR, clock=clock, settings=settings)  # every order of the day

        first = sync_cases(shop, gateway, actor=ACTOR, clock=clock, settings=settings)
        waiting_then = {sid for sid, case in _visible_cases(state).items() if case.status in WAITING_ON_MERCHANT}
        _assert_cases_mirror(shop, state)
        assert first.refunds_recorded > 0 and waiting_then

        # when the last generated case has settled: every refund that will go through has
        settled = max(case.updated_at for versions in state.shop.refunds.values() for case in versions)
        state.set_now(quiet_moment(state.shop, settled + 60, after_s=120))
        second = sync_cases(shop, gateway, actor=ACTOR, clock=clock, settings=settings)
        cases = _assert_cases_mirror(shop, state)
        refunded = {sid for sid, case in cases.items() if case.status == 10}
        assert any(case.status in WAITING_ON_MERCHANT for case in cases.values())  # some still wait, with deadlines
        assert first.refunds_recorded + second.refunds_recorded == len(refunded)
        assert second.refunds_recorded > 0, "no refund went through between the two syncs"
        assert {sid for sid in waiting_then if cases[sid].status == 10}, "no waiting case was refunded later"
        assert sleeps.waits, "the refund list's rate limit never made the client wait"
        assert not [call for call in state.calls if call.error_code == 70031]  # the client kept under the limit

        # the whole period once more, from scratch: nothing changes, no refund is recorded twice
        before = _case_rows(shop)
        events = OrderEvent.objects.filter(kind="aftersales").count()
        SyncCursor.objects.filter(shop=shop, stream="refunds").delete()
        everything = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))
        again = sync_cases(shop, gateway, actor=ACTOR, clock=clock, settings=everything)
        assert (again.created, again.updated, again.refunds_recorded) == (0, 0, 0)
        assert again.unchanged >= len(cases)
        assert _case_rows(shop) == before
        assert OrderEvent.objects.filter(kind="aftersales").count() == events


def _assert_cases_mirror(shop, state) -> dict[str, object]:
    """Every case the simulator shows is stored once, with its status, deadline and (if paid) its refund."""
    cases = _visible_cases(state)
    assert cases
    rows = _case_rows(shop)
    assert AfterSalesCase.objects.filter(shop=shop).count() == len(rows)
    assert set(rows) == set(cases)
    orders = dict(Order.objects.filter(shop=shop).values_list("order_sn", "id"))
    for sid, case in cases.items():
        row = rows[sid]
        assert row["platform_status"] == case.status, sid
        assert row["platform_updated_at"] == at(case.updated_at), sid
        assert row["order_id"] == orders[case.order_sn], sid
        assert row["refund_amount"] == case.refund_fen, sid
        if case.status in WAITING_ON_MERCHANT:
            assert row["expire_time"] == at(case.expire_at), sid
        else:
            assert row["expire_time"] is None, sid
        assert row["refunded_amount"] == (case.refund_fen if case.status == 10 else 0), sid
    return cases


# --- two syncs of one shop at once --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_syncs_of_one_shop_at_once_neither_fails_nor_duplicates_anything():
    """A second worker starts syncing the same shop (a scheduler double start): both walk the windows, one of them
    commits each window, the other drops its copy; neither fails, nothing is missed or stored twice."""
    moment = lambda shop: quiet_moment(shop, shop.end_ts + HOUR)  # noqa: E731
    with running_sim(DAY_OF_ORDERS, now=moment) as sim:
        state = sim.state
        shop = connect_sim_shop(sim)
        settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))
        state.delay_next(2, seconds=0.3, api=INCREMENT)  # both have read the cursor before either commits

        def sync(n: int):
            gateway = pdd_gateway(sim, Sleeps())
            try:
                return sync_orders(
                    shop, gateway, actor=Actor.worker(f"sync-{n}"), clock=lambda: sim_now(state), settings=settings
                )
            finally:
                gateway.client.close()

        results = run_together(2, sync)

        assert not [r for r in results if isinstance(r, BaseException)], results
        assert all(r.caught_up for r in results)
        assert assert_mirrors(shop, state) > 350
        assert_windows_contiguous(shop)
