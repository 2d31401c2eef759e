"""Simulated ``pdd.logistics.ordertrace.get`` (pdd-reference §3.1): ``company_code`` + ``mail_no`` →
``trace_list[{action, desc, status_time}]``, the events a carrier has recorded up to the simulator's now.

Every parcel shipped in the simulated shop (through ``pdd.logistics.online.send`` or by the generated shop itself)
has one deterministic journey from the shop's warehouse (杭州, a simulator choice) to the buyer's province:

- 揽收 (GOT) 2–6 hours after shipping;
- 运输 hops: leaving the origin hub, one transfer hub per distance step, arriving at the destination city;
- 派送 (SENT_SCAN) a few hours before 签收 (SIGN);
- 签收 after about 1 day in the same province, 1½ nearby, 2–3 to the centre and south, 3–4 far, 4–5 to the remote
  west; 顺丰 and 京东 take 30 % less, the postal services 25 % more; each parcel varies by ±15 % (from its number).

Faults on demand, per tracking number (:func:`stall`, :func:`lose`): a stalled parcel shows its first events and
then nothing more; a lost one also gets, three days after its last scan, an 异常 event saying it is being traced.
An unknown company code is refused like the gateway does; a number the carrier never saw answers an empty list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from kuaifa.platforms.sim.api_spec import Caller, SimApi
from kuaifa.platforms.sim.clock import beijing, epoch_of_beijing
from kuaifa.platforms.sim.logistics_api import LOGISTICS_COMPANIES
from kuaifa.platforms.sim.params import Params, refuse
from kuaifa.platforms.sim.state import SimState

HOUR = 3600
ORIGIN = ("浙江省", "杭州市")
#: distance steps from the origin, by the province's first two characters
DISTANCE: dict[str, int] = {
    **dict.fromkeys(("浙江",), 0),
    **dict.fromkeys(("上海", "江苏", "安徽", "福建", "江西"), 1),
    **dict.fromkeys(("北京", "天津", "河北", "山东", "河南", "湖北", "湖南", "广东", "山西"), 2),
    **dict.fromkeys(("广西", "重庆", "四川", "贵州", "云南", "陕西", "辽宁", "吉林", "黑龙", "海南"), 3),
    **dict.fromkeys(("内蒙", "甘肃", "宁夏", "青海", "新疆", "西藏"), 4),
}
#: pickup → signed hours for each distance step
TRANSIT_HOURS = (24, 36, 58, 84, 110)
CARRIER_PACE = {"SF": 0.7, "JD": 0.7, "SFKY": 0.8, "EMS": 1.25, "YZXB": 1.25, "POSTBBZ": 1.25}
HUBS = ("上海转运中心", "南京转运中心", "武汉转运中心", "郑州转运中心", "西安转运中心", "兰州转运中心")
LOST_AFTER_S = 72 * HOUR
CODES = {code: company_id for company_id, _, code, _ in LOGISTICS_COMPANIES}


@dataclass(frozen=True, slots=True)
class Parcel:
    order_sn: str
    logistics_id: int
    tracking_number: str
    shipped_at: int
    province: str
    city: str


def distance(province: str) -> int:
    return DISTANCE.get(province[:2], 3)


def _fraction(tracking_number: str, salt: str) -> float:
    """A stable number in [0, 1) for one parcel, so a journey is the same on every call."""
    digest = hashlib.sha256(f"{salt}:{tracking_number}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def journey(parcel: Parcel, carrier_code: str) -> list[tuple[int, str, str]]:
    """Every event of the parcel's trip, (epoch seconds, action, description), whether it happened yet or not."""
    number = parcel.tracking_number
    picked = parcel.shipped_at + int((2 + 4 * _fraction(number, "pickup")) * HOUR)
    steps = distance(parcel.province)
    pace = CARRIER_PACE.get(carrier_code, 1.0) * (0.85 + 0.3 * _fraction(number, "pace"))
    signed = picked + int(TRANSIT_HOURS[steps] * pace * HOUR)
    out = signed - int((2 + 3 * _fraction(number, "last-mile")) * HOUR)
    origin_city = ORIGIN[1]
    events = [
        (picked, "GOT", f"【{origin_city}】快件已被揽收"),
        (picked + 3 * HOUR, "DEPARTURE", f"【{origin_city}】快件离开{origin_city}分拨中心，发往下一站"),
    ]
    hub_span = max(out - 6 * HOUR - (picked + 3 * HOUR), HOUR)
    start = int(_fraction(number, "route") * len(HUBS))
    for i in range(steps):
        hub = HUBS[(start + i) % len(HUBS)]
        at = picked + 3 * HOUR + hub_span * (i + 1) // (steps + 1)
        events.append((at, "ARRIVAL", f"【{hub}】快件已到达{hub}"))
    city = parcel.city or parcel.province
    events.append((out - 4 * HOUR, "ARRIVAL", f"【{city}】快件已到达{city}营业点"))
    events.append((out, "SENT_SCAN", f"【{city}】快递员正在派送，请保持电话畅通"))
    events.append((signed, "SIGN", f"【{city}】快件已签收，签收人：本人"))
    return events


