""" "Why is this order where it is?" — every rule's verdict, its stock per line, its deadline, and its history."""

from dataclasses import dataclass
from datetime import datetime

from kuaifa.domain.orders.review import HoldReason, ReviewLine, ReviewSubject, RuleVerdict, parse_rules, review
from kuaifa.domain.sla.deadlines import Risk, risk_level
from kuaifa.persistence import queries
from kuaifa.persistence.models import Order, OrderEvent


@dataclass(frozen=True)
class Explanation:
    order: Order
    risk: Risk
    verdicts: tuple[RuleVerdict, ...]
    lines: list[queries.LineStock]
    events: list[OrderEvent]
    reservations: list[queries.ReservationRow]


def explain_order(order: Order, *, now: datetime, events: list[OrderEvent] | None = None) -> Explanation:
    """``events``: the order's timeline when the caller read it already (with the order, in one statement)."""
    read = queries.order_stock(order)
    stock = read.lines
    subject = ReviewSubject(
        order_sn=order.order_sn,
        lines=tuple(ReviewLine(1 if line.sku_code else None, line.quantity, 0) for line in stock),
        risk_control_status=order.risk_control_status,
        ship_hold=order.ship_hold,
        refund_status=order.refund_status,
        buyer_memo=order.buyer_memo,
        receiver_complete=bool(
            order.province and order.city and (order.receiver_address or order.receiver_address_mask)
        ),
        pay_amount_fen=order.pay_amount,
        waived=frozenset(HoldReason(r) for r in order.waived_reasons),
    )
    outcome = review(subject, parse_rules(order.shop.review_rules))
    verdicts = []
    for verdict in outcome.verdicts:
        if verdict.code is HoldReason.STOCK_INSUFFICIENT:
            short = [line for line in stock if line.sku_code and line.reserved_for_this_order < line.quantity]
            decided = order.status in ("ACCEPTED", "PICKING", "PACKED") or (
                order.status == "ON_HOLD" and HoldReason.STOCK_INSUFFICIENT in order.hold_reasons
            )
            if decided:
                detail = ", ".join(f"{x.sku_code}: {x.reserved_for_this_order}/{x.quantity} reserved" for x in short)
                verdict = RuleVerdict(verdict.code, True, True, not short, detail)
        verdicts.append(verdict)
    timeline = queries.events(order) if events is None else events
    return Explanation(order, risk_level(order.ship_by, now), tuple(verdicts), stock, timeline, read.reservations)
