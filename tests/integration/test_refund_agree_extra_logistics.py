"""The real PDD client against the simulated gateway over HTTP on 127.0.0.1: the merchant's agreements on
after-sales cases (pdd.refund.agree, pdd.refund.returngoods.agree), the return address list, and extra waybills
(pdd.order.upload.extra.logistics)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from kuaifa.platforms.pdd.client import PddClient, RefundDecisionRefused
from kuaifa.platforms.pdd.errors import PddBusinessError
from kuaifa.platforms.pdd.responses import ExtraTrackType, RefundDecisionResult
from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimGatewayServer
from kuaifa.platforms.sim.shop import REFUND_ONLY, RETURN_REFUND, RefundCase
from kuaifa.platforms.sim.state import ExtraLogisticsRecord, RefundDecisionRecord, SimState
from tests.recording_http import RecordingHttp

AGREE = "pdd.refund.agree"
AGREE_RETURN = "pdd.refund.returngoods.agree"


@dataclass
class FakeTime:
    """The client's clock: moved with the simulator's, and by the client's own sleeps."""

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
    with _client(sim, fake_time) as pdd:
        yield pdd


def _client(
    sim: SimGatewayServer, fake_time: FakeTime, *, timeout_s: float = 2.0, http: RecordingHttp | None = None
) -> PddClient:
    return PddClient(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        sim.state.default_token.access_token,
        base_url=sim.base_url,
        http=http,
        clock=fake_time.time,
        sleep=fake_time.sleep,
        rng=random.Random(7),
        timeout=timeout_s,
    )


def _move_to(state: SimState, fake_time: FakeTime, moment: float) -> None:
    """Set the simulator's clock and the client's together (timestamps must stay within 10 min of PDD time)."""
    state.set_now(moment)
    fake_time.now = moment


def _opened_case(state: SimState, fake_time: FakeTime, kind: str, status: int) -> RefundCase:
    """A shipped order's case of ``kind`` just after it opened at ``status`` (waiting on the merchant)."""
    for versions in state.shop.refunds.values():
        first = versions[0]
        if first.kind == kind and first.status == status and first.order_shipped:
            _move_to(state, fake_time, first.created_at + 60)
            case = state.refund_case(first.id)
            assert case is not None and case.status == status
            return case
    raise AssertionError(f"the simulated shop has no {kind} case opened at {status}")


def _order_of(state: SimState, *, shipped: bool) -> str:
    """A visible order, shipped (已发货) or shippable (待发货, no after-sales, not under review, not held)."""
    for order_sn in state.visible_order_sns():
        order = state.order(order_sn)
        assert order is not None
        if order["refund_status"] != 1:
            continue
        held = any(tag["name"] == "ship_hold" and tag["value"] == 1 for tag in order["order_tag_list"])
        if shipped and order["order_status"] == 2:
            return order_sn
        if not shipped and order["order_status"] == 1 and not held and order["risk_control_status"] == 0:
            return order_sn
    raise AssertionError(f"the simulated shop has no {'shipped' if shipped else 'shippable'} order")


# --- pdd.refund.agree ------------------------------------------------------------------------------------------


