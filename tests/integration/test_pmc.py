"""The PMC push consumer against the simulated push server over a real websocket on 127.0.0.1: the URL sign, ACK
only after handling, redelivery of what was not ACKed, duplicates and reordering passed on, int64 ids kept exact,
malformed frames skipped, reconnects, heartbeats, refused signs, and shop changes turned into messages."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from kuaifa.platforms.pdd.pmc import (
    PmcConsumer,
    PmcFrameError,
    PushMessage,
    ack_frame,
    parse_message,
    pmc_sign,
    pmc_url,
    pmc_url_factory,
)
from kuaifa.platforms.sim import ShopConfig, SimShop, generate_shop
from kuaifa.platforms.sim.pmc import CLOSE_AUTH_FAILED, SimPmcServer, expected_sign, serve_pmc
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.platforms.sim.state import ShipmentRecord, SimState

SEED = 20260302
TRADE = "pdd_trade_TradeConfirmed"
VECTOR_SIGN = "OTgxODMwNDI2NWZiN2NiNzA2NzIxOTI0ZjJlMDMxMjE="


# --- fixtures and helpers -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop() -> SimShop:
    return generate_shop(ShopConfig(seed=SEED))


@pytest.fixture
def state(shop: SimShop) -> SimState:
    """The shop at 10:00 on its first day (a peak hour), clock frozen."""
    return SimState(shop, now=shop.start_ts + 10 * HOUR)


@pytest.fixture
def pmc(state: SimState) -> Iterator[SimPmcServer]:
    server = serve_pmc(state, redeliver_after_s=0.3, watch_interval_s=0.05)
    yield server
    server.stop()


class Recorder:
    """A handler that records every message it is given (in a worker thread) and can fail or block on cue."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[PushMessage] = []
        self.fail_ids: set[int] = set()  # fail the first delivery of these ids
        self.on_call: Callable[[PushMessage], None] | None = None

    def __call__(self, message: PushMessage) -> None:
        with self.lock:
            self.messages.append(message)
        if self.on_call is not None:
            self.on_call(message)
        with self.lock:
            if message.id in self.fail_ids:
                self.fail_ids.discard(message.id)
                raise RuntimeError(f"handler failed on {message.id}")

    @property
    def ids(self) -> list[int]:
        with self.lock:
            return [message.id for message in self.messages]


def consumer_for(server: SimPmcServer, handler: Any, *, secret: str | None = None, **options: Any) -> PmcConsumer:
    options.setdefault("reconnect_backoff", (0.05, 0.1))
    urls = pmc_url_factory(server.client_id, secret or server.client_secret, base=server.url_base)
    return PmcConsumer(urls, handler, **options)


@contextmanager
def running(consumer: PmcConsumer) -> Iterator[PmcConsumer]:
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop()


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll until ``predicate`` holds; the wide bound only matters on a busy machine (it returns once met)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


# --- URL and frames -----------------------------------------------------------------------------------------------


def test_sign_matches_the_reference_vector() -> None:
    assert pmc_sign("app", 1700000000000, "secret") == VECTOR_SIGN
    assert expected_sign("app", "1700000000000", "secret") == VECTOR_SIGN
    url = pmc_url(client_id="app", client_secret="secret", now_ms=1700000000000)
    assert url == "wss://message-api.pinduoduo.com/message/app/1700000000000/" + VECTOR_SIGN.replace("=", "%3D")


