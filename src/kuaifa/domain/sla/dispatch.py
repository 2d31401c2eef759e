"""Dispatch order: which order to pack next when the packing line cannot ship everything on time.

Business rule: the merchant enters the packing capacity (parcels per hour). Packing one order takes
``3600 / capacity`` seconds of the line. When every order fits before its ship-by, earliest deadline first (EDD)
ships them all. When capacity is short, EDD lets one late order drag the next ones late too, and FIFO (by payment
time) ignores deadlines entirely. Moore–Hodgson's rule minimises the *number* of late shipments on one line —
it is optimal for that objective, whatever the processing times: walk the orders in deadline order; whenever the
one just added would finish late, drop the longest order scheduled so far (a dropped order is lost anyway, so it
goes to the back of the queue and frees the most line time for the others). Ties on length drop the one with the
latest deadline, then the highest key, so the result is deterministic.

The suggested sequence is the saveable orders in deadline order, then the orders that cannot be saved (also in
deadline order: they still ship, as early as possible after the saveable ones). Platform holds are not here: they
cannot ship at all and are listed apart by the caller.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kuaifa.domain.shared.errors import DomainError


class InvalidCapacity(DomainError):
    code = "sla.invalid_capacity"
    template = "Packing capacity must be a positive number of parcels per hour, not %(value)r."


@dataclass(frozen=True, slots=True)
class Job:
    """An order waiting for the packing line: its deadline, when it arrived (FIFO) and its size in parcels."""

    key: str
    deadline: datetime
    arrived: datetime
    parcels: int = 1


@dataclass(frozen=True, slots=True)
class Slot:
    """One job's place in a sequence: when it would finish packing and whether that is by its deadline."""

    job: Job
    position: int
    finish: datetime
    on_time: bool


def per_parcel(capacity_per_hour: float) -> timedelta:
    """The line time one parcel takes at ``capacity_per_hour``."""
    if isinstance(capacity_per_hour, bool) or not capacity_per_hour or capacity_per_hour <= 0:
        raise InvalidCapacity(value=capacity_per_hour)
    return timedelta(seconds=3600 / capacity_per_hour)


def simulate(sequence: Iterable[Job], *, start: datetime, capacity_per_hour: float) -> list[Slot]:
    """Pack ``sequence`` back to back from ``start``: each job's finish time and whether it makes its deadline."""
    step = per_parcel(capacity_per_hour)
    clock = start
    slots: list[Slot] = []
    for position, job in enumerate(sequence, start=1):
        clock = clock + step * job.parcels
        slots.append(Slot(job, position, clock, clock <= job.deadline))
    return slots


def late_count(sequence: Iterable[Job], *, start: datetime, capacity_per_hour: float) -> int:
    return sum(1 for slot in simulate(sequence, start=start, capacity_per_hour=capacity_per_hour) if not slot.on_time)


def by_deadline(jobs: Iterable[Job]) -> list[Job]:
    """Earliest deadline first (EDD); ties by key."""
    return sorted(jobs, key=lambda job: (job.deadline, job.key))


def by_arrival(jobs: Iterable[Job]) -> list[Job]:
    """First in, first out: by arrival (payment) time; ties by key."""
    return sorted(jobs, key=lambda job: (job.arrived, job.key))


@dataclass(frozen=True, slots=True)
class DispatchPlan:
    """The suggested sequence, and which orders it saves and which it cannot."""

    sequence: tuple[Job, ...]
    saved: frozenset[str]
    lost: frozenset[str]


def suggest(jobs: Sequence[Job], *, start: datetime, capacity_per_hour: float) -> DispatchPlan:
    """Moore–Hodgson: the fewest late shipments on one packing line; see the module docstring."""
    step = per_parcel(capacity_per_hour)
    kept: list[Job] = []
    heap: list[tuple[int, int, tuple[int, ...], int]] = []  # longest, then latest deadline, then highest key
    dropped: set[str] = set()
    load = timedelta(0)
    for job in by_deadline(jobs):
        kept.append(job)
        heapq.heappush(heap, (-job.parcels, _neg(job.deadline), _neg_key(job.key), len(kept) - 1))
        load += step * job.parcels
        if start + load > job.deadline:
            _, _, _, index = heapq.heappop(heap)
            longest = kept[index]
            dropped.add(longest.key)
            load -= step * longest.parcels
    saved = [job for job in kept if job.key not in dropped]
    lost = [job for job in by_deadline(jobs) if job.key in dropped]
    return DispatchPlan(tuple(saved + lost), frozenset(j.key for j in saved), frozenset(j.key for j in lost))


def _neg(moment: datetime) -> int:
    """Later deadlines pop first among equally long jobs (a min-heap over the negated timestamp)."""
    return -round(moment.timestamp() * 1_000_000)


def _neg_key(key: str) -> tuple[int, ...]:
    return (*(-ord(ch) for ch in key), 1)
