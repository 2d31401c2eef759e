"""A refund before shipment intercepts the order (退款拦截).

When an after-sales case asking for money back (仅退款, 退货退款) reaches us — by sync or push, possibly before the
order's own update — and the order has not left: an open request holds the order (``after_sales_open``), a refund
the platform paid cancels it. Reservations are released and, if the goods were already picked, a return-to-stock
task is opened. The order's ``refund_status`` takes the case's word (售后处理中 / 退款成功) so that a re-review does
not accept the order again before the order's own update arrives. Replays change nothing: an order already held
for it or cancelled stays as it is.
"""

from datetime import datetime

from django.db.models import F

from kuaifa.domain.aftersales.canonical import CaseType
from kuaifa.domain.aftersales.cases import CaseState
from kuaifa.domain.orders.canonical import PlatformRefundStatus
from kuaifa.domain.orders.review import HoldReason
from kuaifa.domain.orders.status import RESERVING, OrderStatus, transition
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Order
from kuaifa.services.audit import event
from kuaifa.services.reservations import release_for_orders
from kuaifa.services.returns import open_tasks

MONEY_BACK = frozenset({CaseType.REFUND_ONLY, CaseType.RETURN_REFUND})
#: case states in which the buyer's refund is still open
REFUND_OPEN = frozenset({CaseState.REFUND_REQUESTED, CaseState.RETURN_REQUESTED, CaseState.WAITING_PLATFORM})
NOT_LEFT = frozenset({OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.PICKING, OrderStatus.PACKED})


def intercept_for_refund(
    order_id: int, case_type: CaseType, state: CaseState, *, after_sales_id: str, actor: Actor, now: datetime
) -> str:
    """Hold or cancel an order not yet shipped for a refund case, inside the caller's transaction; returns the
    order's new status, or "" when nothing changed."""
    if case_type not in MONEY_BACK:
        return ""
    order = Order.objects.select_for_update().get(id=order_id)
    current = OrderStatus(order.status)
    if state is CaseState.CLOSED_REFUNDED and (current in NOT_LEFT or current is OrderStatus.ON_HOLD):
        target, refund_status, reasons = OrderStatus.CANCELLED, PlatformRefundStatus.REFUNDED, []
    elif state in REFUND_OPEN and current in NOT_LEFT:
        target, refund_status = OrderStatus.ON_HOLD, PlatformRefundStatus.IN_PROGRESS
        reasons = list(dict.fromkeys([*order.hold_reasons, HoldReason.AFTER_SALES_OPEN]))
    else:
        return ""
    transition(current, target, order_sn=order.order_sn)
    if current in RESERVING:
        release_for_orders([order.id], now=now)
    open_tasks([(order.id, current, target)], reason=f"refund before shipment: case {after_sales_id}", now=now)
    Order.objects.filter(id=order.id).update(
        status=target, hold_reasons=reasons, refund_status=max(order.refund_status, int(refund_status)),
        version=F("version") + 1, updated_at=now,
    )  # fmt: skip
    event(order.id, "intercepted", actor=actor, now=now, from_status=current, to_status=target,
          after_sales_id=after_sales_id, case_state=state.value).save()  # fmt: skip
    return target.value
