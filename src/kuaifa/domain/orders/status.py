"""Our order status and the table of allowed moves.

The platform's own axes (order_status, refund_status, after_sales_status) are stored beside this status; this one
says where the order is in *our* flow. Allowed moves are data (``TRANSITIONS``); :func:`transition` is the only way
to change status, and every other path raises :class:`IllegalTransition`.
"""

from __future__ import annotations

from enum import StrEnum

from kuaifa.domain.shared.errors import IllegalTransition


class OrderStatus(StrEnum):
    NEW = "NEW"
    ON_HOLD = "ON_HOLD"
    ACCEPTED = "ACCEPTED"
    PICKING = "PICKING"
    PACKED = "PACKED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


S = OrderStatus

#: target statuses reachable from each status.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    # review accepts or holds; a platform cancel or refund before shipping cancels
    # the platform may report a parcel shipped from its back office: the platform's fact wins (SHIPPED)
    S.NEW: frozenset({S.ACCEPTED, S.ON_HOLD, S.CANCELLED, S.SHIPPED}),
    # release returns an order to review; a re-review (stock arrived) may accept it at once or keep it held
    S.ON_HOLD: frozenset({S.NEW, S.ACCEPTED, S.ON_HOLD, S.CANCELLED, S.SHIPPED}),
    # any state before SHIPPED can be held (interception) or cancelled; both release reservations
    S.ACCEPTED: frozenset({S.PICKING, S.ON_HOLD, S.CANCELLED, S.SHIPPED}),
    S.PICKING: frozenset({S.PACKED, S.ON_HOLD, S.CANCELLED, S.SHIPPED}),
    S.PACKED: frozenset({S.SHIPPED, S.ON_HOLD, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.COMPLETED}),
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

#: statuses in which an order holds reserved stock.
RESERVING = frozenset({S.ACCEPTED, S.PICKING, S.PACKED})
#: statuses after the parcel left: stock is gone, the platform can no longer cancel it here.
AFTER_SHIPMENT = frozenset({S.SHIPPED, S.DELIVERED, S.COMPLETED})


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in TRANSITIONS[current]


def transition(current: OrderStatus, target: OrderStatus, *, order_sn: str = "") -> OrderStatus:
    """Return ``target`` when the move is allowed; raise :class:`IllegalTransition` otherwise."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransition(order_sn=order_sn, current=current.value, target=target.value)
    return target
