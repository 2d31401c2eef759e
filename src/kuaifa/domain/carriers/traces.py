"""Parcel traces after shipment: events normalised to stages, how often to poll, and when a parcel has stalled.

Business rules:

- A carrier event is one of six stages — 揽收 (picked up), 运输 (in transit), 派送 (out for delivery), 签收 (signed),
  异常 (exception), 退回 (returned) — read from the platform's ``action`` code or, failing that, the event's words.
  Signed and returned are final: polling stops. Signed marks the order DELIVERED.
- Polling backs off by stage: not picked up yet every 2 h, in transit every 6 h, out for delivery or in exception
  every hour; never after a final stage.
- A parcel has stalled when nothing new happened for ``hours`` (default 48; a carrier × province may have its own
  limit, e.g. remote provinces): counted from its latest event, or from shipment when it has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class Stage(StrEnum):
    NONE = "none"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    SIGNED = "signed"
    EXCEPTION = "exception"
    RETURNED = "returned"


FINAL = frozenset({Stage.SIGNED, Stage.RETURNED})

#: the platform's action codes (and their Chinese names) → stage
ACTIONS: Mapping[str, Stage] = {
    "GOT": Stage.PICKED_UP, "ACCEPT": Stage.PICKED_UP, "揽收": Stage.PICKED_UP, "揽件": Stage.PICKED_UP,
    "ARRIVAL": Stage.IN_TRANSIT, "DEPARTURE": Stage.IN_TRANSIT, "TRANSPORT": Stage.IN_TRANSIT,
    "运输": Stage.IN_TRANSIT, "到件": Stage.IN_TRANSIT, "发件": Stage.IN_TRANSIT,
    "SENT_SCAN": Stage.OUT_FOR_DELIVERY, "DELIVERING": Stage.OUT_FOR_DELIVERY, "派送": Stage.OUT_FOR_DELIVERY,
    "派件": Stage.OUT_FOR_DELIVERY,
    "SIGN": Stage.SIGNED, "SIGNED": Stage.SIGNED, "签收": Stage.SIGNED,
    "FAILED": Stage.EXCEPTION, "PROBLEM": Stage.EXCEPTION, "疑难": Stage.EXCEPTION, "异常": Stage.EXCEPTION,
    "RETURN": Stage.RETURNED, "退回": Stage.RETURNED, "退签": Stage.RETURNED,
}  # fmt: skip
#: words of an event's description, checked in this order when the action code says nothing
WORDS: Sequence[tuple[str, Stage]] = (
    ("退回", Stage.RETURNED), ("退签", Stage.RETURNED), ("拒收", Stage.RETURNED),
    ("签收", Stage.SIGNED), ("已取件", Stage.SIGNED), ("代收", Stage.SIGNED),
    ("异常", Stage.EXCEPTION), ("问题件", Stage.EXCEPTION), ("疑难", Stage.EXCEPTION), ("滞留", Stage.EXCEPTION),
    ("派送", Stage.OUT_FOR_DELIVERY), ("派件", Stage.OUT_FOR_DELIVERY),
    ("揽收", Stage.PICKED_UP), ("揽件", Stage.PICKED_UP), ("收件", Stage.PICKED_UP),
    ("到达", Stage.IN_TRANSIT), ("发往", Stage.IN_TRANSIT), ("运输", Stage.IN_TRANSIT), ("离开", Stage.IN_TRANSIT),
)  # fmt: skip

POLL_EVERY: Mapping[Stage, timedelta] = {
    Stage.NONE: timedelta(hours=2),
    Stage.PICKED_UP: timedelta(hours=6),
    Stage.IN_TRANSIT: timedelta(hours=6),
    Stage.OUT_FOR_DELIVERY: timedelta(hours=1),
    Stage.EXCEPTION: timedelta(hours=1),
}


@dataclass(frozen=True, slots=True)
class RawTrace:
    """One event as the carrier port returns it."""

    at: datetime
    action: str
    text: str


@dataclass(frozen=True, slots=True)
class TraceEvent:
    at: datetime
    stage: Stage
    text: str


class TracePort(Protocol):
    """Where traces come from (PDD's ``pdd.logistics.ordertrace.get``, a carrier, a simulator)."""

    def traces(self, carrier_code: str, tracking_number: str) -> list[RawTrace]: ...


def stage_of(action: str, text: str) -> Stage:
    """The stage of one event: its action code when known, else the first telling word of its text."""
    known = ACTIONS.get(action.strip().upper()) or ACTIONS.get(action.strip())
    if known is not None:
        return known
    for word, stage in WORDS:
        if word in text:
            return stage
    return Stage.IN_TRANSIT


def normalise(raw: Iterable[RawTrace]) -> list[TraceEvent]:
    """Events in time order, each once (carriers repeat events between polls)."""
    seen: dict[tuple[datetime, str], TraceEvent] = {}
    for r in raw:
        seen.setdefault((r.at, r.text), TraceEvent(r.at, stage_of(r.action, r.text), r.text))
    return sorted(seen.values(), key=lambda e: e.at)


def current_stage(events: Sequence[TraceEvent]) -> Stage:
    """The stage of the latest event; a final stage anywhere wins (a late transit echo does not reopen it)."""
    for event in reversed(events):
        if event.stage in FINAL:
            return event.stage
    return events[-1].stage if events else Stage.NONE


def next_poll(stage: Stage, *, now: datetime) -> datetime | None:
    """When to ask again; None after a final stage."""
    return None if stage in FINAL else now + POLL_EVERY[stage]


@dataclass(frozen=True, slots=True)
class StallRule:
    hours: float = 48
    overrides: Mapping[tuple[str, str], float] | None = None  # (carrier code, province) → hours

    def limit(self, carrier: str, province: str) -> timedelta:
        hours = (self.overrides or {}).get((carrier, province), self.hours)
        return timedelta(hours=hours)


def stalled(
    *,
    stage: Stage,
    last_event_at: datetime | None,
    shipped_at: datetime,
    carrier: str,
    province: str,
    now: datetime,
    rule: StallRule = StallRule(),
) -> timedelta | None:
    """How long the parcel has been silent, if that is past its limit (None: not stalled or already final)."""
    if stage in FINAL:
        return None
    silent = now - (last_event_at or shipped_at)
    return silent if silent >= rule.limit(carrier, province) else None
