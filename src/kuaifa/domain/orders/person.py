"""What a person's command does to one order: hold it (拦截), release it back to review, cancel it.

Pure decisions from the order's status and stored reasons; the service applies them in one transaction (statuses,
reservations, audit). Every caller — the workbench's single and bulk actions, the API, the command line — reaches
these through ``services.orders``, so each rule has one home.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from kuaifa.domain.orders.review import WAIVABLE, HoldReason
from kuaifa.domain.orders.status import RESERVING, OrderStatus, transition


@dataclass(frozen=True)
class Decision:
    """The order's new status and stored reasons, and whether its open reservations go back to the pool."""

    target: OrderStatus
    hold_reasons: list[str]
    waived_reasons: list[str]
    release_stock: bool


def hold(status: OrderStatus, hold_reasons: Sequence[str], waived: Sequence[str], *, order_sn: str = "") -> Decision:
    """Held by a person: the manual reason joins any it had; reserved stock goes back until it is released."""
    target = transition(status, OrderStatus.ON_HOLD, order_sn=order_sn)
    reasons = list(dict.fromkeys([*hold_reasons, HoldReason.MANUAL]))
    return Decision(target, reasons, list(waived), release_stock=status in RESERVING)


def release(status: OrderStatus, hold_reasons: Sequence[str], waived: Sequence[str], *, order_sn: str = "") -> Decision:
    """A person has looked at a held order: back to review, and the judgement rules that held it are waived."""
    target = transition(status, OrderStatus.NEW, order_sn=order_sn)
    waived_now = sorted({*waived, *(r for r in hold_reasons if r in WAIVABLE)})
    return Decision(target, [], waived_now, release_stock=False)


def cancel(status: OrderStatus, hold_reasons: Sequence[str], waived: Sequence[str], *, order_sn: str = "") -> Decision:
    """Cancelled before shipping: every open reservation is released."""
    target = transition(status, OrderStatus.CANCELLED, order_sn=order_sn)
    return Decision(target, [], list(waived), release_stock=True)
