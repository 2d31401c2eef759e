"""The real PDD client against the simulated gateway over real HTTP on 127.0.0.1: signing, token refresh,
retries and backoff, rate limits, windows and paging, mapping, shipping, and after-sales type codes."""

from __future__ import annotations

import math
import random
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from kuaifa.domain.orders.canonical import ConfirmStatus, PlatformOrderStatus, PlatformRefundStatus
from kuaifa.domain.shared.money import yuan_to_fen
from kuaifa.platforms.pdd.aftersales import AfterSalesType, type_from_detail_code, type_from_list_code
from kuaifa.platforms.pdd.client import PddClient, ShipmentConflict
from kuaifa.platforms.pdd.errors import (
    PddBannedError,
    PddBusinessError,
    PddError,
    PddOrderNotFound,
    PddParamError,
    PddPermissionError,
    PddRateLimited,
    PddRetryableError,
    PddSignError,
    PddTokenExpired,
    PddTransportError,
)
from kuaifa.platforms.pdd.increment import fetch_window, split_windows
from kuaifa.platforms.pdd.mapping import order_from_pdd
from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimGatewayServer
from kuaifa.platforms.sim.clock import epoch_of_beijing
from kuaifa.platforms.sim.shop import RETURN_REFUND, RefundCase
from kuaifa.platforms.sim.state import SimState

HALF_HOUR = 30 * 60


@dataclass
class FakeTime:
    """The client's clock: starts where told, moves only when the client sleeps; keeps every sleep."""

    now: float
    sleeps: list[float] = field(default_factory=list)

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(sim: SimGatewayServer) -> FakeTime:
    return FakeTime(sim.state.now())


@pytest.fixture
def client(sim: SimGatewayServer, fake_time: FakeTime) -> Iterator[PddClient]:
    with make_client(sim, fake_time) as pdd:
        yield pdd


def make_client(
    sim: SimGatewayServer,
    fake_time: FakeTime,
    *,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    timeout_s: float = 2.0,
    max_retries: int = 5,
    rate_limits: dict[str, tuple[int, float]] | None = None,
    token_refresher: Callable[[], str] | None = None,
) -> PddClient:
    """The real client pointed at the simulator, on the fake clock, with a seeded jitter source."""
    return PddClient(
        DEFAULT_CLIENT_ID,
        client_secret,
        sim.state.default_token.access_token,
        base_url=sim.base_url,
        clock=fake_time.time,
        sleep=fake_time.sleep,
        rng=random.Random(7),
        timeout=timeout_s,
        max_retries=max_retries,
        rate_limits=rate_limits,
        token_refresher=token_refresher,
    )


def _blocked(order: dict[str, Any]) -> bool:
    """Under risk review or on ship_hold: the platform refuses to ship it."""
    held = any(tag["name"] == "ship_hold" and tag["value"] == 1 for tag in order["order_tag_list"])
    return held or order["risk_control_status"] == 1


def _shippable(state: SimState) -> str:
    """An order the platform lets ship: 待发货, no after-sales, not under review, not held."""
    for order_sn in state.visible_order_sns():
        order = state.order(order_sn)
        assert order is not None
        if order["order_status"] == 1 and order["refund_status"] == 1 and not _blocked(order):
            return order_sn
    raise AssertionError("the simulated shop has no shippable order")


# --- signing and public parameters ----------------------------------------------------------------------------


def test_a_signed_call_is_accepted(client: PddClient, sim: SimGatewayServer) -> None:
    answer = client.call("pdd.time.get")

    assert epoch_of_beijing(answer["time"]) == int(sim.state.now())


def test_a_wrong_secret_gets_20004_and_is_not_retried(sim: SimGatewayServer, fake_time: FakeTime) -> None:
    with make_client(sim, fake_time, client_secret="not-the-secret") as wrong, pytest.raises(PddSignError) as raised:
        wrong.call("pdd.time.get")

    assert raised.value.code == 20004
    assert raised.value.request_id
    assert len(sim.state.calls_of("pdd.time.get")) == 1
    assert fake_time.sleeps == []


