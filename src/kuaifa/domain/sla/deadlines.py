"""Ship-by deadlines and how close an order is to missing one.

The platform's ``last_ship_time`` is the promise and always wins. Without it (export files, manual orders) the
deadline is payment + the shop's promise (48 h by default, 24 h for fast-ship products); a pre-sale order must ship
by the pre-sale day's 23:59:59 in China time. Risk levels use configurable thresholds; an order past its deadline is
OVERDUE and, on PDD, already earns a late-shipment compensation charge (延迟发货).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class ShipByPolicy:
    hours: int = 48


@dataclass(frozen=True, slots=True)
class RiskThresholds:
    due_soon: timedelta = timedelta(hours=24)
    urgent: timedelta = timedelta(hours=6)


class Risk(StrEnum):
    OK = "ok"
    DUE_SOON = "due_soon"
    URGENT = "urgent"
    OVERDUE = "overdue"


def ship_by(
    *,
    last_ship_time: datetime | None,
    paid_at: datetime | None,
    is_pre_sale: bool = False,
    pre_sale_time: datetime | None = None,
    policy: ShipByPolicy = ShipByPolicy(),
) -> datetime | None:
    """The moment the parcel must be handed over and its tracking number uploaded."""
    if last_ship_time is not None:
        return last_ship_time
    if is_pre_sale and pre_sale_time is not None:
        day = pre_sale_time.astimezone(CHINA).date()
        return datetime.combine(day, time(23, 59, 59), tzinfo=CHINA).astimezone(UTC)
    if paid_at is not None:
        return paid_at + timedelta(hours=policy.hours)
    return None


def time_left(deadline: datetime, now: datetime) -> timedelta:
    return deadline - now


def risk_level(deadline: datetime | None, now: datetime, thresholds: RiskThresholds = RiskThresholds()) -> Risk:
    if deadline is None:
        return Risk.OK
    left = deadline - now
    if left <= timedelta(0):
        return Risk.OVERDUE
    if left <= thresholds.urgent:
        return Risk.URGENT
    if left <= thresholds.due_soon:
        return Risk.DUE_SOON
    return Risk.OK