def stall(state: SimState, tracking_number: str, *, after_events: int = 2) -> None:
    """From now on this parcel shows only its first ``after_events`` events (it is stuck somewhere)."""
    with state.lock:
        state.trace_faults[tracking_number] = ("stall", after_events)


def lose(state: SimState, tracking_number: str, *, after_events: int = 2) -> None:
    """This parcel stops after ``after_events`` events and, three days later, is reported as being traced (异常)."""
    with state.lock:
        state.trace_faults[tracking_number] = ("lost", after_events)


def visible_events(state: SimState, parcel: Parcel, carrier_code: str) -> list[tuple[int, str, str]]:
    """The events recorded up to the simulator's now, faults applied."""
    events = journey(parcel, carrier_code)
    fault = state.trace_faults.get(parcel.tracking_number)
    if fault is not None:
        kind, keep = fault
        events = events[:keep]
        if kind == "lost":
            last = events[-1][0] if events else parcel.shipped_at
            events.append((last + LOST_AFTER_S, "FAILED", "快件疑似丢失，快递公司正在核实，请耐心等待"))
    now = state.now()
    return [e for e in events if e[0] <= now]


def find_parcel(state: SimState, tracking_number: str) -> Parcel | None:
    """The parcel with this number: a shipment made through the gateway, else an order the shop shipped itself."""
    with state.lock:
        record = next((s for s in reversed(state.shipments) if s.tracking_number == tracking_number), None)
        sns = [record.order_sn] if record is not None else state.visible_order_sns()
        for sn in sns:
            order = state.order(sn)
            if order is None or order.get("tracking_number") != tracking_number:
                continue
            shipped = record.at if record is not None else _shipped_at(order)
            if shipped is None:
                return None
            return Parcel(sn, int(order["logistics_id"]), tracking_number, shipped, order.get("province", ""),
                          order.get("city", ""))  # fmt: skip
    return None


def _shipped_at(order: dict[str, Any]) -> int | None:
    return epoch_of_beijing(order.get("shipping_time") or "")


def ordertrace_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.logistics.ordertrace.get``: the parcel's events so far, oldest first."""
    code = params.text("company_code").strip().upper()
    mail_no = params.text("mail_no").strip()
    if code not in CODES:
        raise refuse("物流公司不存在", sub_code="LOGISTICS_NOT_FOUND", sub_msg=code)
    parcel = find_parcel(state, mail_no)
    if parcel is None or parcel.logistics_id != CODES[code]:
        trace: list[dict[str, Any]] = []  # the carrier never saw this number
    else:
        trace = [{"action": action, "desc": text, "status_time": beijing(at)}
                 for at, action, text in visible_events(state, parcel, code)]  # fmt: skip
    return {"company_code": code, "mail_no": mail_no, "trace_list": trace}


APIS = (SimApi("pdd.logistics.ordertrace.get", ordertrace_get, "logistics_ordertrace_get_response"),)