def test_calibration_keeps_the_platform_clock_offset(sim: SimGatewayServer) -> None:
    behind = FakeTime(sim.state.now() - 300)  # the merchant's machine is 5 minutes slow
    with make_client(sim, behind) as pdd:
        offset = pdd.calibrate()

        assert offset == pytest.approx(300, abs=1)
        assert pdd.platform_now() == pytest.approx(sim.state.now(), abs=1)
        assert pdd.platform_datetime() == datetime.fromtimestamp(pdd.platform_now(), UTC)


# --- tokens ---------------------------------------------------------------------------------------------------


def test_an_expired_token_is_refreshed_once_through_the_hook_and_the_call_succeeds(
    sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    old = state.default_token
    state.expire_access_token(old.access_token)
    refreshes: list[str] = []
    holder: dict[str, PddClient] = {}

    def refresh() -> str:
        grant = holder["client"].refresh_access_token(old.refresh_token)
        refreshes.append(grant.access_token)
        return grant.access_token

    with make_client(sim, fake_time, token_refresher=refresh) as pdd:
        holder["client"] = pdd
        order_sn = state.visible_order_sns()[0]

        order = pdd.order_information(order_sn)

        assert order["order_sn"] == order_sn
        assert len(refreshes) == 1
        assert pdd.access_token == refreshes[0] != old.access_token
        assert [call.error_code for call in state.calls_of("pdd.order.information.get")] == [10019, None]


def test_without_a_refresher_an_expired_token_raises_token_expired(client: PddClient, sim: SimGatewayServer) -> None:
    sim.state.expire_access_token(sim.state.default_token.access_token)

    with pytest.raises(PddTokenExpired) as raised:
        client.order_information(sim.state.visible_order_sns()[0])

    assert raised.value.code == 10019
    assert len(sim.state.calls_of("pdd.order.information.get")) == 1


def test_the_refresher_is_called_only_once_per_call(sim: SimGatewayServer, fake_time: FakeTime) -> None:
    sim.state.expire_token_next(2)
    calls: list[int] = []

    def refresh() -> str:
        calls.append(1)
        return sim.state.default_token.access_token

    with make_client(sim, fake_time, token_refresher=refresh) as pdd, pytest.raises(PddTokenExpired):
        pdd.call("pdd.logistics.companies.get")

    assert calls == [1]


# --- retries and backoff --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inject", "failure"),
    [
        (lambda state: state.fail_next(2, code=50001), 50001),
        (lambda state: state.http_error_next(2, status=502), 502),
        (lambda state: state.rate_limit_next(2), 70031),
    ],
    ids=["50001", "http-502", "70031"],
)
def test_injected_faults_are_retried_with_backoff_and_the_call_succeeds(
    sim: SimGatewayServer, fake_time: FakeTime, client: PddClient, inject: Callable[[SimState], None], failure: int
) -> None:
    inject(sim.state)

    companies = client.logistics_companies()

    assert any(company.id == 85 for company in companies)
    outcomes = [call.error_code or (call.http_status if call.http_status != 200 else None) for call in sim.state.calls]
    assert outcomes == [failure, failure, None]
    draws = random.Random(7)  # the client's seeded source, replayed: full jitter is uniform in [0, 0.5 · 2ⁿ] s
    assert fake_time.sleeps == [draws.uniform(0.0, 0.5), draws.uniform(0.0, 1.0)]
    assert all(0 <= delay <= 0.5 * 2**n for n, delay in enumerate(fake_time.sleeps))


def test_a_timeout_is_retried(sim: SimGatewayServer, fake_time: FakeTime) -> None:
    sim.state.delay_next(1, seconds=0.6)
    with make_client(sim, fake_time, timeout_s=0.2) as pdd:
        assert pdd.call("pdd.time.get")["time"]

    assert len(fake_time.sleeps) == 1


