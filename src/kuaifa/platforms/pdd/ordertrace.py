"""PDD's ``pdd.logistics.ordertrace.get`` behind the ``TracePort``: ``company_code`` + ``mail_no`` →
``trace_list[{action, desc, status_time, time}]`` (pdd-reference §3.1). Times are Beijing time strings or epoch
seconds; an event without a time makes the whole answer a bad payload (refused loudly, polled again later), never
a silently shorter trace."""

from __future__ import annotations

from datetime import UTC, datetime

from kuaifa.domain.carriers.traces import RawTrace
from kuaifa.domain.platform import PlatformError
from kuaifa.platforms.pdd.beijing_time import parse_beijing
from kuaifa.platforms.pdd.client import PddClient
from kuaifa.platforms.pdd.gateway import _translated

METHOD = "pdd.logistics.ordertrace.get"


def _time(value: object) -> datetime | None:
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        seconds = float(value)
        return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
    return parse_beijing(value) if isinstance(value, str) and value else None


def parse_traces(answer: dict) -> list[RawTrace]:
    """The events of one answer; a malformed list is a bad payload, not an empty trace."""
    items = answer.get("trace_list", answer.get("logistics_trace_list", []))
    if not isinstance(items, list):
        raise PlatformError(f"{METHOD}: trace_list is not a list", code="platform.bad_payload")
    out = []
    for item in items:
        at = _time(item.get("status_time") or item.get("time"))
        text = str(item.get("desc") or item.get("node_description") or item.get("status_desc") or "")
        if at is None:
            raise PlatformError(f"{METHOD}: an event has no time: {item!r}", code="platform.bad_payload")
        out.append(RawTrace(at, str(item.get("action") or ""), text))
    return out


class PddTraces:
    """The trace port over a shop's signed PDD client."""

    def __init__(self, client: PddClient) -> None:
        self.client = client

    def traces(self, carrier_code: str, tracking_number: str) -> list[RawTrace]:
        with _translated():
            answer = self.client.call(METHOD, company_code=carrier_code, mail_no=tracking_number)
        return parse_traces(answer)
