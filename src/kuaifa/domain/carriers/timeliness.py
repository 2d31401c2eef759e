"""Carrier × province timeliness measured from parcel traces, and the on-time rates carrier choice uses.

Business rules:

- A parcel's journey runs from shipment (the merchant hands it over) to its first 签收; pickup→delivery hours are
  counted from its first 揽收 event.
- It was on time when signed within the promised days after shipment (``Promise``: 3 days by default, 5 to the
  remote west — the merchant's promise, not the platform's, which publishes none per carrier).
- A parcel not signed once its promise has passed counts as late (a stalled or lost parcel must lower the rate);
  one still within its promise is not counted yet; one returned to the sender counts as late.
- A carrier × province rate is used for choice only from ``min_parcels`` counted parcels on (20 by default);
  below that the merchant's typed rate stands, and the explanation says which one was used.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

REMOTE = ("新疆", "西藏", "青海", "内蒙", "甘肃", "宁夏")


@dataclass(frozen=True, slots=True)
class Promise:
    days: float = 3
    remote_days: float = 5
    by_province: Mapping[str, float] = field(default_factory=dict)  # province → days, overriding both

    def limit(self, province: str) -> timedelta:
        if province in self.by_province:
            return timedelta(days=self.by_province[province])
        return timedelta(days=self.remote_days if province.startswith(REMOTE) else self.days)


DEFAULT_PROMISE = Promise()


@dataclass(frozen=True, slots=True)
class Journey:
    carrier: str
    province: str
    shipped_at: datetime
    picked_at: datetime | None
    signed_at: datetime | None
    returned: bool = False


@dataclass(frozen=True, slots=True)
class Timeliness:
    carrier: str
    province: str
    counted: int  # parcels signed, or past their promise
    on_time: int
    median_transit_hours: float | None  # pickup → signed, signed parcels with a pickup event

    @property
    def on_time_percent(self) -> int:
        return round(100 * self.on_time / self.counted) if self.counted else 0


def measure(journeys: Iterable[Journey], *, now: datetime, promise: Promise = DEFAULT_PROMISE) -> list[Timeliness]:
    """One row per carrier × province, sorted by carrier then province."""
    counted: dict[tuple[str, str], list[bool]] = {}
    transit: dict[tuple[str, str], list[float]] = {}
    for j in journeys:
        key = (j.carrier, j.province)
        limit = promise.limit(j.province)
        if j.signed_at is not None and not j.returned:
            counted.setdefault(key, []).append(j.signed_at - j.shipped_at <= limit)
            if j.picked_at is not None:
                transit.setdefault(key, []).append((j.signed_at - j.picked_at).total_seconds() / 3600)
        elif j.returned or now - j.shipped_at > limit:
            counted.setdefault(key, []).append(False)
    return [
        Timeliness(carrier, province, len(flags), sum(flags),
                   round(statistics.median(transit[(carrier, province)]), 1) if transit.get((carrier, province))
                   else None)
        for (carrier, province), flags in sorted(counted.items())
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class OnTimeRate:
    percent: int
    measured: bool  # False: the merchant's typed rate
    parcels: int = 0


def on_time_rates(
    measured: Iterable[Timeliness], typed: Mapping[str, int], province: str, *, min_parcels: int = 20
) -> dict[str, OnTimeRate]:
    """Each carrier's on-time rate to ``province``: measured from traces when at least ``min_parcels`` were counted,
    else the merchant's typed rate (carriers with neither are left out)."""
    rates = {code: OnTimeRate(pct, False) for code, pct in typed.items()}
    for row in measured:
        if row.province == province and row.counted >= min_parcels:
            rates[row.carrier] = OnTimeRate(row.on_time_percent, True, row.counted)
    return rates