def test_retries_stop_after_max_retries(sim: SimGatewayServer, fake_time: FakeTime) -> None:
    sim.state.fail_next(10, code=52001)
    with make_client(sim, fake_time, max_retries=2) as pdd, pytest.raises(PddRetryableError) as raised:
        pdd.call("pdd.time.get")

    assert raised.value.code == 52001
    assert len(sim.state.calls) == 3
    assert len(fake_time.sleeps) == 2


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (20031, PddPermissionError),
        (21001, PddBusinessError),
        (10000, PddParamError),
        (70033, PddBannedError),
        (45001, PddOrderNotFound),
    ],
)
def test_non_retryable_errors_are_raised_at_once(
    sim: SimGatewayServer, fake_time: FakeTime, client: PddClient, code: int, error: type[PddError]
) -> None:
    sim.state.fail_next(1, code=code)

    with pytest.raises(error) as raised:
        client.call("pdd.logistics.companies.get")

    assert raised.value.code == code
    assert len(sim.state.calls) == 1
    assert fake_time.sleeps == []


def test_an_unknown_order_is_45001_without_retry(client: PddClient, sim: SimGatewayServer) -> None:
    with pytest.raises(PddOrderNotFound):
        client.order_information("260302-000000000000000")

    assert len(sim.state.calls) == 1


# --- rate limits ----------------------------------------------------------------------------------------------


def test_the_client_rate_limiter_waits_for_a_free_slot(sim: SimGatewayServer, fake_time: FakeTime) -> None:
    with make_client(sim, fake_time, rate_limits={"pdd.time.get": (2, 10.0)}) as pdd:
        for _ in range(3):
            pdd.call("pdd.time.get")

    assert fake_time.sleeps == [pytest.approx(10.0)]
    assert all(call.error_code is None for call in sim.state.calls)


def test_a_full_platform_rate_window_answers_70031_until_it_passes(sim: SimGatewayServer, fake_time: FakeTime) -> None:
    state = sim.state
    state.set_rate_limit("pdd.order.status.get", 1, 60.0)
    order_sn = state.visible_order_sns()[0]
    with make_client(sim, fake_time, max_retries=2) as pdd:
        pdd.order_statuses([order_sn])
        with pytest.raises(PddRateLimited):
            pdd.order_statuses([order_sn])
        state.advance(61)

        rows = pdd.order_statuses([order_sn])

    assert [call.error_code for call in state.calls] == [None, 70031, 70031, 70031, None]
    assert rows[0].order_sn == order_sn


# --- windows and paging ---------------------------------------------------------------------------------------


def test_an_increment_window_over_30_minutes_is_refused(client: PddClient, sim: SimGatewayServer) -> None:
    start = sim.state.shop.start_ts

    with pytest.raises(ValueError, match="at most 1800"):
        client.increment_orders(start, start + HALF_HOUR + 1, page=1)
    assert sim.state.calls == []  # refused before any call

    with pytest.raises(PddBusinessError) as raised:
        client.call(
            "pdd.order.number.list.increment.get",
            start_updated_at=start,
            end_updated_at=start + HALF_HOUR + 1,
            order_status=5,
            refund_status=5,
        )
    assert raised.value.code == 21002
    assert "30" in raised.value.sub_msg


def test_a_window_ending_after_platform_now_is_refused(client: PddClient, sim: SimGatewayServer) -> None:
    now = int(sim.state.now())

    with pytest.raises(PddBusinessError) as raised:
        client.increment_orders(now - 600, now + 60, page=1)

    assert raised.value.code == 21002


def test_use_has_next_drops_total_count_and_keeps_has_next(client: PddClient, sim: SimGatewayServer) -> None:
    start, end = _busiest_window(sim.state)

    counted = client.increment_orders(start, end, page=1, page_size=2, use_has_next=False)
    fast = client.increment_orders(start, end, page=1, page_size=2, use_has_next=True)

    assert counted.total_count == len(sim.state.orders_updated_between(start, end)) > 2
    assert fast.total_count is None
    assert counted.has_next is fast.has_next is True
    assert fast.orders == counted.orders


