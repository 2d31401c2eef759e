"""The sync commands and the worker are thin callers of one whole-shop sync (services.shop_sync), against the
simulator over real HTTP: --once catches up, --one-window takes one window, the worker syncs every shop on its
schedule, the quarantine is listed and retried, sync-status counts failures and the quarantine."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kuaifa.cli.main import cli
from kuaifa.persistence.models import Order, QuarantinedRecord, SyncCursor
from kuaifa.platforms.sim import ShopConfig
from kuaifa.platforms.sim.shop import HOUR
from tests.integration.platform_fixtures import connect_sim_shop, quiet_moment, running_sim, sim_now

CONFIG = ShopConfig(seed=20261202, days=1, orders_per_day=60, poison_share=0.08)


@pytest.fixture
def lax_sim():
    """Half a day of orders; the gateway does not check timestamps, as the CLI's clients run on the real clock
    (calibration then moves their windows onto the simulator's)."""
    with running_sim(CONFIG, now=lambda shop: quiet_moment(shop, shop.start_ts + 12 * HOUR),
                     check_timestamp=False) as server:  # fmt: skip
        yield server


@pytest.fixture
def kuaifa(monkeypatch):
    monkeypatch.setenv("KUAIFA_LANG", "en")
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run


def _poisoned(state) -> set[str]:
    return {sn for sn in state.visible_order_sns() if isinstance(state.order(sn)["item_list"][0]["goods_count"], str)}


def test_one_window_syncs_one_window_and_once_catches_up_to_now(db, lax_sim, kuaifa):
    shop = connect_sim_shop(lax_sim)

    [one] = json.loads(kuaifa("sync", "--one-window", "--json"))
    assert (one["windows"], one["caught_up"]) == (1, False)
    [rest] = json.loads(kuaifa("sync", "--once", "--json"))

    assert rest["caught_up"] is True and rest["windows"] > 1
    assert rest["errors"] == {}
    visible = set(lax_sim.state.visible_order_sns())
    stored = set(Order.objects.filter(shop=shop).values_list("order_sn", flat=True))
    assert stored == visible - _poisoned(lax_sim.state)
    assert set(SyncCursor.objects.filter(shop=shop).values_list("stream", flat=True)) == {"orders", "refunds"}


def test_quarantine_list_retry_and_sync_status_over_the_commands(db, lax_sim, kuaifa):
    shop = connect_sim_shop(lax_sim)
    poisoned = _poisoned(lax_sim.state)
    assert poisoned, "the simulated day has no poison order: the test would prove nothing"
    lax_sim.state.fail_next(1, code=20031, api="pdd.refund.list.increment.get")

    [synced] = json.loads(kuaifa("sync", "--json"))  # after-sales failing: reported, not an exit 1
    assert synced["errors"]["refunds"]["code"] == "platform.refused"
    assert synced["quarantined"] == len(poisoned)
    listed = json.loads(kuaifa("quarantine", "list", "--json"))
    assert {r["platform_key"] for r in listed} == poisoned
    assert {r["reason_code"] for r in listed} == {"pdd.order_malformed"}
    [health] = json.loads(kuaifa("sync-status", "--json"))
    assert health["quarantined"] == {"orders": len(poisoned)}
    assert health["failing"]["refunds"]["code"] == "platform.refused"
    assert health["call_errors"]["pdd.refund.list.increment.get"] == {"20031": 1}
    human = kuaifa("sync-status")
    assert "after-sales sync failing" in human and f"In quarantine: {len(poisoned)}" in human

    retried = json.loads(kuaifa("quarantine", "retry", str(listed[0]["id"]), "--json"))
    assert retried == {"resolved": [], "still_unreadable": {str(listed[0]["id"]): listed[0]["reason"]}}
    kuaifa("quarantine", "retry", "999999", code=1)
    assert QuarantinedRecord.objects.get(id=listed[0]["id"]).attempts == 2

    [again] = json.loads(kuaifa("sync", "--json"))  # the permission came back: after-sales syncs again
    assert again["errors"] == {}
    assert "failing" not in kuaifa("sync-status")
    assert Order.objects.filter(shop=shop).count() == len(lax_sim.state.visible_order_sns()) - len(poisoned)


def test_the_worker_queues_a_whole_shop_sync_of_every_connected_shop_and_the_task_runs_it(db, lax_sim):
    from django_tasks_db.models import DBTaskResult

    from kuaifa.services.catalog import add_shop
    from kuaifa.tasks.jobs import enqueue_shop_syncs, sync_shop

    shop = connect_sim_shop(lax_sim)
    add_shop("线下店", now=sim_now(lax_sim.state))  # no platform credentials: nothing to sync

    assert enqueue_shop_syncs() == [shop.id]
    queued = DBTaskResult.objects.filter(task_path="kuaifa.tasks.jobs.sync_shop")
    assert [row.args_kwargs["args"] for row in queued] == [[shop.id]]

    done = sync_shop.call(shop.id)

    poisoned = _poisoned(lax_sim.state)
    assert done["errors"] == {} and done["quarantined"] == len(poisoned)
    assert Order.objects.filter(shop=shop).count() == len(lax_sim.state.visible_order_sns()) - len(poisoned)
    assert set(SyncCursor.objects.filter(shop=shop).values_list("stream", flat=True)) == {"orders", "refunds"}
    assert not Order.objects.filter(shop=shop, status="NEW").exists()  # reviewed by the same sync