def test_agreeing_a_waiting_refund_moves_it_to_4_then_10_and_records_the_decision_once(
    client: PddClient, sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    case = _opened_case(state, fake_time, REFUND_ONLY, 2)
    assert client.refund_information(case.order_sn, case.id)["expire_time"]  # waiting on us: a deadline

    result = client.agree_refund(case.order_sn, case.id, note="同意退款，已拦截")

    assert result == RefundDecisionResult(case.order_sn, str(case.id), message="退款操作成功")
    now = int(state.now())
    assert state.refund_decisions == [
        RefundDecisionRecord(AGREE, case.order_sn, case.id, 2, 4, "同意退款，已拦截", now)
    ]
    detail = client.refund_information(case.order_sn, case.id)
    assert detail["after_sales_status"] == 4 and detail["expire_time"] is None  # 商家同意退款，退款中
    order = client.order_information(case.order_sn)
    assert (order["after_sales_status"], order["refund_status"]) == (4, 3)  # 退款中

    _move_to(state, fake_time, now + state.refund_settle_s - 1)
    assert client.refund_information(case.order_sn, case.id)["after_sales_status"] == 4
    _move_to(state, fake_time, now + state.refund_settle_s)
    refunded = client.refund_information(case.order_sn, case.id)
    assert refunded["after_sales_status"] == 10 and isinstance(refunded["confirm_time"], int)
    order = client.order_information(case.order_sn)
    assert (order["after_sales_status"], order["refund_status"]) == (10, 4)  # 退款成功
    assert len(state.refund_decisions) == 1


def test_agreeing_again_is_recognised_as_already_done_and_is_not_a_second_decision(
    client: PddClient, sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    case = _opened_case(state, fake_time, REFUND_ONLY, 2)
    client.agree_refund(case.order_sn, case.id)

    again = client.agree_refund(case.order_sn, case.id)
    assert again.already and again.after_sales_status == 4

    _move_to(state, fake_time, state.now() + state.refund_settle_s)
    after_refund = client.agree_refund(case.order_sn, str(case.id))
    assert after_refund.already and after_refund.after_sales_status == 10

    assert len(state.refund_decisions) == 1
    assert [call.error_code for call in state.calls_of(AGREE)] == [None, 21001, 21001]  # refused, recognised


def test_a_lost_answer_to_an_agreement_is_retried_and_recognised_as_done(
    sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    case = _opened_case(state, fake_time, REFUND_ONLY, 2)
    state.delay_next(seconds=1.0, api=AGREE, after_handling=True)  # the agreement goes through, its answer is late

    with _client(sim, fake_time, timeout_s=0.3) as pdd:
        result = pdd.agree_refund(case.order_sn, case.id)

    assert result.already and result.after_sales_status == 4
    assert len(state.refund_decisions) == 1


def test_agreeing_a_closed_case_is_refused_with_its_status(
    client: PddClient, sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    case = _opened_case(state, fake_time, REFUND_ONLY, 2)
    state.update_refund_case(case.id, status=11, expire_at=None)  # 买家撤销: terminal

    with pytest.raises(RefundDecisionRefused) as refused:
        client.agree_refund(case.order_sn, case.id)

    error = refused.value
    assert error.code == 21001 and error.sub_code == "AFTER_SALES_STATUS_NOT_ALLOWED"
    assert error.after_sales_status == 11 and error.after_sales_id == str(case.id)
    assert "after_sales_status 11" in str(error)
    assert state.refund_decisions == []


def test_an_unknown_case_is_refused(client: PddClient, sim: SimGatewayServer, fake_time: FakeTime) -> None:
    case = _opened_case(sim.state, fake_time, REFUND_ONLY, 2)

    with pytest.raises(PddBusinessError) as refused:
        client.agree_refund(case.order_sn, 1)

    assert refused.value.sub_code == "AFTER_SALES_NOT_FOUND"
    assert sim.state.refund_decisions == []


def test_the_request_object_and_the_extra_track_list_are_sent_as_json_strings(
    sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    case = _opened_case(state, fake_time, REFUND_ONLY, 2)
    shipped = _order_of(state, shipped=True)
    http = RecordingHttp()  # the real HTTP underneath, keeping what went out
    with _client(sim, fake_time, http=http) as pdd:
        pdd.agree_refund(case.order_sn, case.id, note="同意")
        pdd.upload_extra_logistics(shipped, 1, [(115, "75300011122233")])
    http.close()

    agree, extra = (sent.form() for sent in http.sent)
    assert agree["type"] == AGREE
    assert json.loads(agree["request"]) == {
        "after_sales_id": case.id,
        "order_sn": case.order_sn,
        "operate_desc": "同意",
    }
    assert extra["type"] == "pdd.order.upload.extra.logistics" and extra["extra_track_type"] == "1"
    assert json.loads(extra["extra_track_list"]) == [{"shipping_id": 115, "tracking_number": "75300011122233"}]


# --- pdd.refund.returngoods.agree and return addresses -----------------------------------------------------------


def test_return_addresses_are_the_shops_deterministic_ones(client: PddClient, sim: SimGatewayServer) -> None:
    addresses = client.return_addresses()

    assert [a.id for a in addresses] == [a.id for a in sim.state.return_addresses]
    assert 1 <= len(addresses) <= 2
    assert [a.is_default for a in addresses].count(True) == 1 and addresses[0].is_default
    for address, simulated in zip(addresses, sim.state.return_addresses, strict=True):
        assert address.name and address.phone and address.address
        assert (address.province, address.city, address.district) == (
            simulated.region.province,
            simulated.region.city,
            simulated.region.town,
        )
        assert address.province_id == simulated.region.province_id
    assert client.return_addresses() == addresses


def test_agreeing_a_return_moves_the_case_to_7_and_the_refund_follows_once_the_goods_are_back(
    client: PddClient, sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    case = _opened_case(state, fake_time, RETURN_REFUND, 3)
    address = client.return_addresses()[-1]

    result = client.agree_return(case.order_sn, case.id, address.id, note="请寄回")

    assert not result.already and result.message
    agreed_at = int(state.now())
    assert state.refund_decisions == [
        RefundDecisionRecord(AGREE_RETURN, case.order_sn, case.id, 3, 7, "请寄回", agreed_at, address.id)
    ]
    detail = client.refund_information(case.order_sn, case.id)
    assert detail["after_sales_status"] == 7 and detail["expire_time"] is None  # 已同意退货退款，待用户发货
    order = client.order_information(case.order_sn)
    assert (order["after_sales_status"], order["refund_status"]) == (7, 2)

    repeat = client.agree_return(case.order_sn, case.id, address.id)
    assert repeat.already and repeat.after_sales_status == 7
    with pytest.raises(RefundDecisionRefused) as early:  # the goods are not on their way back yet
        client.agree_refund(case.order_sn, case.id)
    assert early.value.after_sales_status == 7

    _move_to(state, fake_time, state.now() + 3600)
    state.update_refund_case(case.id, return_tracking_number="YT700011122233", return_shipping_name="圆通快递")
    refund = client.agree_refund(case.order_sn, case.id)
    assert not refund.already
    _move_to(state, fake_time, state.now() + state.refund_settle_s)
    assert client.refund_information(case.order_sn, case.id)["after_sales_status"] == 10

    late_repeat = client.agree_return(case.order_sn, case.id, address.id)  # refunded after the agreed return
    assert late_repeat.already and late_repeat.after_sales_status == 10
    assert [d.api for d in state.refund_decisions] == [AGREE_RETURN, AGREE]


def test_agreeing_a_return_is_refused_for_a_refund_only_case_and_for_an_unknown_address(
    client: PddClient, sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    state = sim.state
    refund_only = _opened_case(state, fake_time, REFUND_ONLY, 2)
    default = client.return_addresses()[0]
    with pytest.raises(RefundDecisionRefused) as not_a_return:
        client.agree_return(refund_only.order_sn, refund_only.id, default.id)
    assert not_a_return.value.after_sales_status == 2

    case = _opened_case(state, fake_time, RETURN_REFUND, 3)
    with pytest.raises(PddBusinessError) as unknown:
        client.agree_return(case.order_sn, case.id, 12345)
    assert unknown.value.sub_code == "RETURN_ADDRESS_NOT_FOUND"
    assert client.refund_information(case.order_sn, case.id)["after_sales_status"] == 3
    assert state.refund_decisions == []


# --- pdd.order.upload.extra.logistics ---------------------------------------------------------------------------


def test_extra_waybills_are_recorded_and_listed_in_the_order_by_type(client: PddClient, sim: SimGatewayServer) -> None:
    state = sim.state
    order_sn = _order_of(state, shipped=True)
    parcels = [(115, "75300011122233"), (85, "YT700099988877")]

    assert client.upload_extra_logistics(order_sn, ExtraTrackType.PARCEL_SPLIT, parcels) is True
    assert client.upload_extra_logistics(order_sn, ExtraTrackType.GIFT, [(121, "4310000222333")]) is True

    assert state.extra_logistics == [
        ExtraLogisticsRecord(order_sn, 1, tuple(parcels), int(state.now())),
        ExtraLogisticsRecord(order_sn, 3, ((121, "4310000222333"),), int(state.now())),
    ]
    order = client.order_information(order_sn)
    assert order["extra_delivery_list"] == [
        {"logistics_id": 115, "tracking_number": "75300011122233"},
        {"logistics_id": 85, "tracking_number": "YT700099988877"},
    ]
    assert order["gift_delivery_list"] == [{"logistics_id": 121, "tracking_number": "4310000222333"}]
    assert order["resend_delivery_list"] == []

    assert client.upload_extra_logistics(order_sn, 1, parcels[:1]) is True  # a retry: accepted, listed once
    assert client.order_information(order_sn)["extra_delivery_list"] == order["extra_delivery_list"]


def test_extra_waybills_for_an_order_not_shipped_are_refused(client: PddClient, sim: SimGatewayServer) -> None:
    state = sim.state
    order_sn = _order_of(state, shipped=False)

    with pytest.raises(PddBusinessError) as refused:
        client.upload_extra_logistics(order_sn, ExtraTrackType.RESEND, [(115, "75300011122233")])

    assert refused.value.code == 21001 and refused.value.sub_code == "ORDER_NOT_SHIPPED"
    assert state.extra_logistics == []
    assert client.order_information(order_sn)["resend_delivery_list"] == []


def test_extra_waybills_need_an_available_carrier_and_differ_from_the_main_waybill(
    client: PddClient, sim: SimGatewayServer
) -> None:
    state = sim.state
    order_sn = _order_of(state, shipped=True)
    order: dict[str, Any] | None = state.order(order_sn)
    assert order is not None

    with pytest.raises(PddBusinessError) as unavailable:
        client.upload_extra_logistics(order_sn, 1, [(204, "BS000111222")])  # 百世快递 BSKD, available=0
    assert unavailable.value.sub_code == "LOGISTICS_UNAVAILABLE"
    with pytest.raises(PddBusinessError) as main:
        client.upload_extra_logistics(order_sn, 1, [(order["logistics_id"], order["tracking_number"])])
    assert main.value.sub_code == "SAME_AS_MAIN_TRACKING"
    with pytest.raises(ValueError):
        client.upload_extra_logistics(order_sn, 4, [(115, "75300011122233")])
    assert state.extra_logistics == []
