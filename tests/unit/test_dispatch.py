"""Dispatch order: Moore–Hodgson against brute force, EDD and FIFO."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuaifa.domain.sla.dispatch import (
    InvalidCapacity,
    Job,
    by_arrival,
    by_deadline,
    late_count,
    simulate,
    suggest,
)

START = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)


def job(key: str, due_minutes: int, arrived_minutes: int = 0, parcels: int = 1) -> Job:
    return Job(key, START + timedelta(minutes=due_minutes), START + timedelta(minutes=arrived_minutes), parcels)


def optimum(jobs: list[Job], capacity: float) -> int:
    """The fewest late jobs over every sequence (brute force, small instances only)."""
    return min(late_count(p, start=START, capacity_per_hour=capacity) for p in itertools.permutations(jobs))


def test_one_late_order_does_not_drag_the_others_late() -> None:
    # given 60 parcels/hour (one a minute): a big order due at minute 3 that cannot make it, and two small ones
    big = job("BIG", 3, parcels=5)
    a, b = job("A", 4), job("B", 5)
    # when
    plan = suggest([big, a, b], start=START, capacity_per_hour=60)
    # then the two small orders are saved and the lost one goes last
    assert [j.key for j in plan.sequence] == ["A", "B", "BIG"]
    assert plan.saved == {"A", "B"} and plan.lost == {"BIG"}
    assert late_count(plan.sequence, start=START, capacity_per_hour=60) == 1
    assert late_count(by_deadline([big, a, b]), start=START, capacity_per_hour=60) == 3


def test_fifo_packs_by_payment_time_and_misses_the_urgent_late_payer() -> None:
    early_paid_relaxed = job("RELAXED", 600, arrived_minutes=0)
    late_paid_urgent = job("URGENT", 1, arrived_minutes=5)
    assert [j.key for j in by_arrival([late_paid_urgent, early_paid_relaxed])] == ["RELAXED", "URGENT"]
    assert late_count(by_arrival([late_paid_urgent, early_paid_relaxed]), start=START, capacity_per_hour=60) == 1
    assert suggest([late_paid_urgent, early_paid_relaxed], start=START, capacity_per_hour=60).lost == frozenset()


def test_when_everything_fits_the_plan_is_plain_deadline_order() -> None:
    jobs = [job("C", 30), job("A", 10), job("B", 20)]
    plan = suggest(jobs, start=START, capacity_per_hour=60)
    assert [j.key for j in plan.sequence] == ["A", "B", "C"]
    assert plan.lost == frozenset()


def test_finish_times_follow_the_capacity() -> None:
    slots = simulate([job("A", 1), job("B", 1, parcels=2)], start=START, capacity_per_hour=30)
    assert [s.finish for s in slots] == [START + timedelta(minutes=2), START + timedelta(minutes=6)]
    assert [s.on_time for s in slots] == [False, False]


@pytest.mark.parametrize("capacity", [0, -5, True])
def test_capacity_must_be_positive(capacity: float) -> None:
    with pytest.raises(InvalidCapacity):
        suggest([job("A", 1)], start=START, capacity_per_hour=capacity)


def test_moore_hodgson_matches_brute_force_on_random_small_instances() -> None:
    rng = random.Random(20261111)
    for _ in range(300):
        n = rng.randint(1, 7)
        jobs = [job(f"O{i}", rng.randint(0, 12), rng.randint(0, 10), rng.randint(1, 3)) for i in range(n)]
        plan = suggest(jobs, start=START, capacity_per_hour=60)
        assert late_count(plan.sequence, start=START, capacity_per_hour=60) == optimum(jobs, 60), jobs


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 3)), min_size=1, max_size=6))
def test_the_plan_is_never_worse_than_edd_or_fifo_and_equals_the_optimum(spec: list[tuple[int, int]]) -> None:
    jobs = [job(f"O{i}", due, arrived_minutes=i, parcels=p) for i, (due, p) in enumerate(spec)]
    plan = suggest(jobs, start=START, capacity_per_hour=30)
    mine = late_count(plan.sequence, start=START, capacity_per_hour=30)
    assert mine == optimum(jobs, 30)
    assert mine <= late_count(by_deadline(jobs), start=START, capacity_per_hour=30)
    assert mine <= late_count(by_arrival(jobs), start=START, capacity_per_hour=30)
    assert sorted(j.key for j in plan.sequence) == sorted(j.key for j in jobs)
    assert len(plan.saved) == len(jobs) - mine