def test_frames_keep_int64_ids_exact_and_name_what_is_malformed() -> None:
    big = 2**63 - 1
    text = (
        f'{{"id":{big},"commandType":"Common","time":1,"sendTime":1700000000123,'
        '"message":{"type":"pdd_refund_RefundCreated","mallID":880001,'
        '"content":"{\\"mall_id\\":880001,\\"tid\\":\\"260302-1\\",\\"refund_id\\":9007199254740993,'
        '\\"refund_fee\\":1990}"}}'
    )
    message = parse_message(text)
    assert message.id == big and message.send_time == 1700000000123 and message.mall_id == 880001
    assert message.content["refund_id"] == 2**53 + 1 and message.business_key == str(2**53 + 1)
    assert f'"id":{big},' in ack_frame(message, 5)

    trade = replace(message, type=TRADE, content={"tid": "260302-1"})
    assert trade.business_key == "260302-1"
    assert replace(message, content={"tid": "260302-1"}).business_key == "260302-1"  # refund without refund_id

    with pytest.raises(PmcFrameError, match="integer literal"):
        parse_message(text.replace(f"{big}", "9007199254740993.0"))
    with pytest.raises(PmcFrameError, match="content is not JSON"):
        parse_message(text.replace('"content":"{', '"content":"oops{'))
    with pytest.raises(PmcFrameError, match="not JSON"):
        parse_message('{"commandType":"Common","id":')
    with pytest.raises(PmcFrameError, match="'message' object"):
        parse_message('{"commandType":"Common","id":1,"sendTime":1}')


# --- delivery and ACK ---------------------------------------------------------------------------------------------


def test_message_is_acked_only_after_the_handler_returns(pmc: SimPmcServer) -> None:
    release = threading.Event()
    seen_while_handling: list[tuple[list[int], list[int]]] = []
    recorder = Recorder()

    def block(message: PushMessage) -> None:
        seen_while_handling.append((pmc.pending, pmc.acked))
        assert release.wait(5)

    recorder.on_call = block
    with running(consumer_for(pmc, recorder, heartbeat_s=0.05)) as consumer:
        message_id = pmc.publish(TRADE, {"mall_id": pmc.mall_id, "tid": "260302-000000000000001"})
        wait_until(lambda: bool(seen_while_handling))
        time.sleep(0.1)  # heartbeats keep flowing while the handler is busy; still no ACK
        assert pmc.acked == [] and pmc.pending == [message_id]
        release.set()
        wait_until(lambda: pmc.acked == [message_id])
    assert seen_while_handling[0] == ([message_id], [])
    assert consumer.stats.received == consumer.stats.acked == 1 and pmc.bad_acks == []


def test_failed_handler_leaves_the_message_unacked_and_its_redelivery_is_handled(pmc: SimPmcServer) -> None:
    recorder = Recorder()
    with running(consumer_for(pmc, recorder)) as consumer:
        message_id = pmc.publish(TRADE, {"mall_id": pmc.mall_id, "tid": "260302-000000000000002"})
        recorder.fail_ids.add(message_id)
        wait_until(lambda: pmc.acked == [message_id])
    assert recorder.ids == [message_id, message_id]
    assert consumer.stats.handler_errors == 1 and consumer.stats.acked == 1
    assert [d.message_id for d in pmc.deliveries] == [message_id, message_id]


async def _async_handler(recorded: list[int], message: PushMessage) -> None:
    await asyncio.sleep(0)
    recorded.append(message.id)


def test_async_handler_is_awaited_and_a_redelivery_may_carry_a_new_id(state: SimState) -> None:
    server = serve_pmc(state, redeliver_after_s=0.2, watch_state=False, new_id_on_redeliver=True)
    recorded: list[int] = []
    calls = {"n": 0}

    async def handler(message: PushMessage) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("first try fails")
        await _async_handler(recorded, message)

    try:
        with running(consumer_for(server, handler)):
            first = server.publish(TRADE, {"mall_id": server.mall_id, "tid": "260302-000000000000003"})
            wait_until(lambda: len(server.acked) == 1)
        assert recorded == [first + 1] and server.acked == [first + 1] and server.pending == []
    finally:
        server.stop()


