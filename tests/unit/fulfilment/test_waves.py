"""Waves: due orders only, filters, most urgent first, slots, a pick list in natural bin order, removal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuaifa.domain.fulfilment.waves import (
    CandidateLine,
    InvalidWaveOrder,
    InvalidWaveRule,
    OrderNotInWave,
    PickLine,
    SkipReason,
    WaveCandidate,
    WaveKind,
    WaveRule,
    bin_sort_key,
    plan_waves,
    remove_order,
)

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

TEA = CandidateLine(1, "TEA-001", 1, "A-10")
CUP = CandidateLine(2, "CUP-002", 1, "A-2")
LID = CandidateLine(3, "LID-003", 1, "B-1")


def line(base: CandidateLine, quantity: int) -> CandidateLine:
    return CandidateLine(base.sku_id, base.sku_code, quantity, base.bin_location)


def order(
    order_id: int,
    lines: Sequence[CandidateLine] = (TEA,),
    *,
    due_in: timedelta = 2 * HOUR,
    shop_id: int = 1,
    carrier: str = "ZTO",
    order_sn: str | None = None,
) -> WaveCandidate:
    return WaveCandidate(
        order_id=order_id,
        order_sn=order_sn or f"260301-{order_id:015d}",
        shop_id=shop_id,
        ship_by=NOW + due_in,
        carrier_code=carrier,
        lines=tuple(lines),
    )


RULE = WaveRule(horizon=24 * HOUR)


# --- who is waved -------------------------------------------------------------------------------------------------


def test_only_orders_due_before_the_horizon_are_waved_and_the_rest_are_reported_not_due() -> None:
    due = order(1, due_in=23 * HOUR)
    at_horizon = order(2, due_in=24 * HOUR)
    overdue = order(3, due_in=-5 * HOUR)

    plan = plan_waves([due, at_horizon, overdue], RULE, now=NOW)

    assert [w.order_ids for w in plan.waves] == [(3, 1)]
    assert plan.skipped == {2: SkipReason.NOT_DUE}


def test_most_urgent_order_gets_slot_one_and_equal_deadlines_go_by_order_number() -> None:
    late = order(1, due_in=10 * HOUR, order_sn="260301-000000000000009")
    tie_b = order(2, due_in=3 * HOUR, order_sn="260301-000000000000005")
    tie_a = order(3, due_in=3 * HOUR, order_sn="260301-000000000000004")

    wave = plan_waves([late, tie_b, tie_a], RULE, now=NOW).waves[0]

    assert [(o.slot, o.order.order_id) for o in wave.orders] == [(1, 3), (2, 2), (3, 1)]


def test_shop_filter_keeps_other_shops_out() -> None:
    rule = WaveRule(horizon=24 * HOUR, shop_ids=frozenset({7}))

    plan = plan_waves([order(1, shop_id=7), order(2, shop_id=8)], rule, now=NOW)

    assert plan.waves[0].order_ids == (1,)
    assert plan.skipped == {2: SkipReason.OTHER_SHOP}


def test_carrier_filter_can_name_orders_without_a_carrier_by_the_empty_code() -> None:
    rule = WaveRule(horizon=24 * HOUR, carrier_codes=frozenset({"YTO", ""}))

    plan = plan_waves([order(1, carrier="YTO"), order(2, carrier=""), order(3, carrier="ZTO")], rule, now=NOW)

    assert plan.waves[0].order_ids == (1, 2)
    assert plan.skipped == {3: SkipReason.OTHER_CARRIER}


def test_single_item_waves_take_only_orders_of_exactly_one_unit() -> None:
    one_unit = order(1, [TEA])
    two_of_one_sku = order(2, [line(TEA, 2)])
    two_skus = order(3, [TEA, CUP])
    rule = WaveRule(horizon=24 * HOUR, kind=WaveKind.SINGLE)

    plan = plan_waves([one_unit, two_of_one_sku, two_skus], rule, now=NOW)

    assert plan.waves[0].order_ids == (1,)
    assert plan.skipped == {2: SkipReason.OTHER_KIND, 3: SkipReason.OTHER_KIND}


def test_multi_item_waves_take_orders_of_two_units_or_more_and_mark_them_for_sorting() -> None:
    rule = WaveRule(horizon=24 * HOUR, kind=WaveKind.MULTI)

    plan = plan_waves([order(1, [TEA]), order(2, [line(TEA, 2)]), order(3, [TEA, CUP])], rule, now=NOW)

    assert plan.waves[0].order_ids == (2, 3)
    assert [o.needs_sorting for o in plan.waves[0].orders] == [True, True]
    assert plan.skipped == {1: SkipReason.OTHER_KIND}


def test_a_mixed_wave_sorts_only_its_multi_item_orders() -> None:
    wave = plan_waves([order(1, [TEA]), order(2, [TEA, CUP], due_in=3 * HOUR)], RULE, now=NOW).waves[0]

    assert [(o.slot, o.needs_sorting) for o in wave.orders] == [(1, False), (2, True)]


def test_waves_are_cut_at_the_maximum_size_most_urgent_first_and_slots_restart() -> None:
    orders = [order(i, due_in=i * HOUR) for i in range(1, 6)]
    rule = WaveRule(horizon=24 * HOUR, max_orders=2)

    plan = plan_waves(reversed(orders), rule, now=NOW)

    assert [(w.number, w.order_ids) for w in plan.waves] == [(1, (1, 2)), (2, (3, 4)), (3, (5,))]
    assert [o.slot for o in plan.waves[1].orders] == [1, 2]
    assert plan.waves[0].earliest_ship_by == NOW + HOUR


def test_nothing_due_gives_no_wave() -> None:
    plan = plan_waves([order(1, due_in=48 * HOUR)], RULE, now=NOW)

    assert plan.waves == ()
    assert plan.skipped == {1: SkipReason.NOT_DUE}


# --- the pick list ------------------------------------------------------------------------------------------------


def test_pick_list_sums_each_sku_and_names_the_slots_it_serves() -> None:
    first = order(1, [line(TEA, 2), CUP], due_in=1 * HOUR)
    second = order(2, [TEA], due_in=2 * HOUR)
    third = order(3, [line(CUP, 3), TEA, line(TEA, 1)], due_in=3 * HOUR)  # TEA twice in one order

    wave = plan_waves([third, second, first], RULE, now=NOW).waves[0]

    assert wave.pick_list == (
        PickLine(2, "CUP-002", "A-2", 4, ((1, 1), (3, 3))),
        PickLine(1, "TEA-001", "A-10", 5, ((1, 2), (2, 1), (3, 2))),
    )


def test_pick_list_walks_bins_in_natural_order_with_unknown_locations_last() -> None:
    nowhere = CandidateLine(9, "NEW-009", 1, "")
    wave = plan_waves([order(1, [nowhere, LID, TEA, CUP])], RULE, now=NOW).waves[0]

    assert [(p.bin_location, p.sku_code) for p in wave.pick_list] == [
        ("A-2", "CUP-002"),
        ("A-10", "TEA-001"),
        ("B-1", "LID-003"),
        ("", "NEW-009"),
    ]


def test_natural_bin_order_compares_digit_runs_as_numbers_and_ignores_case() -> None:
    locations = ["a-10-3", "A-2-11", "A-2-2", "B-1", "A-10-2", "", "A-01"]

    assert sorted(locations, key=bin_sort_key) == ["A-01", "A-2-2", "A-2-11", "A-10-2", "a-10-3", "B-1", ""]


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=2, max_size=20))
def test_natural_bin_order_follows_the_number_within_one_aisle(numbers: list[int]) -> None:
    ordered = sorted((f"A-{n}" for n in numbers), key=bin_sort_key)

    assert [int(text[2:]) for text in ordered] == sorted(numbers)


# --- removing a cancelled order -----------------------------------------------------------------------------------


def test_removing_an_order_keeps_the_other_slots_and_reduces_the_pick_list_by_its_units() -> None:
    wave = plan_waves(
        [
            order(1, [line(TEA, 2), CUP], due_in=HOUR),
            order(2, [TEA, LID], due_in=2 * HOUR),
            order(3, [CUP], due_in=3 * HOUR),
        ],
        RULE,
        now=NOW,
    ).waves[0]

    after = remove_order(wave, 2)

    assert [(o.slot, o.order.order_id) for o in after.orders] == [(1, 1), (3, 3)]
    assert after.pick_list == (
        PickLine(2, "CUP-002", "A-2", 2, ((1, 1), (3, 1))),
        PickLine(1, "TEA-001", "A-10", 2, ((1, 2),)),
    )
    assert after.number == wave.number
    assert [o.order.order_id for o in wave.orders] == [1, 2, 3]  # the original wave is untouched


def test_removing_an_order_not_in_the_wave_is_refused() -> None:
    wave = plan_waves([order(1)], RULE, now=NOW).waves[0]

    with pytest.raises(OrderNotInWave) as refused:
        remove_order(wave, 99)

    assert refused.value.code == "wave.order_not_in_wave"


def test_removing_the_last_order_leaves_an_empty_wave_with_nothing_to_pick() -> None:
    wave = plan_waves([order(1)], RULE, now=NOW).waves[0]

    assert remove_order(wave, 1).orders == ()
    assert remove_order(wave, 1).pick_list == ()


# --- bad input ----------------------------------------------------------------------------------------------------


def test_a_wave_rule_must_allow_at_least_one_order_and_a_non_negative_horizon() -> None:
    with pytest.raises(InvalidWaveRule):
        WaveRule(horizon=HOUR, max_orders=0)
    with pytest.raises(InvalidWaveRule):
        WaveRule(horizon=-HOUR)


def test_naive_times_are_refused_rather_than_guessed() -> None:
    with pytest.raises(InvalidWaveOrder):
        WaveCandidate(1, "260301-1", 1, datetime(2026, 3, 1, 10, 0), "ZTO", (TEA,))
    with pytest.raises(InvalidWaveRule):
        plan_waves([order(1)], RULE, now=datetime(2026, 3, 1, 8, 0))


def test_orders_without_units_or_listed_twice_are_refused() -> None:
    with pytest.raises(InvalidWaveOrder):
        order(1, [])
    with pytest.raises(InvalidWaveOrder):
        order(1, [line(TEA, 0)])
    with pytest.raises(InvalidWaveOrder):
        plan_waves([order(1), order(1)], RULE, now=NOW)


# --- properties ---------------------------------------------------------------------------------------------------

orders_strategy = st.lists(
    st.builds(
        lambda due, lines: (due, lines),
        st.integers(min_value=-10, max_value=40),
        st.lists(st.tuples(st.sampled_from([TEA, CUP, LID]), st.integers(1, 4)), min_size=1, max_size=4),
    ),
    max_size=25,
)


@given(orders_strategy, st.integers(min_value=1, max_value=6))
def test_every_due_order_is_in_exactly_one_wave_and_the_pick_list_adds_up(
    specs: list[tuple[int, list[tuple[CandidateLine, int]]]], max_orders: int
) -> None:
    candidates = [
        order(i, [line(base, qty) for base, qty in lines], due_in=due * HOUR) for i, (due, lines) in enumerate(specs)
    ]
    plan = plan_waves(candidates, WaveRule(horizon=24 * HOUR, max_orders=max_orders), now=NOW)

    waved = [oid for w in plan.waves for oid in w.order_ids]
    assert sorted(waved + list(plan.skipped)) == list(range(len(candidates)))
    assert all(len(w.orders) <= max_orders for w in plan.waves)
    deadlines = [o.order.urgency for w in plan.waves for o in w.orders]
    assert deadlines == sorted(deadlines)
    for wave in plan.waves:
        assert sum(p.quantity for p in wave.pick_list) == sum(o.order.units for o in wave.orders)
        assert all(p.quantity == sum(q for _, q in p.slots) for p in wave.pick_list)
