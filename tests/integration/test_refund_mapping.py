"""After-sales records fetched with the real PDD client from the simulator on 127.0.0.1 and mapped to canonical
cases: the list and detail dialects (type codings, yuan strings vs fen, time forms) give the same case; plus the
mapping's refusals on hand-written records (pdd-reference §4.3)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kuaifa.domain.aftersales.canonical import WAITING_ON_MERCHANT, CanonicalCase, CaseType
from kuaifa.domain.aftersales.cases import CaseState, needs_attention, state_of
from kuaifa.domain.aftersales.refunds import OrderRefunds
from kuaifa.platforms.pdd.client import PddClient
from kuaifa.platforms.pdd.refund_mapping import RefundMappingError, case_from_detail, case_from_list, merge
from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimGatewayServer
from kuaifa.platforms.sim.shop import REPAIR, RETURN_REFUND, RefundCase

HALF_HOUR = 30 * 60


@dataclass
class FakeTime:
    """The client's clock, moved by the test together with the simulator's."""

    now: float

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_time(sim: SimGatewayServer) -> FakeTime:
    return FakeTime(sim.state.now())


@pytest.fixture
def client(sim: SimGatewayServer, fake_time: FakeTime) -> Iterator[PddClient]:
    sim.state.set_rate_limit("pdd.refund.list.increment.get", 10_000, 1.0)  # the sweep jumps the clock around
    with PddClient(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        sim.state.default_token.access_token,
        base_url=sim.base_url,
        clock=fake_time.time,
        sleep=fake_time.sleep,
        rng=random.Random(7),
        timeout=2.0,
        max_retries=0,
        rate_limits={},
    ) as pdd:
        yield pdd


def _at(sim: SimGatewayServer, fake_time: FakeTime, moment: float) -> None:
    sim.state.set_now(moment)
    fake_time.now = moment


def _utc(ts: int | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _now(fake_time: FakeTime) -> datetime:
    return datetime.fromtimestamp(fake_time.now, UTC)


def _fetch(client: PddClient, version: RefundCase) -> tuple[dict[str, Any], dict[str, Any]]:
    """The list record (from the half hour up to just after the version's update) and the detail of its case;
    the simulator's clock must stand at or after ``version.updated_at + 1``."""
    end = version.updated_at + 1
    page = client.refund_increment(end - HALF_HOUR, end, page=1)
    listed = [record for record in page.refunds if str(record["id"]) == str(version.id)]
    assert len(listed) == 1, f"case {version.id} not in its update window"
    return listed[0], client.refund_information(version.order_sn, version.id)


def _assert_matches(case: CanonicalCase, version: RefundCase) -> None:
    assert case.after_sales_id == str(version.id) and case.order_sn == version.order_sn
    assert case.case_type is CaseType(version.kind)
    assert case.platform_status == version.status
    assert case.refund_amount_fen == version.refund_fen  # exact fen, from yuan strings and from integers alike
    assert case.order_amount_fen == version.order_fen
    assert (case.created_at, case.updated_at) == (_utc(version.created_at), _utc(version.updated_at))
    assert case.confirmed_at == _utc(version.confirm_at)
    assert case.goods.quantity == version.goods_number
    assert (case.goods.goods_id, case.goods.sku_id, case.goods.outer_id) == (
        str(version.goods_id),
        str(version.sku_id),
        version.outer_id,
    )
    assert (case.tracking_number, case.shipping_name) == (version.return_tracking_number, version.return_shipping_name)
    assert case.speed_refund is version.speed_refund and case.reason == version.reason


# --- against the simulator ------------------------------------------------------------------------------------


def test_every_version_of_every_case_maps_the_same_from_list_and_detail(
    client: PddClient, sim: SimGatewayServer, fake_time: FakeTime
) -> None:
    kinds: set[str] = set()
    waiting_seen = not_waiting_seen = 0
    for versions in sim.state.shop.refunds.values():
        for version in versions:
            _at(sim, fake_time, version.updated_at + 1)
            listed, detail = _fetch(client, version)
            from_list, from_detail = case_from_list(listed), case_from_detail(detail)

            # the type-code mismatch: the list counts one higher, both decode to the same type
            assert listed["after_sales_type"] == detail["after_sales_type"] + 1
            assert from_list.case_type is from_detail.case_type is CaseType(version.kind)
            assert isinstance(listed["refund_amount"], str) and isinstance(detail["refund_amount"], int)
            _assert_matches(from_list, version)
            _assert_matches(from_detail, version)

            # expire_time: the detail's, and only while the case waits on the merchant; the list never has one
            assert from_list.expire_time is None
            if version.status in WAITING_ON_MERCHANT:
                assert from_detail.expire_time == _utc(version.expire_at) is not None
                waiting_seen += 1
            else:
                assert from_detail.expire_time is None
                not_waiting_seen += 1

            merged = merge(from_list, from_detail)
            assert merged == from_detail
            waiting, left = needs_attention(merged, _now(fake_time))
            assert waiting is (version.status in WAITING_ON_MERCHANT)
            assert left == (None if version.expire_at is None else timedelta(seconds=version.expire_at - fake_time.now))
            kinds.add(version.kind)
    assert kinds >= {"refund_only", "return_refund", "exchange", "resend"}
    assert waiting_seen and not_waiting_seen


def test_a_return_refund_from_request_to_refund(client: PddClient, sim: SimGatewayServer, fake_time: FakeTime) -> None:
    opened, refunded = next(
        versions
        for versions in sim.state.shop.refunds.values()
        if versions[0].kind == RETURN_REFUND and [v.status for v in versions] == [3, 10]
    )
    _at(sim, fake_time, opened.updated_at + 600)  # ten minutes into the merchant's time to answer (resolved ≥ 1 h)
    listed, detail = _fetch(client, opened)
    case = merge(case_from_list(listed), case_from_detail(detail))

    assert (listed["after_sales_type"], detail["after_sales_type"]) == (3, 2)
    assert state_of(case) is CaseState.RETURN_REQUESTED
    assert case.expire_time is not None
    assert needs_attention(case, _now(fake_time)) == (True, case.expire_time - _now(fake_time))
    assert needs_attention(case, case.expire_time) == (True, timedelta(0))

    _at(sim, fake_time, refunded.updated_at + 1)
    listed, detail = _fetch(client, refunded)
    case = merge(case_from_list(listed), case_from_detail(detail))

    assert isinstance(detail["confirm_time"], int)  # epoch milliseconds in the detail
    assert case.confirmed_at == _utc(refunded.confirm_at) and case.tracking_number == refunded.return_tracking_number
    assert state_of(case) is CaseState.CLOSED_REFUNDED and case.refund_succeeded
    assert needs_attention(case, _now(fake_time)) == (False, None)
    booked = OrderRefunds(case.order_sn, paid_fen=case.order_amount_fen).record(
        case.after_sales_id, case.refund_amount_fen
    )
    assert booked.refunded_fen == refunded.refund_fen


def test_a_repair_case_decodes_from_both_codings(client: PddClient, sim: SimGatewayServer, fake_time: FakeTime) -> None:
    template = next(iter(sim.state.shop.refunds.values()))[0]
    now = int(sim.state.now())
    repair = replace(
        template,
        id=template.id + 777_777,
        kind=REPAIR,
        status=21,
        refund_fen=0,
        created_at=now - 120,
        updated_at=now - 120,
        expire_at=now - 120 + 72 * 3600,
        confirm_at=None,
        return_tracking_number="",
        return_shipping_name="",
    )
    sim.state.add_refund_case(repair)
    _at(sim, fake_time, now)

    listed, detail = _fetch(client, repair)
    from_list, from_detail = case_from_list(listed), case_from_detail(detail)

    assert (listed["after_sales_type"], detail["after_sales_type"]) == (6, 5)
    assert from_list.case_type is from_detail.case_type is CaseType.REPAIR
    assert state_of(merge(from_list, from_detail)) is CaseState.REPAIR_REQUESTED
    assert from_detail.expire_time == _utc(repair.expire_at)


# --- hand-written records -------------------------------------------------------------------------------------


def _listed(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": 9100000001,
        "order_sn": "260302-111111111111111",
        "after_sales_type": 3,
        "after_sales_status": 3,
        "after_sale_reason": "尺码不合适",
        "refund_amount": "278.57",
        "order_amount": "300.00",
        "goods_id": 600001,
        "sku_id": 7000013,
        "outer_id": "TS-BLK-L",
        "goods_number": 1,
        "tracking_number": "",
        "shipping_name": "",
        "created_time": "1772420400",  # the documented form: epoch seconds as a string
        "updated_time": "1772424000",
        "confirm_time": "",
        "speed_refund_flag": 0,
        "user_shipping_status": 2,
        "dispute_refund_status": 1,
    }
    record.update(changes)
    return record


def _detail(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": 9100000001,
        "order_sn": "260302-111111111111111",
        "after_sales_type": 2,
        "after_sales_status": 3,
        "after_sale_reason": "尺码不合适",
        "refund_amount": 27857,
        "order_amount": 30000,
        "goods_id": 600001,
        "sku_id": 7000013,
        "outer_id": "TS-BLK-L",
        "goods_number": 1,
        "expire_time": "2026-03-04 12:00:00",
        "express_no": "",
        "images": ["https://img.invalid/1.jpg", "https://img.invalid/2.jpg"],
        "remark": "左边袖子开线",
        "join_or_not": 0,
        "created_time": "2026-03-02 11:00:00",
        "updated_time": "2026-03-02 12:00:00",
        "confirm_time": None,
        "recreated_at": 1772420400000,
    }
    record.update(changes)
    return record


def test_list_records_in_the_documented_epoch_second_form_map() -> None:
    case = case_from_list(_listed())

    assert case.refund_amount_fen == 27857 and case.order_amount_fen == 30000
    assert case.case_type is CaseType.RETURN_REFUND
    assert case.created_at == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 11:00 Beijing
    assert case.updated_at == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    assert case.dispute is True and case.confirmed_at is None and case.expire_time is None
    assert case.goods.goods_id == "600001" and case.user_shipping_status == 2


def test_times_in_any_platform_form_give_the_same_moment() -> None:
    moment = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    for form in ("2026-03-02 12:00:00", "1772424000", 1772424000, 1772424000000, "1772424000000"):
        assert case_from_list(_listed(updated_time=form)).updated_at == moment, form
        assert case_from_detail(_detail(updated_time=form)).updated_at == moment, form


def test_detail_maps_fen_deadline_and_buyer_evidence() -> None:
    case = case_from_detail(_detail(confirm_time=1772424000000))

    assert case.refund_amount_fen == 27857 and case.case_type is CaseType.RETURN_REFUND
    assert case.expire_time == datetime(2026, 3, 4, 4, 0, tzinfo=UTC)
    assert case.confirmed_at == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    assert (case.images_count, case.buyer_remark) == (2, "左边袖子开线")


def test_merge_prefers_the_detail_and_keeps_what_only_the_list_has() -> None:
    listed = case_from_list(_listed(tracking_number="YT123", shipping_name="圆通快递", refund_amount="270.00"))
    case = merge(listed, case_from_detail(_detail()))

    assert case.refund_amount_fen == 27857  # the detail's
    assert (case.tracking_number, case.shipping_name) == ("YT123", "圆通快递")  # only the list had them
    assert case.dispute is True and case.images_count == 2


def test_merge_refuses_two_different_cases_or_types() -> None:
    with pytest.raises(RefundMappingError) as raised:
        merge(case_from_list(_listed()), case_from_detail(_detail(after_sales_type=3)))  # detail 3 is 换货
    assert raised.value.field == "case_type" and raised.value.after_sales_id == "9100000001"
    with pytest.raises(RefundMappingError) as raised:
        merge(case_from_list(_listed(id=9100000002)), case_from_detail(_detail()))
    assert raised.value.field == "after_sales_id"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"after_sales_type": 1}, "after_sales_type"),  # 1 is the filter value 全部, no record's type
        ({"after_sales_type": 7}, "after_sales_type"),
        ({"after_sales_type": None}, "after_sales_type"),
        ({"after_sales_status": "three"}, "after_sales_status"),
        ({"refund_amount": "27.857"}, "refund_amount"),
        ({"refund_amount": "abc"}, "refund_amount"),
        ({"refund_amount": None}, "refund_amount"),
        ({"refund_amount": "-1.00"}, "refund_amount"),
        ({"order_sn": ""}, "order_sn"),
        ({"goods_number": None}, "goods_number"),
        ({"created_time": "2026/03/02 11:00"}, "created_time"),
        ({"updated_time": ""}, "updated_time"),
        ({"confirm_time": True}, "confirm_time"),
        ({"after_sale_reason": ["x"]}, "after_sale_reason"),
    ],
)
def test_a_malformed_list_record_names_the_case_and_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(RefundMappingError) as raised:
        case_from_list(_listed(**changes))
    assert raised.value.field == field and raised.value.after_sales_id == "9100000001"
    assert "9100000001" in str(raised.value) and field in str(raised.value)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"after_sales_type": 6}, "after_sales_type"),  # 6 is 维修 only in the list coding
        ({"refund_amount": 278.57}, "refund_amount"),  # a yuan value where fen is expected
        ({"refund_amount": "278.57"}, "refund_amount"),
        ({"order_amount": -5}, "order_amount"),
        ({"expire_time": "tomorrow"}, "expire_time"),
        ({"images": "a.jpg"}, "images"),
    ],
)
def test_a_malformed_detail_names_the_case_and_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(RefundMappingError) as raised:
        case_from_detail(_detail(**changes))
    assert raised.value.field == field and raised.value.after_sales_id == "9100000001"


def test_a_record_without_an_id_is_refused() -> None:
    with pytest.raises(RefundMappingError) as raised:
        case_from_list(_listed(id=None))
    assert raised.value.field == "id"
    assert case_from_detail(_detail(id=None, after_sales_id="9100000001")).after_sales_id == "9100000001"
