"""Parcel traces: stages from the platform's actions or words, polling back-off, stalls; PDD's answer parsed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kuaifa.domain.carriers.traces import (
    RawTrace,
    Stage,
    StallRule,
    current_stage,
    next_poll,
    normalise,
    stage_of,
    stalled,
)
from kuaifa.domain.platform import PlatformError
from kuaifa.platforms.pdd.ordertrace import parse_traces

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("action", "text", "stage"),
    [
        ("GOT", "", Stage.PICKED_UP),
        ("", "【杭州市】快件已被 西湖网点 揽收", Stage.PICKED_UP),
        ("ARRIVAL", "快件到达【杭州转运中心】", Stage.IN_TRANSIT),
        ("", "快件离开【杭州转运中心】发往【北京】", Stage.IN_TRANSIT),
        ("SENT_SCAN", "", Stage.OUT_FOR_DELIVERY),
        ("", "快递员正在派送，电话 138****0000", Stage.OUT_FOR_DELIVERY),
        ("SIGN", "", Stage.SIGNED),
        ("", "已签收，签收人：本人", Stage.SIGNED),
        ("", "快件异常：地址不详", Stage.EXCEPTION),
        ("", "收件人拒收，快件退回", Stage.RETURNED),
        ("", "快件在途中", Stage.IN_TRANSIT),
    ],
)
def test_each_event_gets_one_of_six_stages(action: str, text: str, stage: Stage) -> None:
    assert stage_of(action, text) is stage


def test_repeated_events_are_kept_once_in_time_order() -> None:
    a = RawTrace(NOW, "GOT", "揽收")
    b = RawTrace(NOW + timedelta(hours=5), "ARRIVAL", "到达")
    assert [e.text for e in normalise([b, a, a, b])] == ["揽收", "到达"]


def test_a_final_stage_is_not_reopened_by_a_late_echo() -> None:
    events = normalise([RawTrace(NOW, "SIGN", "签收"), RawTrace(NOW + timedelta(minutes=1), "ARRIVAL", "到达")])
    assert current_stage(events) is Stage.SIGNED
    assert current_stage([]) is Stage.NONE


def test_polling_backs_off_by_stage_and_stops_when_final() -> None:
    assert next_poll(Stage.NONE, now=NOW) == NOW + timedelta(hours=2)
    assert next_poll(Stage.IN_TRANSIT, now=NOW) == NOW + timedelta(hours=6)
    assert next_poll(Stage.OUT_FOR_DELIVERY, now=NOW) == NOW + timedelta(hours=1)
    assert next_poll(Stage.SIGNED, now=NOW) is None
    assert next_poll(Stage.RETURNED, now=NOW) is None


def test_a_parcel_stalls_after_its_carrier_and_province_limit() -> None:
    rule = StallRule(hours=48, overrides={("YTO", "西藏自治区"): 96})
    common = {"stage": Stage.IN_TRANSIT, "shipped_at": NOW - timedelta(days=5), "carrier": "YTO", "now": NOW}
    assert stalled(last_event_at=NOW - timedelta(hours=50), province="浙江省", rule=rule, **common) == timedelta(
        hours=50
    )
    assert stalled(last_event_at=NOW - timedelta(hours=50), province="西藏自治区", rule=rule, **common) is None
    assert stalled(last_event_at=None, province="浙江省", rule=rule, **common) == timedelta(days=5)
    assert stalled(last_event_at=NOW - timedelta(hours=47), province="浙江省", rule=rule, **common) is None


def test_a_signed_parcel_never_stalls() -> None:
    assert (
        stalled(
            stage=Stage.SIGNED,
            last_event_at=NOW - timedelta(days=30),
            shipped_at=NOW - timedelta(days=31),
            carrier="YTO",
            province="浙江省",
            now=NOW,
        )
        is None
    )


def test_pdd_ordertrace_answer_is_parsed_with_beijing_times() -> None:
    answer = {
        "trace_list": [
            {"action": "GOT", "desc": "【杭州市】已揽收", "status_time": "2026-11-20 09:15:00"},
            {"action": "SIGN", "desc": "已签收", "time": 1763690400},
        ]
    }
    traces = parse_traces(answer)
    assert traces == [
        RawTrace(datetime(2026, 11, 20, 1, 15, tzinfo=UTC), "GOT", "【杭州市】已揽收"),
        RawTrace(datetime.fromtimestamp(1763690400, UTC), "SIGN", "已签收"),
    ]


def test_an_event_without_time_is_a_bad_payload_not_a_shorter_trace() -> None:
    with pytest.raises(PlatformError) as refused:
        parse_traces({"trace_list": [{"action": "GOT", "desc": "揽收"}]})
    assert refused.value.code == "platform.bad_payload"
