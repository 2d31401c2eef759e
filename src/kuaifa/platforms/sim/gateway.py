"""The simulated router: the checks PDD's gateway makes before an API runs, in order (pdd-reference §1.2–§1.4).

1. transport faults queued by a test (HTTP error status, delay; a delay after the API ran comes last);
2. public parameters: ``type``, ``client_id``, ``timestamp``, ``sign`` present (else 10001), the app known
   (10016), the MD5 sign right (20004), the timestamp within 10 minutes of the simulator's now (10001), JSON;
3. the API known (10017); an error fault queued by a test (50001, 70031, 10019…);
4. the merchant token, for APIs that need one: known and of this app (20032), not expired (10019);
5. the per-API, per-token rate window (70031);
6. the API itself; its answer wrapped as ``{"<name>_response": …}`` or at top level.

Every answer to a well-formed request is HTTP 200 with JSON, errors as ``error_response``; only injected transport
faults answer otherwise. The sign is recomputed here independently of the client's signing code.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kuaifa.platforms.sim import auth_api, logistics_api, order_api, ordertrace_api, refund_api, waybill_api
from kuaifa.platforms.sim.api_spec import Caller, SimApi
from kuaifa.platforms.sim.params import PUBLIC_PARAM_ERROR, Params, SimApiError
from kuaifa.platforms.sim.state import CallRecord, SimState

APIS: dict[str, SimApi] = {
    api.name: api
    for module in (order_api, logistics_api, refund_api, auth_api, waybill_api, ordertrace_api)
    for api in module.APIS
}
TIMESTAMP_TOLERANCE_S = 600  # §1.2: within 10 minutes of PDD server time

UNKNOWN_CLIENT = 10016
UNKNOWN_TYPE = 10017
TOKEN_EXPIRED = 10019
SIGN_FAILED = 20004
BAD_TOKEN = 20032
RATE_LIMITED = 70031


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"


def handle(state: SimState, raw: Mapping[str, object]) -> Reply:
    """Answer one router request whose body has been decoded into ``raw`` (form fields or a JSON object)."""
    params = {key: _as_text(value) for key, value in raw.items()}
    api_name = params.get("type", "")
    transport_fault = state.take_fault(api_name, kinds=("http", "delay"))
    if transport_fault is not None and transport_fault.kind == "http":
        state.record_call(CallRecord(api_name, None, transport_fault.http_status))
        return Reply(transport_fault.http_status, b"<html><body>Bad Gateway</body></html>", "text/html")
    if transport_fault is not None:
        time.sleep(transport_fault.seconds)
    try:
        api, caller = _admit(state, params, api_name)
        fault = state.take_fault(api_name, kinds=("error",))
        if fault is not None:
            raise SimApiError(fault.code, _FAULT_MESSAGES.get(fault.code, "系统错误"), sub_msg="injected fault")
        if not state.take_rate_slot(api.name, caller.token.access_token if caller.token else caller.client_id):
            raise SimApiError(RATE_LIMITED, "调用过于频繁", sub_msg="rate window full")
        answer = api.handler(state, Params(params), caller)
    except SimApiError as error:
        state.record_call(CallRecord(api_name, error.code))
        return _json(
            {
                "error_response": {
                    "error_code": error.code,
                    "error_msg": error.msg,
                    "sub_code": error.sub_code,
                    "sub_msg": error.sub_msg,
                    "request_id": state.next_request_id(),
                }
            }
        )
    state.record_call(CallRecord(api_name))
    late = state.take_fault(api_name, kinds=("delay_after",))
    if late is not None:
        time.sleep(late.seconds)
    reply = _json(answer if api.response_name is None else {api.response_name: answer})
    if state.take_fault(api_name, kinds=("truncate",)) is not None:  # the API ran; its answer is cut short
        return Reply(200, reply.body[: len(reply.body) // 2], reply.content_type)
    return reply


def _admit(state: SimState, params: dict[str, str], api_name: str) -> tuple[SimApi, Caller]:
    """Steps 2–4: public parameters, app, sign, timestamp, API name, token."""
    for name in ("type", "client_id", "timestamp", "sign"):
        if not params.get(name):
            raise SimApiError(PUBLIC_PARAM_ERROR, f"公共参数错误:{name}")
    client_id = params["client_id"]
    secret = state.apps.get(client_id)
    if secret is None:
        raise SimApiError(UNKNOWN_CLIENT, "client_id 不存在或已下线")
    if params["sign"] != expected_sign(params, secret):
        raise SimApiError(SIGN_FAILED, "sign 校验失败")
    try:
        timestamp = int(params["timestamp"])
    except ValueError:
        raise SimApiError(PUBLIC_PARAM_ERROR, "公共参数错误:timestamp", sub_msg="timestamp应为秒级时间戳") from None
    if state.check_timestamp and abs(timestamp - state.now()) > TIMESTAMP_TOLERANCE_S:
        raise SimApiError(PUBLIC_PARAM_ERROR, "公共参数错误:timestamp", sub_msg="timestamp与服务器时间相差超过10分钟")
    if params.get("data_type", "JSON") != "JSON":
        raise SimApiError(PUBLIC_PARAM_ERROR, "公共参数错误:data_type", sub_msg="模拟器只支持JSON")
    api = APIS.get(api_name)
    if api is None:
        raise SimApiError(UNKNOWN_TYPE, "type 不正确", sub_msg=api_name)
    if not api.needs_token:
        return api, Caller(client_id, None)
    token = state.token(params.get("access_token", ""))
    if token is None or token.client_id != client_id:
        raise SimApiError(BAD_TOKEN, "access_token 或 client_id 错误")
    if token.expires_at <= state.now():
        raise SimApiError(TOKEN_EXPIRED, "access_token 已过期")
    return api, Caller(client_id, token)


def expected_sign(params: Mapping[str, str], secret: str) -> str:
    """MD5 of ``secret + key1value1… (sorted, sign and empty values left out) + secret``, upper hex."""
    joined = "".join(f"{key}{value}" for key, value in sorted(params.items()) if key != "sign" and value != "")
    return hashlib.md5(f"{secret}{joined}{secret}".encode()).hexdigest().upper()


def _as_text(value: object) -> str:
    """A JSON body's value as the string the gateway signs (form bodies are strings already)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _json(payload: Any) -> Reply:
    """JSON as the gateway writes it: compact, no space after the separators (pdd-reference §1.4's samples)."""
    return Reply(200, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())


_FAULT_MESSAGES = {
    50000: "系统内部错误",
    50001: "业务服务错误",
    50002: "业务服务错误",
    52001: "网关错误",
    52101: "当前接口被限流",
    70031: "调用过于频繁",
    10019: "access_token 已过期",
}