def test_duplicates_and_out_of_order_deliveries_each_reach_the_handler(pmc: SimPmcServer) -> None:
    recorder = Recorder()
    with running(consumer_for(pmc, recorder)) as consumer:
        wait_until(lambda: pmc.connection_count == 1)
        pmc.hold()
        ids = [pmc.publish(TRADE, {"mall_id": pmc.mall_id, "tid": f"260302-00000000000001{n}"}) for n in range(3)]
        sent = pmc.release("reverse")
        pmc.duplicate(ids[0])
        wait_until(lambda: len(recorder.ids) == 4)
        wait_until(lambda: sorted(pmc.acked) == ids)
    assert sent == ids[::-1]
    assert recorder.ids == [ids[2], ids[1], ids[0], ids[0]]  # not reordered, not deduplicated
    assert consumer.stats.received == 4 and consumer.stats.acked == 4 and pmc.bad_acks == []


def test_int64_id_above_2_53_survives_the_round_trip_exactly(pmc: SimPmcServer) -> None:
    recorder = Recorder()
    with running(consumer_for(pmc, recorder)):
        message_id = pmc.publish(TRADE, {"mall_id": pmc.mall_id, "tid": "260302-000000000000004"})
        wait_until(lambda: pmc.acked == [message_id])
    assert message_id == 2**53 + 1 and int(float(message_id)) != message_id  # a float would have lost it
    assert recorder.ids == [message_id] and pmc.bad_acks == []


def test_malformed_frames_are_skipped_unacked_and_the_consumer_keeps_going(pmc: SimPmcServer) -> None:
    recorder = Recorder()
    with running(consumer_for(pmc, recorder)) as consumer:
        wait_until(lambda: pmc.connection_count == 1)
        pmc.send_raw()  # truncated JSON
        pmc.send_raw('{"commandType":"Common","id":5.0,"sendTime":1,"message":{"type":"x","mallID":1,"content":"{}"}}')
        broken = pmc.publish(TRADE, "this is not JSON")  # tracked by the server: it stays pending
        good = pmc.publish(TRADE, {"mall_id": pmc.mall_id, "tid": "260302-000000000000005"})
        wait_until(lambda: pmc.acked == [good])
        wait_until(lambda: consumer.stats.malformed >= 4)  # the broken message came back once more
    assert recorder.ids == [good]
    assert pmc.pending == [broken]
    assert consumer.stats.connects == 1 and consumer.stats.reconnects == 0 and consumer.stats.handler_errors == 0


# --- connection ---------------------------------------------------------------------------------------------------


def test_dropped_connection_reconnects_and_receives_the_pending_messages(state: SimState) -> None:
    server = serve_pmc(state, redeliver_after_s=60, watch_state=False)  # only a reconnect resends in time
    recorder = Recorder()
    try:
        with running(consumer_for(server, recorder)) as consumer:
            first = server.publish(TRADE, {"mall_id": server.mall_id, "tid": "260302-000000000000006"})
            recorder.fail_ids.add(first)
            wait_until(lambda: consumer.stats.handler_errors == 1)
            assert server.drop_connections() == 1
            wait_until(lambda: consumer.stats.connects == 2)
            wait_until(lambda: server.acked == [first])
            second = server.publish(TRADE, {"mall_id": server.mall_id, "tid": "260302-000000000000007"})
            wait_until(lambda: server.acked == [first, second])
        assert recorder.ids == [first, first, second]
        assert consumer.stats.reconnects == 1 and [h.accepted for h in server.handshakes] == [True, True]
    finally:
        server.stop()


def test_bad_sign_is_refused(pmc: SimPmcServer) -> None:
    async def attempt(url: str) -> ConnectionClosed:
        async with connect(url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            return closed.value

    url = pmc_url(pmc.url_base, client_id=pmc.client_id, client_secret="wrong", now_ms=1700000000000)
    refusal = asyncio.run(attempt(url))
    assert refusal.rcvd is not None and refusal.rcvd.code == CLOSE_AUTH_FAILED

    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0.001)

    pmc.publish(TRADE, {"mall_id": pmc.mall_id, "tid": "260302-000000000000008"})
    consumer = consumer_for(pmc, Recorder(), secret="wrong", reconnect_backoff=(0.01, 0.02, 0.03), sleep=record_sleep)
    assert consumer.run_until(lambda: len(waits) >= 4, timeout=5)
    assert waits[:4] == [0.01, 0.02, 0.03, 0.03]  # refused connections back off further each time
    assert consumer.stats.received == 0 and consumer.stats.last_close_code == CLOSE_AUTH_FAILED
    assert not any(h.accepted for h in pmc.handshakes) and pmc.acked == []


