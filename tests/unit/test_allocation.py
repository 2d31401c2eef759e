"""Allocation: most urgent order first, all or nothing, bundles expanded, warehouses in slot order."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuaifa.domain.inventory.allocation import (
    MAX_BUNDLE_DEPTH,
    AllocationPlan,
    BundleCycle,
    BundleTooDeep,
    Demand,
    DemandLine,
    PlannedReservation,
    StockSlot,
    allocate,
    expand_bundles,
)
from kuaifa.domain.shared.errors import DomainError

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

TEA, CUP, LID = 1, 2, 3  # sku ids
GIFT_SET, DELUXE_SET = 900, 901  # bundle sku ids


def order(
    order_id: int,
    lines: Sequence[tuple[int, int]],
    *,
    ship_by: datetime | None = T0 + 48 * HOUR,
    paid_at: datetime | None = T0,
    order_sn: str | None = None,
) -> Demand:
    """An order with ``(sku_id, quantity)`` lines; line ids are ``order_id * 10 + position``."""
    return Demand(
        order_id=order_id,
        order_sn=order_sn if order_sn is not None else f"260301-{order_id:04d}",
        ship_by=ship_by,
        paid_at=paid_at,
        lines=tuple(DemandLine(order_id * 10 + i, sku, qty) for i, (sku, qty) in enumerate(lines, start=1)),
    )


def slots(*pairs: tuple[int, int]) -> tuple[StockSlot, ...]:
    return tuple(StockSlot(level_id, available) for level_id, available in pairs)


# --- who gets the stock -----------------------------------------------------------------------------------------


def test_earliest_deadline_gets_the_last_unit() -> None:
    # given one unit left and two orders, the later deadline listed first
    later = order(1, [(TEA, 1)], ship_by=T0 + 48 * HOUR)
    sooner = order(2, [(TEA, 1)], ship_by=T0 + 24 * HOUR)
    # when
    plan = allocate([later, sooner], {TEA: slots((100, 1))})
    # then the order due sooner takes it and the other is short by exactly one
    assert plan == AllocationPlan(
        reservations=(PlannedReservation(order_id=2, line_id=21, stock_level_id=100, sku_id=TEA, quantity=1),),
        reserved_orders=(2,),
        short={1: {TEA: 1}},
    )


def test_on_equal_deadlines_the_earlier_payment_gets_the_last_unit() -> None:
    paid_later = order(1, [(TEA, 1)], paid_at=T0 + HOUR)
    paid_first = order(2, [(TEA, 1)], paid_at=T0)
    plan = allocate([paid_later, paid_first], {TEA: slots((100, 1))})
    assert plan.reserved_orders == (2,)
    assert plan.short == {1: {TEA: 1}}


def test_on_equal_deadline_and_payment_the_lower_order_number_gets_the_last_unit() -> None:
    b = order(1, [(TEA, 1)], order_sn="260301-B")
    a = order(2, [(TEA, 1)], order_sn="260301-A")
    plan = allocate([b, a], {TEA: slots((100, 1))})
    assert plan.reserved_orders == (2,)
    assert plan.short == {1: {TEA: 1}}


def test_a_known_payment_time_goes_before_an_unknown_one() -> None:
    unknown = order(1, [(TEA, 1)], paid_at=None)
    known = order(2, [(TEA, 1)], paid_at=T0 + 100 * HOUR)
    plan = allocate([unknown, known], {TEA: slots((100, 1))})
    assert plan.reserved_orders == (2,)


def test_orders_without_a_deadline_come_last_even_if_paid_first() -> None:
    # given an order without a deadline that was paid long before one with a deadline
    no_deadline = order(1, [(TEA, 1)], ship_by=None, paid_at=T0 - 100 * HOUR)
    deadline = order(2, [(TEA, 1)], ship_by=T0 + 1000 * HOUR, paid_at=T0)
    # when
    plan = allocate([no_deadline, deadline], {TEA: slots((100, 1))})
    # then the one with a deadline is served first
    assert plan.reserved_orders == (2,)
    assert plan.short == {1: {TEA: 1}}


def test_orders_without_a_deadline_are_served_among_themselves_by_payment() -> None:
    paid_later = order(1, [(TEA, 1)], ship_by=None, paid_at=T0 + HOUR)
    paid_first = order(2, [(TEA, 1)], ship_by=None, paid_at=T0)
    plan = allocate([paid_later, paid_first], {TEA: slots((100, 1))})
    assert plan.reserved_orders == (2,)


def test_reserved_orders_are_listed_most_urgent_first() -> None:
    demands = [
        order(1, [(TEA, 1)], ship_by=None),
        order(2, [(TEA, 1)], ship_by=T0 + 30 * HOUR),
        order(3, [(TEA, 1)], ship_by=T0 + 10 * HOUR),
        order(4, [(TEA, 1)], ship_by=T0 + 10 * HOUR, paid_at=T0 - HOUR),
    ]
    plan = allocate(demands, {TEA: slots((100, 10))})
    assert plan.reserved_orders == (4, 3, 2, 1)
    assert [r.order_id for r in plan.reservations] == [4, 3, 2, 1]
    assert plan.short == {}


def test_priority_is_no_deadline_last_then_deadline_then_payment_then_order_number() -> None:
    demand = order(1, [], ship_by=T0, paid_at=None, order_sn="X")
    assert demand.priority == (False, T0, datetime.max.replace(tzinfo=UTC), "X")
    assert order(2, [], ship_by=None, paid_at=T0, order_sn="Y").priority == (
        True,
        datetime.max.replace(tzinfo=UTC),
        T0,
        "Y",
    )


# --- all or nothing ---------------------------------------------------------------------------------------------


def test_an_order_that_is_short_reserves_nothing_at_all() -> None:
    # given two units of tea and an urgent order for three
    greedy = order(1, [(TEA, 3)], ship_by=T0 + HOUR)
    # when
    plan = allocate([greedy], {TEA: slots((100, 2))})
    # then it reserves nothing and is short by exactly one
    assert plan == AllocationPlan(reservations=(), reserved_orders=(), short={1: {TEA: 1}})


def test_a_short_order_leaves_its_stock_for_the_next_in_line() -> None:
    urgent_but_short = order(1, [(TEA, 3)], ship_by=T0 + HOUR)
    next_in_line = order(2, [(TEA, 2)], ship_by=T0 + 2 * HOUR)
    plan = allocate([urgent_but_short, next_in_line], {TEA: slots((100, 2))})
    assert plan == AllocationPlan(
        reservations=(PlannedReservation(2, 21, 100, TEA, 2),),
        reserved_orders=(2,),
        short={1: {TEA: 1}},
    )


def test_one_short_line_keeps_the_whole_order_from_reserving() -> None:
    # given tea in plenty but only one cup, and an order for one tea and two cups
    demand = order(1, [(TEA, 1), (CUP, 2)])
    # when
    plan = allocate([demand], {TEA: slots((100, 5)), CUP: slots((200, 1))})
    # then not even the tea is reserved, and only the cup is reported missing
    assert plan.reservations == ()
    assert plan.reserved_orders == ()
    assert plan.short == {1: {CUP: 1}}


def test_a_sku_with_no_stock_rows_is_missing_in_full() -> None:
    plan = allocate([order(1, [(LID, 4)])], {TEA: slots((100, 5))})
    assert plan.short == {1: {LID: 4}}
    assert plan.reservations == ()


def test_missing_quantities_add_up_the_lines_of_one_sku() -> None:
    # given two lines of the same sku, 2 + 2, and only 3 units
    plan = allocate([order(1, [(TEA, 2), (TEA, 2)])], {TEA: slots((100, 1), (101, 2))})
    # then the order is one short, nothing reserved
    assert plan == AllocationPlan((), (), {1: {TEA: 1}})


def test_missing_quantities_are_exact_for_every_short_sku() -> None:
    demand = order(1, [(TEA, 5), (CUP, 3), (LID, 1)])
    plan = allocate([demand], {TEA: slots((100, 2), (101, 1)), CUP: slots((200, 3)), LID: slots((300, 0))})
    assert plan.short == {1: {TEA: 2, LID: 1}}


def test_an_oversold_slot_counts_as_empty_not_as_debt() -> None:
    # given a warehouse that is oversold by 3 and another with 2 units
    stock = {TEA: slots((100, -3), (101, 2))}
    # when an order asks for 2
    plan = allocate([order(1, [(TEA, 2)])], stock)
    # then the negative slot neither gives nor takes: the order gets both units from the second warehouse
    assert plan.reservations == (PlannedReservation(1, 11, 101, TEA, 2),)
    assert plan.short == {}


def test_an_order_with_no_lines_is_reserved_with_nothing_to_reserve() -> None:
    plan = allocate([order(1, [])], {})
    assert plan == AllocationPlan((), (1,), {})


def test_no_orders_make_an_empty_plan() -> None:
    assert allocate([], {TEA: slots((100, 5))}) == AllocationPlan((), (), {})


# --- warehouses -------------------------------------------------------------------------------------------------


def test_the_first_warehouse_slot_is_drawn_first_then_the_next() -> None:
    # given two warehouses in priority order
    stock = {TEA: slots((100, 2), (200, 5))}
    # when an order needs four
    plan = allocate([order(1, [(TEA, 4)])], stock)
    # then it empties the first and takes the rest from the second
    assert plan.reservations == (
        PlannedReservation(1, 11, 100, TEA, 2),
        PlannedReservation(1, 11, 200, TEA, 2),
    )
    assert plan.reserved_by_level() == {100: 2, 200: 2}


def test_the_next_order_continues_where_the_previous_one_left_the_slots() -> None:
    stock = {TEA: slots((100, 2), (200, 5))}
    plan = allocate([order(1, [(TEA, 1)]), order(2, [(TEA, 3)])], stock)
    assert plan.reservations == (
        PlannedReservation(1, 11, 100, TEA, 1),
        PlannedReservation(2, 21, 100, TEA, 1),
        PlannedReservation(2, 21, 200, TEA, 2),
    )
    assert plan.reserved_by_level() == {100: 2, 200: 2}


def test_an_empty_first_warehouse_is_skipped_without_a_zero_reservation() -> None:
    plan = allocate([order(1, [(TEA, 1)])], {TEA: slots((100, 0), (200, 1))})
    assert plan.reservations == (PlannedReservation(1, 11, 200, TEA, 1),)


def test_the_stock_mapping_passed_in_is_not_consumed() -> None:
    stock = {TEA: slots((100, 2))}
    allocate([order(1, [(TEA, 2)])], stock)
    again = allocate([order(1, [(TEA, 2)])], stock)
    assert stock == {TEA: (StockSlot(100, 2),)}
    assert again.reserved_orders == (1,)


# --- partial reservation ----------------------------------------------------------------------------------------


def test_without_all_or_nothing_an_order_reserves_what_there_is_and_is_still_short() -> None:
    # given three units over two warehouses and an order for five
    stock = {TEA: slots((100, 1), (200, 2))}
    # when allocation may reserve partially
    plan = allocate([order(1, [(TEA, 5)])], stock, all_or_nothing=False)
    # then it takes all three and reports exactly two missing; it is not a reserved order
    assert plan == AllocationPlan(
        reservations=(PlannedReservation(1, 11, 100, TEA, 1), PlannedReservation(1, 11, 200, TEA, 2)),
        reserved_orders=(),
        short={1: {TEA: 2}},
    )


def test_partial_reservation_takes_the_lines_that_fit_and_leaves_nothing_for_later_orders() -> None:
    first = order(1, [(TEA, 1), (CUP, 2)], ship_by=T0 + HOUR)
    second = order(2, [(CUP, 1)], ship_by=T0 + 2 * HOUR)
    plan = allocate([first, second], {TEA: slots((100, 5)), CUP: slots((200, 1))}, all_or_nothing=False)
    assert plan == AllocationPlan(
        reservations=(PlannedReservation(1, 11, 100, TEA, 1), PlannedReservation(1, 12, 200, CUP, 1)),
        reserved_orders=(),
        short={1: {CUP: 1}, 2: {CUP: 1}},
    )


def test_partial_reservation_of_an_order_that_fits_is_a_full_reservation() -> None:
    plan = allocate([order(1, [(TEA, 2)])], {TEA: slots((100, 2))}, all_or_nothing=False)
    assert plan == AllocationPlan((PlannedReservation(1, 11, 100, TEA, 2),), (1,), {})


# --- bundles ----------------------------------------------------------------------------------------------------


def test_a_bundle_line_expands_to_its_components_keeping_its_line_id() -> None:
    # given a gift set of 2 tea + 1 cup, ordered twice on line 11
    bundles = {GIFT_SET: [(TEA, 2), (CUP, 1)]}
    # when
    lines = expand_bundles([(11, GIFT_SET, 2), (12, LID, 3)], bundles)
    # then
    assert lines == (DemandLine(11, TEA, 4), DemandLine(11, CUP, 2), DemandLine(12, LID, 3))


def test_a_nested_bundle_expands_all_the_way_down() -> None:
    # given a deluxe set holding a gift set (2 tea + 1 cup) and a lid
    bundles = {DELUXE_SET: [(GIFT_SET, 1), (LID, 1)], GIFT_SET: [(TEA, 2), (CUP, 1)]}
    # when / then
    assert expand_bundles([(11, DELUXE_SET, 3)], bundles) == (
        DemandLine(11, TEA, 6),
        DemandLine(11, CUP, 3),
        DemandLine(11, LID, 3),
    )


def test_a_bundle_with_no_components_is_treated_as_a_plain_sku() -> None:
    assert expand_bundles([(11, GIFT_SET, 1)], {GIFT_SET: []}) == (DemandLine(11, GIFT_SET, 1),)


def test_plain_lines_pass_through_unchanged() -> None:
    assert expand_bundles([(11, TEA, 1), (12, CUP, 2)], {}) == (DemandLine(11, TEA, 1), DemandLine(12, CUP, 2))


@pytest.mark.parametrize(
    "bundles",
    [
        {GIFT_SET: [(GIFT_SET, 1)]},
        {GIFT_SET: [(TEA, 1), (DELUXE_SET, 1)], DELUXE_SET: [(GIFT_SET, 1)]},
    ],
)
def test_a_bundle_that_contains_itself_is_refused(bundles: dict[int, list[tuple[int, int]]]) -> None:
    with pytest.raises(BundleCycle) as caught:
        expand_bundles([(11, GIFT_SET, 1)], bundles)
    assert isinstance(caught.value, DomainError)
    assert caught.value.code == "inventory.bundle_cycle"
    assert caught.value.params["cycle"] in {
        f"{GIFT_SET} → {GIFT_SET}",
        f"{GIFT_SET} → {DELUXE_SET} → {GIFT_SET}",
    }


def test_bundles_nest_up_to_the_maximum_depth() -> None:
    # given a chain of MAX_BUNDLE_DEPTH bundles ending in tea: 1000 → 1001 → ... → tea
    chain = {1000 + level: [(1000 + level + 1, 1)] for level in range(MAX_BUNDLE_DEPTH - 1)}
    chain[1000 + MAX_BUNDLE_DEPTH - 1] = [(TEA, 2)]
    # when / then
    assert expand_bundles([(11, 1000, 1)], chain) == (DemandLine(11, TEA, 2),)


def test_bundles_nested_deeper_than_the_maximum_are_refused_as_too_deep_not_as_a_cycle() -> None:
    chain = {1000 + level: [(1000 + level + 1, 1)] for level in range(MAX_BUNDLE_DEPTH)}
    chain[1000 + MAX_BUNDLE_DEPTH] = [(TEA, 2)]
    with pytest.raises(BundleTooDeep) as caught:
        expand_bundles([(11, 1000, 1)], chain)
    assert caught.value.params == {"path": "1000 → 1001 → 1002 → 1003 → 1004", "limit": MAX_BUNDLE_DEPTH}


def test_a_bundle_order_reserves_its_components() -> None:
    # given an order for one gift set (2 tea + 1 cup) and a plain cup
    lines = expand_bundles([(11, GIFT_SET, 1), (12, CUP, 1)], {GIFT_SET: [(TEA, 2), (CUP, 1)]})
    demand = Demand(1, "260301-0001", T0 + 48 * HOUR, T0, lines)
    # when there are two cups in all
    plan = allocate([demand], {TEA: slots((100, 2)), CUP: slots((200, 2))})
    # then every component is reserved against the bundle's line
    assert plan.reservations == (
        PlannedReservation(1, 11, 100, TEA, 2),
        PlannedReservation(1, 11, 200, CUP, 1),
        PlannedReservation(1, 12, 200, CUP, 1),
    )
    assert plan.reserved_orders == (1,)


def test_a_bundle_order_is_short_if_any_component_is_short() -> None:
    lines = expand_bundles([(11, GIFT_SET, 2)], {GIFT_SET: [(TEA, 2), (CUP, 1)]})
    demand = Demand(1, "260301-0001", T0 + 48 * HOUR, T0, lines)
    plan = allocate([demand], {TEA: slots((100, 3)), CUP: slots((200, 5))})
    assert plan == AllocationPlan((), (), {1: {TEA: 1}})


# --- properties -------------------------------------------------------------------------------------------------

_SKUS = [TEA, CUP, LID]  # LID is never stocked


@st.composite
def _stock(draw: st.DrawFn) -> dict[int, tuple[StockSlot, ...]]:
    stock: dict[int, tuple[StockSlot, ...]] = {}
    for sku in (TEA, CUP):
        availables = draw(st.lists(st.integers(min_value=-3, max_value=6), max_size=3))
        stock[sku] = tuple(StockSlot(sku * 100 + i, a) for i, a in enumerate(availables))
    return stock


@st.composite
def _demands(draw: st.DrawFn) -> list[Demand]:
    count = draw(st.integers(min_value=0, max_value=8))
    demands = []
    for order_id in range(1, count + 1):
        lines = draw(
            st.lists(st.tuples(st.sampled_from(_SKUS), st.integers(min_value=0, max_value=4)), min_size=1, max_size=3)
        )
        ship_by = draw(st.none() | st.integers(min_value=0, max_value=5).map(lambda h: T0 + h * HOUR))
        paid_at = draw(st.none() | st.integers(min_value=0, max_value=5).map(lambda h: T0 - h * HOUR))
        demands.append(order(order_id, lines, ship_by=ship_by, paid_at=paid_at))
    return demands


def _needed(demand: Demand) -> dict[int, int]:
    totals: dict[int, int] = defaultdict(int)
    for line in demand.lines:
        totals[line.sku_id] += line.quantity
    return {sku: qty for sku, qty in totals.items() if qty}


@given(demands=_demands(), stock=_stock(), all_or_nothing=st.booleans())
def test_allocation_never_promises_a_unit_twice_and_reserved_orders_are_fully_covered(
    demands: list[Demand], stock: dict[int, tuple[StockSlot, ...]], all_or_nothing: bool
) -> None:
    plan = allocate(demands, stock, all_or_nothing=all_or_nothing)

    slot_sku = {slot.stock_level_id: sku for sku, sku_slots in stock.items() for slot in sku_slots}
    available = {slot.stock_level_id: slot.available for sku_slots in stock.values() for slot in sku_slots}
    # no slot gives more than it has, and a reservation is positive and of the slot's own sku
    for level_id, quantity in plan.reserved_by_level().items():
        assert quantity <= max(available[level_id], 0)
    for reservation in plan.reservations:
        assert reservation.quantity > 0
        assert slot_sku[reservation.stock_level_id] == reservation.sku_id

    got: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for reservation in plan.reservations:
        got[reservation.order_id][reservation.sku_id] += reservation.quantity
    by_id = {d.order_id: d for d in demands}
    # every order is either reserved in full or short with an exact, positive shortfall
    assert set(plan.reserved_orders).isdisjoint(plan.short)
    assert set(plan.reserved_orders) | set(plan.short) == set(by_id)
    for order_id in plan.reserved_orders:
        assert dict(got[order_id]) == _needed(by_id[order_id])
    for order_id, missing in plan.short.items():
        assert missing
        assert all(qty > 0 for qty in missing.values())
        if all_or_nothing:
            assert order_id not in got
        else:
            needed = _needed(by_id[order_id])
            for sku, qty in needed.items():
                assert got[order_id].get(sku, 0) + missing.get(sku, 0) == qty


@given(demands=_demands(), stock=_stock())
def test_the_plan_does_not_depend_on_the_order_demands_are_listed_in(
    demands: list[Demand], stock: dict[int, tuple[StockSlot, ...]]
) -> None:
    assert allocate(list(reversed(demands)), stock) == allocate(demands, stock)
