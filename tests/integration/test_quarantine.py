"""One unreadable record never stops a shop: over real HTTP against the simulator, a window with a poison order
stores every good order, quarantines the poison, moves the cursor to the end, and the shop keeps syncing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kuaifa.domain.shared.money import platform_yuan_to_fen
from kuaifa.persistence.models import Order, PlatformCallFailure, PushMessage, QuarantinedRecord, SyncCursor
from kuaifa.persistence.sync_queries import quarantined_records, sync_health
from kuaifa.platforms.sim import ShopConfig
from kuaifa.platforms.sim.shop import DAY, HOUR
from kuaifa.services.errors import NotFound
from kuaifa.services.push import process_due_pushes, record_push
from kuaifa.services.quarantine_retry import retry_quarantined
from kuaifa.services.shop_sync import sync_shop
from kuaifa.services.sync import SyncSettings, reconcile_orders, sync_orders
from kuaifa.tasks.platforms import platform_for
from tests.integration.platform_fixtures import (
    ACTOR,
    Sleeps,
    assert_windows_contiguous,
    connect_sim_shop,
    lookback_from,
    quiet_moment,
    running_sim,
    sim_now,
)

POISONED = ShopConfig(seed=20261201, days=1, orders_per_day=160, poison_share=0.05)
INCREMENT = "pdd.order.number.list.increment.get"
REFUND_INCREMENT = "pdd.refund.list.increment.get"


@pytest.fixture
def sim():
    with running_sim(POISONED, now=lambda shop: quiet_moment(shop, shop.end_ts + HOUR)) as server:
        yield server


def _poisoned(state) -> set[str]:
    return {sn for sn in state.visible_order_sns() if isinstance(state.order(sn)["item_list"][0]["goods_count"], str)}


def _settings(state) -> SyncSettings:
    return SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))


def _gateway(sim):
    return lambda shop: platform_for(shop, clock=sim.state.now, sleep=Sleeps())


def test_a_window_with_a_poison_order_stores_the_rest_quarantines_it_and_moves_the_cursor_to_the_end(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    poisoned = _poisoned(state)
    good = set(state.visible_order_sns()) - poisoned
    assert poisoned and len(good) > 100

    report = sync_orders(
        shop, _gateway(sim)(shop), actor=ACTOR, clock=lambda: sim_now(state), settings=_settings(state)
    )

    assert report.caught_up
    assert set(Order.objects.filter(shop=shop).values_list("order_sn", flat=True)) == good
    waiting = QuarantinedRecord.objects.filter(shop=shop, resolved_at__isnull=True)
    assert set(waiting.values_list("platform_key", flat=True)) == poisoned
    assert set(waiting.values_list("reason_code", flat=True)) == {"pdd.order_malformed"}
    sample = waiting.first()
    assert "item_list[0].goods_count" in sample.reason
    assert sample.raw == state.order(sample.platform_key)  # kept whole, as the platform sent it
    logs = assert_windows_contiguous(shop)
    settled = sim_now(state) - timedelta(minutes=3)
    assert SyncCursor.objects.get(shop=shop, stream="orders").position == logs[-1].window_end
    assert settled - logs[-1].window_end < timedelta(minutes=1)


def test_computed_double_amounts_are_stored_as_their_exact_fen(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    noisy = [sn for sn in state.visible_order_sns() if len(repr(state.order(sn)["goods_amount"]).partition(".")[2]) > 2]
    assert noisy, "the simulator sent no computed double: the test would prove nothing"

    sync_orders(shop, _gateway(sim)(shop), actor=ACTOR, clock=lambda: sim_now(state), settings=_settings(state))

    stored = dict(Order.objects.filter(shop=shop, order_sn__in=noisy).values_list("order_sn", "goods_amount"))
    assert stored  # not all of them poisoned
    for order_sn, amount in stored.items():
        items = state.order(order_sn)["item_list"]
        assert amount == sum(platform_yuan_to_fen(i["goods_price"]) * i["goods_count"] for i in items)


def test_the_shop_keeps_syncing_and_a_newer_good_copy_resolves_the_quarantine(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    gateway = _gateway(sim)(shop)
    sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=_settings(state))
    poison_sn = sorted(_poisoned(state))[0]
    healthy = sorted(set(state.visible_order_sns()) - _poisoned(state))[0]
    before = Order.objects.get(shop=shop, order_sn=healthy).fingerprint

    state.set_now(state.now() + HOUR)  # the seller fixes one order; another one breaks
    fixed = state.order(poison_sn)
    fixed["item_list"][0]["goods_count"] = 2
    state.update_order(poison_sn, item_list=fixed["item_list"])
    state.poison_order(healthy, goods_amount="12.345")
    state.set_now(quiet_moment(state.shop, state.now() + 10 * 60))
    again = sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=_settings(state))

    assert again.caught_up and again.windows >= 2
    assert Order.objects.get(shop=shop, order_sn=poison_sn).lines.filter(quantity=2).exists()
    resolved = QuarantinedRecord.objects.get(shop=shop, platform_key=poison_sn)
    assert resolved.resolved_at is not None and resolved.resolution == "mapped"
    broken = QuarantinedRecord.objects.get(shop=shop, platform_key=healthy, resolved_at__isnull=True)
    assert "goods_amount" in broken.reason
    # the stored copy of the now-broken order stays what it was: nothing half-applied
    assert Order.objects.get(shop=shop, order_sn=healthy).fingerprint == before


def test_a_quarantined_record_is_listed_and_retried_from_its_raw_copy(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    sync_orders(shop, _gateway(sim)(shop), actor=ACTOR, clock=lambda: sim_now(state), settings=_settings(state))
    rows = quarantined_records(shop_id=shop.id)
    assert [r.platform_key for r in rows] == sorted(
        (r.platform_key for r in rows), key=lambda sn: QuarantinedRecord.objects.get(platform_key=sn).first_seen_at
    )
    first, second = rows[0].id, rows[1].id
    # a fix reaches the stored raw copy of the first one (as a corrected mapping would read it)
    row = QuarantinedRecord.objects.get(id=first)
    row.raw["item_list"][0]["goods_count"] = 3
    QuarantinedRecord.objects.filter(id=first).update(raw=row.raw)
    now = sim_now(state)

    with pytest.raises(NotFound):
        retry_quarantined([first, 999_999], _gateway(sim), actor=ACTOR, now=now)
    assert QuarantinedRecord.objects.get(id=first).resolved_at is None  # a refused retry changed nothing
    report = retry_quarantined([first, second], _gateway(sim), actor=ACTOR, now=now)

    assert report.resolved == [first]
    assert list(report.still_unreadable) == [second]
    assert Order.objects.get(shop=shop, order_sn=row.platform_key).lines.filter(quantity=3).exists()
    assert QuarantinedRecord.objects.get(id=first).resolution == "retried"
    assert QuarantinedRecord.objects.get(id=second).attempts == 2
    assert not Order.objects.filter(shop=shop, order_sn=QuarantinedRecord.objects.get(id=second).platform_key).exists()


def test_backfill_and_pushes_quarantine_what_they_cannot_read(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    gateway = _gateway(sim)(shop)
    end = sim_now(state)

    report = reconcile_orders(shop, gateway, end - timedelta(days=2), end, actor=ACTOR, now=end)

    assert report.quarantined == len(_poisoned(state)) > 0
    assert set(QuarantinedRecord.objects.values_list("source", flat=True)) == {"backfill"}
    poison_sn = sorted(_poisoned(state))[0]
    QuarantinedRecord.objects.all().delete()
    record_push(shop, topic="pdd_trade_TradeSellerShip", business_key=poison_sn, order_sn=poison_sn, message_id="m1",
                now=end - timedelta(minutes=11))  # fmt: skip

    pushes = process_due_pushes(shop, gateway, actor=ACTOR, now=end)

    assert pushes.quarantined == 1
    assert PushMessage.objects.get(message_id="m1").result == "quarantined: [pdd.order_malformed]"
    assert QuarantinedRecord.objects.get(platform_key=poison_sn).source == "push"


def test_after_sales_failing_does_not_stop_order_sync_or_review_and_shows_per_shop(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    state.fail_next(1, code=20031, api=REFUND_INCREMENT)  # an app without the after-sales permission package
    state.rate_limit_next(2, api=INCREMENT)

    report = sync_shop(shop, _gateway(sim)(shop), actor=ACTOR, clock=lambda: sim_now(state),
                       settings=_settings(state))  # fmt: skip

    assert list(report.errors) == ["refunds"] and report.errors["refunds"].platform_code == "20031"
    assert report.orders.caught_up and report.orders.ingest.created > 100
    assert report.review.reviewed > 100
    assert not Order.objects.filter(shop=shop, status="NEW").exists()  # review ran over everything that came in
    [health] = sync_health(since=sim_now(state) - DAY * timedelta(seconds=1))
    assert health.failing["refunds"].code == "platform.refused"
    assert "orders" not in health.failing
    assert health.quarantined == {"orders": len(_poisoned(state))}
    assert health.rate_limited == 2
    assert health.calls_retried == 2
    assert health.call_errors == {INCREMENT: {"70031": 2}, REFUND_INCREMENT: {"20031": 1}}
    assert PlatformCallFailure.objects.filter(shop=shop, retried=False).count() == 1