def test_heartbeats_flow_and_a_silent_server_is_reconnected(pmc: SimPmcServer) -> None:
    consumer = consumer_for(pmc, Recorder(), heartbeat_s=0.05)
    assert consumer.run_until(lambda: pmc.heartbeats >= 3, timeout=5)
    assert consumer.stats.heartbeats_sent >= 3 and consumer.stats.reconnects == 0

    pmc.reply_heartbeats = False
    quiet = consumer_for(pmc, Recorder(), heartbeat_s=30, timeout_s=0.3)
    assert quiet.run_until(lambda: quiet.stats.reconnects >= 1, timeout=5)
    assert "no frame" in (quiet.stats.last_error or "")


# --- messages from the shop ---------------------------------------------------------------------------------------


def test_shop_changes_become_push_messages(state: SimState, pmc: SimPmcServer) -> None:
    recorder = Recorder()
    by_topic: Callable[[str], list[PushMessage]] = lambda topic: [m for m in recorder.messages if m.type == topic]  # noqa: E731
    with running(consumer_for(pmc, recorder)):
        pmc.wait_until_watched(timeout=30)  # the watcher has taken the shop as it is: what follows is a change
        before = set(state.visible_order_sns())
        state.advance(HOUR)
        arrived = set(state.visible_order_sns()) - before
        assert arrived
        wait_until(lambda: {m.business_key for m in by_topic(TRADE)} == arrived)

        shipped_sn = sorted(arrived)[0]
        now = int(state.now())
        state.record_shipment(ShipmentRecord(shipped_sn, 85, "YT123456789012", 1, now))
        wait_until(lambda: bool(by_topic("pdd_trade_TradeSellerShip")))

        template = next(iter(state.shop.refunds.values()))[0]
        case = replace(template, id=9_100_000_001, order_sn=shipped_sn, status=2, created_at=now, updated_at=now)
        state.add_refund_case(case)
        wait_until(lambda: bool(by_topic("pdd_refund_RefundCreated")))
        wait_until(lambda: pmc.pending == [] and len(pmc.acked) == len(recorder.messages))

    ship = by_topic("pdd_trade_TradeSellerShip")
    assert [m.business_key for m in ship] == [shipped_sn]
    refund = by_topic("pdd_refund_RefundCreated")[0]
    assert refund.business_key == "9100000001" and refund.order_sn == shipped_sn
    assert refund.content["refund_fee"] == case.refund_fen and refund.content["modified"] == now * 1000
    assert refund.content["bill_type"] in {1, 2, 3, 4, 5} and refund.mall_id == state.shop.config.mall_id
    assert all(m.id > 2**53 for m in recorder.messages)


def test_waiting_for_the_watcher_returns_once_earlier_changes_are_published(state: SimState) -> None:
    server = serve_pmc(state, watch_interval_s=3600)  # after the first pass, only an asked-for pass sees the shop
    try:
        server.hold()
        before = set(state.visible_order_sns())
        state.advance(HOUR)
        arrived = set(state.visible_order_sns()) - before
        assert arrived and server.pending == []
        server.wait_until_watched(timeout=5)
        topics = [server.frame(i)["message"] for i in server.pending]
        confirmed = {json.loads(m["content"])["tid"] for m in topics if m["type"] == TRADE}
        assert confirmed == arrived
        server.wait_until_watched(timeout=5)  # nothing changed since: the pass adds nothing
        assert len(server.pending) == len(topics)
    finally:
        server.stop()
    with pytest.raises(TimeoutError, match="no pass"):
        server.wait_until_watched(timeout=0.2)  # a stopped server makes no pass
    quiet = serve_pmc(state, watch_state=False)
    try:
        with pytest.raises(RuntimeError, match="does not watch"):
            quiet.wait_until_watched()
    finally:
        quiet.stop()
