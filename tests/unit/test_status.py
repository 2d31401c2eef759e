"""Our order status moves only along the TRANSITIONS table."""

from __future__ import annotations

import itertools

import pytest

from kuaifa.domain.orders.status import (
    AFTER_SHIPMENT,
    RESERVING,
    TRANSITIONS,
    OrderStatus,
    can_transition,
    transition,
)
from kuaifa.domain.shared.errors import DomainError, IllegalTransition

S = OrderStatus

ALLOWED = [
    (S.NEW, S.ACCEPTED),
    (S.NEW, S.ON_HOLD),
    (S.NEW, S.CANCELLED),
    (S.NEW, S.SHIPPED),
    (S.ON_HOLD, S.NEW),
    (S.ON_HOLD, S.ACCEPTED),
    (S.ON_HOLD, S.ON_HOLD),
    (S.ON_HOLD, S.CANCELLED),
    (S.ON_HOLD, S.SHIPPED),
    (S.ACCEPTED, S.PICKING),
    (S.ACCEPTED, S.ON_HOLD),
    (S.ACCEPTED, S.CANCELLED),
    (S.ACCEPTED, S.SHIPPED),
    (S.PICKING, S.PACKED),
    (S.PICKING, S.ON_HOLD),
    (S.PICKING, S.CANCELLED),
    (S.PICKING, S.SHIPPED),
    (S.PACKED, S.SHIPPED),
    (S.PACKED, S.ON_HOLD),
    (S.PACKED, S.CANCELLED),
    (S.SHIPPED, S.DELIVERED),
    (S.SHIPPED, S.COMPLETED),
    (S.DELIVERED, S.COMPLETED),
]
FORBIDDEN = sorted(set(itertools.product(S, S)) - set(ALLOWED))


def test_the_table_allows_exactly_the_documented_moves() -> None:
    table = {(current, target) for current, targets in TRANSITIONS.items() for target in targets}
    assert table == set(ALLOWED)


def test_every_status_has_a_row_in_the_table() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_an_allowed_move_returns_the_target(current: OrderStatus, target: OrderStatus) -> None:
    assert transition(current, target, order_sn="240101-1") is target
    assert can_transition(current, target) is True


@pytest.mark.parametrize(("current", "target"), FORBIDDEN)
def test_a_move_outside_the_table_is_illegal(current: OrderStatus, target: OrderStatus) -> None:
    # given a move the table does not list
    # when it is attempted
    with pytest.raises(IllegalTransition) as caught:
        transition(current, target, order_sn="240101-1")
    # then it is refused with the transition code and names both ends
    assert caught.value.code == "order.illegal_transition"
    assert caught.value.params == {"order_sn": "240101-1", "current": current.value, "target": target.value}
    assert can_transition(current, target) is False


def test_a_shipped_order_cannot_be_cancelled() -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(S.SHIPPED, S.CANCELLED, order_sn="240101-7")
    assert isinstance(caught.value, DomainError)
    assert str(caught.value) == "Order 240101-7 cannot go from SHIPPED to CANCELLED."


def test_an_order_cannot_skip_picking_and_packing_to_be_packed_from_accepted() -> None:
    with pytest.raises(IllegalTransition):
        transition(S.ACCEPTED, S.PACKED)


@pytest.mark.parametrize("final", [S.COMPLETED, S.CANCELLED])
def test_completed_and_cancelled_are_final(final: OrderStatus) -> None:
    assert TRANSITIONS[final] == frozenset()
    for target in OrderStatus:
        with pytest.raises(IllegalTransition):
            transition(final, target)


def test_an_order_can_be_held_or_cancelled_up_to_packing_but_not_after_shipment() -> None:
    before_shipment = {S.NEW, S.ACCEPTED, S.PICKING, S.PACKED}
    for status in before_shipment:
        assert can_transition(status, S.ON_HOLD)
        assert can_transition(status, S.CANCELLED)
    for status in AFTER_SHIPMENT:
        assert not can_transition(status, S.ON_HOLD)
        assert not can_transition(status, S.CANCELLED)


def test_the_reserving_and_after_shipment_groups() -> None:
    assert frozenset({S.ACCEPTED, S.PICKING, S.PACKED}) == RESERVING
    assert frozenset({S.SHIPPED, S.DELIVERED, S.COMPLETED}) == AFTER_SHIPMENT
    assert not RESERVING & AFTER_SHIPMENT


def test_status_values_are_their_names() -> None:
    assert [s.value for s in OrderStatus] == [s.name for s in OrderStatus]
    assert OrderStatus("ON_HOLD") is S.ON_HOLD
