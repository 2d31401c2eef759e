"""Push messages (PMC) as triggers against the simulated PDD gateway over real HTTP (and, end to end, the simulated
push server over a real websocket): one pending row per trigger however often and in whatever order messages come,
nothing fetched before the delay, the order stored once fetched, and an order the platform does not show yet asked
for again a few times and then left to the incremental sync."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection

from kuaifa.persistence.models import AfterSalesCase, Order, PushMessage
from kuaifa.platforms.pdd.mapping import order_from_pdd
from kuaifa.platforms.pdd.pmc import PmcConsumer, pmc_url_factory
from kuaifa.platforms.pdd.pmc import PushMessage as PmcMessage
from kuaifa.platforms.sim import ShopConfig
from kuaifa.platforms.sim.pmc import serve_pmc
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.services.fingerprints import fingerprint
from kuaifa.services.push import DELAY, MAX_TRIES, process_due_pushes, record_push
from kuaifa.services.sync import SyncSettings, sync_orders
from tests.integration.platform_fixtures import (
    ACTOR,
    Sleeps,
    connect_sim_shop,
    pdd_gateway,
    quiet_moment,
    running_sim,
    sim_now,
)

SEED = 20260304
CONFIG = ShopConfig(seed=SEED, days=2, orders_per_day=200)
CONFIRMED = "pdd_trade_TradeConfirmed"
SELLER_SHIP = "pdd_trade_TradeSellerShip"
REFUND_CREATED = "pdd_refund_RefundCreated"
INFO = "pdd.order.information.get"


@pytest.fixture
def sim():
    """The shop on its second morning: orders coming in, some shipped, a few after-sales cases."""
    with running_sim(CONFIG, now=lambda shop: quiet_moment(shop, shop.start_ts + 33 * HOUR)) as server:
        yield server


def _assert_latest(shop, state, order_sns) -> None:
    stored = dict(Order.objects.filter(shop=shop).values_list("order_sn", "fingerprint"))
    assert set(stored) == set(order_sns)
    for order_sn in order_sns:
        current = state.order(order_sn)
        assert current is not None and stored[order_sn] == fingerprint(order_from_pdd(current)), order_sn


def test_duplicated_and_reordered_pushes_are_one_pending_row_per_trigger_fetched_only_after_the_delay(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    gateway = pdd_gateway(sim, Sleeps())
    visible = [state.order(sn) for sn in state.visible_order_sns()]
    shipped = [o["order_sn"] for o in visible if o["order_status"] == 2][:2]
    waiting = [o["order_sn"] for o in visible if o["order_status"] == 1][:2]
    case = next(c for c in state.refund_cases_updated_between(0, int(state.now())) if c.order_sn not in shipped)
    assert len(shipped) == len(waiting) == 2
    t0 = sim_now(state)

    # what the platform sent, later events first, some redelivered (same id or a new one)
    messages = [(SELLER_SHIP, sn, sn) for sn in shipped] + [(CONFIRMED, sn, sn) for sn in shipped + waiting]
    messages.append((REFUND_CREATED, str(case.id), case.order_sn))
    deliveries = [(topic, key, sn, str(100 + n)) for n, (topic, key, sn) in enumerate(messages)]
    deliveries.reverse()
    deliveries += [deliveries[0], deliveries[3], (CONFIRMED, waiting[0], waiting[0], "999")]
    deliveries += [(topic, key, sn, str(500 + n)) for n, (topic, key, sn) in enumerate(messages[:3])]
    random.Random(SEED).shuffle(deliveries)

    recorded = [
        record_push(shop, topic=topic, business_key=key, order_sn=sn, message_id=message_id, now=t0)
        for topic, key, sn, message_id in deliveries
    ]

    assert sum(recorded) == len(messages)  # the first of each trigger; every other one was a duplicate
    pending = PushMessage.objects.filter(shop=shop, handled_at__isnull=True)
    assert sorted(pending.values_list("topic", "business_key")) == sorted((t, k) for t, k, _ in messages)
    assert set(pending.values_list("fetch_after", flat=True)) == {t0 + DELAY}

    # before the delay: nothing is due, nothing is asked of the platform
    early = process_due_pushes(shop, gateway, actor=ACTOR, now=t0 + DELAY - timedelta(seconds=1))
    assert (early.handled, early.postponed, early.gave_up) == (0, 0, 0)
    assert state.calls == []
    assert not Order.objects.filter(shop=shop).exists()

    state.advance(DELAY.total_seconds())
    report = process_due_pushes(shop, gateway, actor=ACTOR, now=sim_now(state))

    assert (report.handled, report.postponed, report.gave_up) == (len(messages), 0, 0)
    assert len(state.calls_of(INFO)) == len(messages) - 1  # one fetch per trigger (the refund asks for the case)
    assert len(state.calls_of("pdd.refund.information.get")) == 1
    _assert_latest(shop, state, shipped + waiting)
    assert Order.objects.filter(shop=shop).count() == len(shipped + waiting)
    stored_case = AfterSalesCase.objects.get(shop=shop)
    assert (stored_case.after_sales_id, stored_case.platform_status) == (str(case.id), case.status)
    assert not PushMessage.objects.filter(shop=shop, handled_at__isnull=True).exists()
    assert set(PushMessage.objects.filter(shop=shop).values_list("result", flat=True)) == {
        "order stored",
        "case stored",
    }

    # handled triggers do not swallow the next message about the same thing
    assert record_push(shop, topic=CONFIRMED, business_key=waiting[0], order_sn=waiting[0], message_id="1000",
                       now=sim_now(state))  # fmt: skip
    again = process_due_pushes(shop, gateway, actor=ACTOR, now=sim_now(state) + DELAY)
    assert again.handled == 1 and len(state.calls_of(INFO)) == len(messages)
    _assert_latest(shop, state, shipped + waiting)


def test_an_order_the_platform_does_not_show_yet_is_postponed_and_after_max_tries_left_to_sync(db, sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    sleeps = Sleeps()
    gateway = pdd_gateway(sim, sleeps)
    horizon = state.now() + (MAX_TRIES + 1) * DELAY.total_seconds()
    order_sn = next(sn for sn, versions in sorted(state.shop.orders.items()) if versions[0].updated_at > horizon)
    t0 = sim_now(state)
    assert record_push(shop, topic=CONFIRMED, business_key=order_sn, order_sn=order_sn, message_id="1", now=t0)

    # a retryable failure postpones the message without spending one of its tries
    state.advance(DELAY.total_seconds())
    state.fail_next(gateway.client.max_retries + 1, code=50001, api=INFO)
    failed = process_due_pushes(shop, gateway, actor=ACTOR, now=sim_now(state))
    assert (failed.handled, failed.postponed, failed.gave_up) == (0, 1, 0)
    assert PushMessage.objects.get(shop=shop).attempts == 0

    for attempt in range(1, MAX_TRIES + 1):
        message = PushMessage.objects.get(shop=shop)
        state.set_now(message.fetch_after.timestamp())
        assert process_due_pushes(shop, gateway, actor=ACTOR, now=sim_now(state) - timedelta(seconds=1)).postponed == 0
        report = process_due_pushes(shop, gateway, actor=ACTOR, now=sim_now(state))
        message.refresh_from_db()
        if attempt < MAX_TRIES:
            assert (report.handled, report.postponed, report.gave_up) == (0, 1, 0)
            assert message.attempts == attempt and message.handled_at is None
            assert message.fetch_after == sim_now(state) + DELAY
        else:
            assert (report.handled, report.postponed, report.gave_up) == (1, 0, 1)
            assert message.handled_at == sim_now(state)
            assert message.result == "not visible yet; left to incremental sync"
    answers = [call.error_code for call in state.calls_of(INFO)]
    assert answers == [50001] * (gateway.client.max_retries + 1) + [45001] * MAX_TRIES
    assert not Order.objects.filter(shop=shop).exists()
    assert process_due_pushes(shop, gateway, actor=ACTOR, now=sim_now(state) + 10 * DELAY).handled == 0

    # the incremental sync, which covers every order, stores it once it shows
    state.set_now(quiet_moment(state.shop, state.shop.orders[order_sn][0].updated_at + 60))
    settings = SyncSettings(first_lookback=timedelta(hours=2))
    assert sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings).caught_up
    stored = Order.objects.get(shop=shop, order_sn=order_sn)
    current = state.order(order_sn)
    assert current is not None and stored.fingerprint == fingerprint(order_from_pdd(current))


def test_a_refund_push_for_a_case_the_platform_does_not_show_yet_is_postponed_and_blocks_no_other_push(db, sim):
    """The refund API lags its messages as the order API does: a case not visible yet is asked for again later,
    like an order, and the messages behind it are handled meanwhile."""
    state = sim.state
    shop = connect_sim_shop(sim)
    gateway = pdd_gateway(sim, Sleeps())
    horizon = state.now() + (MAX_TRIES + 1) * DELAY.total_seconds()
    case = next(v[0] for _, v in sorted(state.shop.refunds.items()) if v[0].created_at > horizon)
    order_sn = state.visible_order_sns()[0]
    t0 = sim_now(state)
    assert record_push(shop, topic=REFUND_CREATED, business_key=str(case.id), order_sn=case.order_sn,
                       message_id="1", now=t0)  # fmt: skip
    assert record_push(shop, topic=CONFIRMED, business_key=order_sn, order_sn=order_sn, message_id="2", now=t0)

    state.advance(DELAY.total_seconds())
    report = process_due_pushes(shop, gateway, actor=ACTOR, now=sim_now(state))

    assert (report.handled, report.postponed, report.gave_up) == (1, 1, 0)
    _assert_latest(shop, state, [order_sn])
    refund = PushMessage.objects.get(shop=shop, topic=REFUND_CREATED)
    assert refund.handled_at is None and refund.attempts == 1 and refund.fetch_after == sim_now(state) + DELAY


# --- end to end: the real consumer on the simulated push server --------------------------------------------------


def _wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


@pytest.mark.django_db(transaction=True)
def test_pushes_from_the_pmc_consumer_become_one_row_per_trigger_and_stored_orders_after_the_delay(sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    pmc = serve_pmc(state, redeliver_after_s=30, watch_interval_s=0.05)
    lock = threading.Lock()
    received: list[PmcMessage] = []
    recorded: list[bool] = []

    def handler(message: PmcMessage) -> None:
        key, order_sn = message.business_key or "", message.order_sn or ""
        try:
            first = record_push(shop, topic=message.type, business_key=key, order_sn=order_sn,
                                message_id=str(message.id), now=sim_now(state))  # fmt: skip
        finally:
            connection.close()  # the consumer's worker thread has its own connection
        with lock:
            received.append(message)
            recorded.append(first)

    consumer = PmcConsumer(
        pmc_url_factory(pmc.client_id, pmc.client_secret, base=pmc.url_base), handler, reconnect_backoff=(0.05, 0.1)
    )
    try:
        consumer.start()
        _wait_until(lambda: pmc.connection_count == 1)
        pmc.hold()
        state.advance(HOUR)  # new orders, shipments, after-sales: the shop's changes become messages
        pmc.wait_until_watched()  # everything of this hour is published (and held)
        assert len(pmc.pending) >= 10
        sent = pmc.release("reverse")  # newest first
        for message_id in sent[:: max(1, len(sent) // 6)]:
            pmc.duplicate(message_id)  # delivered twice under the same id
        duplicates = len(sent[:: max(1, len(sent) // 6)])
        _wait_until(lambda: len(received) == len(sent) + duplicates and not pmc.pending)
    finally:
        consumer.stop()
        pmc.stop()

    assert set(pmc.acked) == set(sent) and pmc.bad_acks == []
    assert [m.id for m in received[: len(sent)]] == sent and sent == sorted(sent, reverse=True)  # newest first
    triggers = {(m.type, m.business_key) for m in received}
    assert sum(recorded) == len(triggers) < len(received)
    rows = PushMessage.objects.filter(shop=shop, handled_at__isnull=True)
    assert sorted(rows.values_list("topic", "business_key")) == sorted(triggers)
    assert {m.type for m in received} >= {CONFIRMED}

    gateway = pdd_gateway(sim, Sleeps())
    too_early = process_due_pushes(shop, gateway, actor=ACTOR, now=sim_now(state) + DELAY - timedelta(seconds=1))
    assert too_early.handled == too_early.postponed == 0 and state.calls == []

    state.advance(DELAY.total_seconds())
    report = process_due_pushes(shop, gateway, actor=ACTOR, now=sim_now(state))

    assert (report.handled, report.postponed, report.gave_up) == (len(triggers), 0, 0)
    orders = {key for topic, key in triggers if topic.startswith("pdd_trade_")}
    _assert_latest(shop, state, orders)
    cases = {key for topic, key in triggers if topic.startswith("pdd_refund_")}
    assert set(AfterSalesCase.objects.filter(shop=shop).values_list("after_sales_id", flat=True)) == cases