def test_walking_pages_last_to_first_over_a_day_returns_every_order_exactly_once(
    client: PddClient, sim: SimGatewayServer
) -> None:
    state = sim.state
    span_start, span_end = state.shop.start_ts, int(state.now()) - 180  # end ≤ platform now − 3 min
    expected = {o["order_sn"] for o in state.orders_updated_between(span_start, span_end)}
    assert len(expected) >= 250

    seen: list[str] = []
    for start, end in split_windows(span_start, span_end):  # back-to-back windows
        orders = fetch_window(client, start, end, page_size=7)
        seen.extend(order["order_sn"] for order in orders)

    assert sorted(seen) == sorted(expected)  # every order, and none twice


def test_a_walk_from_the_last_page_misses_nothing_when_orders_change_meanwhile(
    client: PddClient, sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    start, end = _busiest_window(state)
    before = [o["order_sn"] for o in state.orders_updated_between(start, end)]
    size = 3
    pages = math.ceil(len(before) / size)
    assert pages >= 4

    backwards, moved_back = _walk(client, state, fake_time, start, end, size, range(pages, 0, -1))
    assert set(before) - set(moved_back) <= set(backwards)

    # the same walk forwards skips orders: each update shifts an unread order onto the page just read
    present = [o["order_sn"] for o in state.orders_updated_between(start, end)]
    pages = math.ceil(len(present) / size)
    forwards, moved_fwd = _walk(client, state, fake_time, start, end, size, range(1, pages + 1))
    assert set(present) - set(moved_fwd) - set(forwards), "walking forwards should have missed an order"


def _busiest_window(state: SimState) -> tuple[int, int]:
    windows = list(split_windows(state.shop.start_ts, state.shop.end_ts))
    return max(windows, key=lambda window: len(state.orders_updated_between(*window)))


def _walk(
    client: PddClient, state: SimState, fake_time: FakeTime, start: int, end: int, size: int, order: range
) -> tuple[list[str], list[str]]:
    """Read the pages in ``order``; after each, the platform updates the page's first order (it leaves the window)."""
    seen: list[str] = []
    moved: list[str] = []
    for page in order:
        orders = client.increment_orders(start, end, page=page, page_size=size).orders
        seen.extend(o["order_sn"] for o in orders)
        if orders:
            state.advance(1)
            fake_time.now = state.now()
            state.update_order(orders[0]["order_sn"], remark="改地址")
            moved.append(orders[0]["order_sn"])
    return seen, moved


# --- mapping --------------------------------------------------------------------------------------------------


def _handmade_order() -> dict[str, Any]:
    """A 待发货 order with amounts that are not exact in binary (0.29, 1.15) and a ship_hold tag."""
    return {
        "order_sn": "260302-123456789012345",
        "order_status": 1,
        "refund_status": 1,
        "after_sales_status": 0,
        "confirm_status": 1,
        "risk_control_status": 0,
        "is_pre_sale": 0,
        "pre_sale_time": "",
        "created_time": "2026-03-02 00:30:00",
        "pay_time": "2026-03-02 00:30:41",
        "confirm_time": "2026-03-02 00:31:00",
        "last_ship_time": "2026-03-04 00:30:00",
        "shipping_time": "",
        "receive_time": "",
        "updated_at": "2026-03-02 08:15:09",
        "goods_amount": 3.03,
        "discount_amount": 0.3,
        "platform_discount": 0.1,
        "seller_discount": 0.2,
        "postage": 0.0,
        "pay_amount": 2.73,
        "item_list": [
            {
                "goods_id": 600007,
                "sku_id": 7000071,
                "goods_name": "卡通贴纸",
                "goods_spec": "10张",
                "goods_count": 2,
                "goods_price": 1.15,
                "outer_id": "STK-10",
                "outer_goods_id": "STK",
            },
            {
                "goods_id": "600008",
                "sku_id": "7000081",
                "goods_name": "书签",
                "goods_spec": "",
                "goods_count": 1,
                "goods_price": 0.73,
                "outer_id": "BM-1",
                "outer_goods_id": "BM",
            },
        ],
        "province": "广东省",
        "city": "深圳市",
        "town": "南山区",
        "receiver_name": "~AgAAAAname~n~1~~",
        "receiver_phone": "~AgAAAAphone~p~1~~",
        "receiver_address": "~AgAAAAaddr~a~1~~",
        "address": "~AgAAAAfull~a~1~~",
        "receiver_name_mask": "王*",
        "receiver_phone_mask": "138****5678",
        "receiver_address_mask": "科技园路***",
        "address_mask": "广东省深圳市南山区科技园路***",
        "open_address_id": "merge-key-1",
        "order_tag_list": [{"name": "ship_hold", "value": 1}, {"name": "open_in_festival", "value": 0}],
        "buyer_memo": "请发顺丰",
        "remark": "",
        "logistics_id": 0,
        "tracking_number": "",
    }


def test_a_simulated_order_maps_to_the_canonical_order_exactly(client: PddClient, sim: SimGatewayServer) -> None:
    sim.state.add_order(_handmade_order())

    order = order_from_pdd(client.order_information("260302-123456789012345"))

    assert (order.goods_amount_fen, order.discount_amount_fen, order.pay_amount_fen) == (303, 30, 273)
    assert (order.platform_discount_fen, order.seller_discount_fen, order.postage_fen) == (10, 20, 0)
    assert [(line.unit_price_fen, line.quantity) for line in order.lines] == [(115, 2), (73, 1)]
    assert [(line.goods_id, line.platform_sku_id, line.outer_id) for line in order.lines] == [
        ("600007", "7000071", "STK-10"),
        ("600008", "7000081", "BM-1"),
    ]
    assert order.created_at == datetime(2026, 3, 1, 16, 30, tzinfo=UTC)
    assert order.updated_at == datetime(2026, 3, 2, 0, 15, 9, tzinfo=UTC)
    assert order.shipped_at is None and order.pre_sale_time is None
    assert order.order_status is PlatformOrderStatus.AWAITING_SHIPMENT
    assert order.refund_status is PlatformRefundStatus.NONE
    assert order.confirm_status is ConfirmStatus.CONFIRMED
    assert order.ship_hold is True and order.tags == ("ship_hold",)
    receiver = order.receiver
    assert (receiver.name, receiver.phone, receiver.address) == (
        "~AgAAAAname~n~1~~",
        "~AgAAAAphone~p~1~~",
        "~AgAAAAaddr~a~1~~",
    )
    assert (receiver.name_mask, receiver.phone_mask, receiver.address_mask) == ("王*", "138****5678", "科技园路***")
    assert (receiver.province, receiver.city, receiver.town) == ("广东省", "深圳市", "南山区")
    assert receiver.open_address_id == "merge-key-1" and not receiver.is_plaintext
    assert order.buyer_memo == "请发顺丰"


def test_every_order_of_a_simulated_day_maps_and_its_amounts_add_up(client: PddClient, sim: SimGatewayServer) -> None:
    start = sim.state.shop.start_ts
    raw: list[dict[str, Any]] = []
    page = 1
    while True:
        chunk = client.list_orders(start, start + 24 * 3600 - 1, page=page, page_size=100)
        raw.extend(chunk.orders)
        if not chunk.has_next:
            break
        page += 1
    assert len(raw) == sim.state.shop.config.orders_per_day

    for source, order in zip(raw, map(order_from_pdd, raw), strict=True):
        assert order.pay_amount_fen == order.goods_amount_fen - order.discount_amount_fen + order.postage_fen
        assert order.discount_amount_fen == order.platform_discount_fen + order.seller_discount_fen
        assert order.goods_amount_fen == sum(line.unit_price_fen * line.quantity for line in order.lines)
        assert order.receiver.name_mask and order.receiver.phone_mask  # masks are always there
        ciphertext_shown = order.order_status == 1 and order.risk_control_status == 0
        assert bool(order.receiver.name) is ciphertext_shown, source["order_sn"]
        assert order.receiver.name == "" or order.receiver.name.startswith("~AgAAAA")
        if order.is_pre_sale:
            assert order.last_ship_time == order.pre_sale_time
            assert order.last_ship_time is not None and order.last_ship_time.astimezone(UTC).time().isoformat() == (
                "15:59:59"  # 23:59:59 Beijing
            )
        else:
            assert order.last_ship_time is not None and order.created_at is not None
            assert (order.last_ship_time - order.created_at).total_seconds() in (24 * 3600, 48 * 3600)
    assert {o["order_status"] for o in raw} >= {1, 2}


# --- shipping -------------------------------------------------------------------------------------------------


def test_online_send_records_exactly_one_shipment_and_a_repeat_is_recognised(
    client: PddClient, sim: SimGatewayServer
) -> None:
    state = sim.state
    order_sn = _shippable(state)

    first = client.online_send(order_sn, 85, "YT7512345678901")
    again = client.online_send(order_sn, 85, "YT7512345678901")

    assert first.already_shipped is False
    assert again.already_shipped is True
    assert [(s.order_sn, s.logistics_id, s.tracking_number) for s in state.shipments] == [
        (order_sn, 85, "YT7512345678901")
    ]
    shipped = order_from_pdd(client.order_information(order_sn))
    assert shipped.order_status is PlatformOrderStatus.SHIPPED
    assert (shipped.logistics_id, shipped.tracking_number) == (85, "YT7512345678901")
    assert shipped.receiver.name == "" and shipped.receiver.name_mask  # ciphertext only while 待发货

    with pytest.raises(ShipmentConflict) as conflict:
        client.online_send(order_sn, 85, "YT0000000000000")
    assert conflict.value.platform_tracking_number == "YT7512345678901"
    assert len(state.shipments) == 1


def test_a_lost_answer_to_online_send_is_retried_and_recognised_as_done(
    sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    order_sn = _shippable(state)
    state.delay_next(1, seconds=0.6, api="pdd.logistics.online.send", after_handling=True)

    with make_client(sim, fake_time, timeout_s=0.2) as pdd:
        result = pdd.online_send(order_sn, 121, "4312345678901")

    assert result.already_shipped is True
    assert len(state.shipments) == 1


def test_redelivery_type_2_corrects_a_shipped_order_only(client: PddClient, sim: SimGatewayServer) -> None:
    state = sim.state
    order_sn = _shippable(state)

    with pytest.raises(PddBusinessError):
        client.online_send(order_sn, 85, "YT1", redelivery_type=2)
    client.online_send(order_sn, 85, "YT1")
    client.online_send(order_sn, 115, "75123", redelivery_type=2)

    assert [(s.logistics_id, s.tracking_number, s.redelivery_type) for s in state.shipments] == [
        (85, "YT1", 1),
        (115, "75123", 2),
    ]
    assert client.order_information(order_sn)["tracking_number"] == "75123"


def test_an_unavailable_carrier_is_refused(client: PddClient, sim: SimGatewayServer) -> None:
    companies = {company.id: company for company in client.logistics_companies()}
    assert companies[204].available is False and companies[384].code == "JTSD"

    with pytest.raises(PddBusinessError) as raised:
        client.online_send(_shippable(sim.state), 204, "BS123")

    assert raised.value.sub_code == "LOGISTICS_UNAVAILABLE"
    assert sim.state.shipments == []


# --- after-sales ----------------------------------------------------------------------------------------------


def _a_case(state: SimState, kind: str) -> RefundCase:
    for versions in state.shop.refunds.values():
        if versions[0].kind == kind and len(versions) > 1:
            return versions[0]
    raise AssertionError(f"the simulated shop has no resolved {kind} case")


def test_refund_list_and_detail_code_the_type_differently(
    client: PddClient, sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    opened = _a_case(state, RETURN_REFUND)
    state.set_now(opened.created_at + 600)
    fake_time.now = state.now()

    page = client.refund_increment(opened.created_at - 60, opened.created_at + 60, page=1)
    listed = next(record for record in page.refunds if record["id"] == opened.id)
    detail = client.refund_information(opened.order_sn, opened.id)

    assert listed["after_sales_type"] == 3  # list coding: 3 退货退款
    assert detail["after_sales_type"] == 2  # detail coding: 2 退货退款
    assert type_from_list_code(listed["after_sales_type"]) is AfterSalesType.RETURN_REFUND
    assert type_from_detail_code(detail["after_sales_type"]) is AfterSalesType.RETURN_REFUND
    assert isinstance(listed["refund_amount"], str) and isinstance(detail["refund_amount"], int)
    assert yuan_to_fen(listed["refund_amount"]) == detail["refund_amount"] == opened.refund_fen
    assert detail["after_sales_status"] == 3 and detail["expire_time"]  # waiting on the merchant: a deadline
    assert client.refund_status_check([opened.order_sn, _shippable(state)]) == {opened.order_sn}

    state.set_now(state.shop.refunds[opened.id][-1].updated_at + 60)
    fake_time.now = state.now()
    closed = client.refund_information(opened.order_sn, opened.id)
    assert closed["after_sales_status"] == 10 and closed["expire_time"] is None
    assert isinstance(closed["confirm_time"], int)  # epoch ms in the detail


def test_an_order_status_batch_reports_unknown_orders_as_zero(client: PddClient, sim: SimGatewayServer) -> None:
    known = sim.state.visible_order_sns()[0]

    rows = client.order_statuses([known, "260302-999999999999999"])

    assert rows[0].order_sn == known and rows[0].order_status in (1, 2, 3)
    assert (rows[1].order_status, rows[1].refund_status) == (0, 0)


def test_network_failure_is_a_retryable_transport_error(fake_time: FakeTime) -> None:
    with socket.socket() as probe:  # a port on 127.0.0.1 that nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with (
        PddClient(
            "id",
            "secret",
            "token",
            base_url=f"http://127.0.0.1:{closed_port}/api/router",
            clock=fake_time.time,
            sleep=fake_time.sleep,
            max_retries=1,
            rng=random.Random(1),
        ) as pdd,
        pytest.raises(PddTransportError) as raised,
    ):
        pdd.call("pdd.time.get")

    assert raised.value.retryable and len(fake_time.sleeps) == 1


def test_back_to_back_windows_neither_overlap_nor_leave_a_gap() -> None:
    assert list(split_windows(0, 4000)) == [(0, 1800), (1801, 3601), (3602, 4000)]
    assert list(split_windows(0, 3000, overlap_s=600)) == [(0, 1800), (1201, 3000)]


def test_a_shipment_through_the_gateway_replaces_the_orders_scripted_future(
    client: PddClient, sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    order_sn, versions = next(
        (sn, vs)
        for sn, vs in state.shop.orders.items()
        if len(vs) == 3 and vs[-1].order["refund_status"] == 4 and not _blocked(vs[0].order)
    )  # scripted: paid, buyer asks for a refund, refunded before shipment
    state.set_now(versions[0].updated_at + 60)
    fake_time.now = state.now()

    client.online_send(order_sn, 85, "YT5550001112223")
    state.set_now(versions[-1].updated_at + 60)
    fake_time.now = state.now()

    assert client.order_information(order_sn)["order_status"] == 2
    assert state.refund_cases_of(order_sn) == []
