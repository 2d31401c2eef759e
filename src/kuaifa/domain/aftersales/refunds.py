"""A refund is paid once: one refund per case, and an order's refunds never add up to more than it paid.

PDD pays the refund; we record it (to cancel picking, release or restock goods, and book the money). The same
success can reach us several times (push message, increment sync, detail fetch), and an order can have several
cases with partial refunds. So:

- a case's refund is recorded once; a second one for the same case is refused with
  :class:`~kuaifa.domain.aftersales.errors.RefundAlreadyRecorded` (a replay is detected, never booked twice);
- partial refunds of different cases of one order add up, and the sum may not exceed the order's paid amount
  (:class:`~kuaifa.domain.aftersales.errors.RefundExceedsPaid`);
- a refund is a positive number of fen (:class:`~kuaifa.domain.aftersales.errors.InvalidRefundAmount`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kuaifa.domain.aftersales.errors import (
    InvalidRefundAmount,
    RefundAlreadyRecorded,
    RefundExceedsPaid,
)


def refund_recorded(previous_refunded_fen: int, new_amount_fen: int, *, after_sales_id: str = "") -> int:
    """A case's refunded amount once ``new_amount_fen`` is recorded, given what was recorded for it before.

    Anything recorded before (``previous_refunded_fen`` > 0) makes this a second refund, which is refused.
    """
    label = after_sales_id or "<unknown>"
    if isinstance(new_amount_fen, bool) or not isinstance(new_amount_fen, int) or new_amount_fen <= 0:
        raise InvalidRefundAmount(after_sales_id=label, amount_fen=new_amount_fen)
    if previous_refunded_fen < 0:
        raise InvalidRefundAmount(after_sales_id=label, amount_fen=previous_refunded_fen)
    if previous_refunded_fen > 0:
        raise RefundAlreadyRecorded(after_sales_id=label, recorded_fen=previous_refunded_fen, amount_fen=new_amount_fen)
    return new_amount_fen


@dataclass(frozen=True, slots=True)
class RecordedRefund:
    after_sales_id: str
    amount_fen: int


@dataclass(frozen=True, slots=True)
class OrderRefunds:
    """The refunds recorded against one order; :meth:`record` returns a new value or refuses."""

    order_sn: str
    paid_fen: int
    refunds: tuple[RecordedRefund, ...] = ()

    def __post_init__(self) -> None:
        if self.paid_fen < 0:
            raise ValueError(f"order {self.order_sn}: paid_fen must be ≥ 0, not {self.paid_fen}")
        seen: dict[str, int] = {}
        total = 0
        for refund in self.refunds:  # loaded data obeys the same rules as recorded data
            amount = refund_recorded(
                seen.get(refund.after_sales_id, 0), refund.amount_fen, after_sales_id=refund.after_sales_id
            )
            seen[refund.after_sales_id] = amount
            total += amount
            if total > self.paid_fen:
                raise RefundExceedsPaid(
                    order_sn=self.order_sn,
                    after_sales_id=refund.after_sales_id,
                    amount_fen=amount,
                    total_fen=total,
                    paid_fen=self.paid_fen,
                )

    @property
    def refunded_fen(self) -> int:
        return sum(refund.amount_fen for refund in self.refunds)

    @property
    def refundable_fen(self) -> int:
        """What may still be refunded on this order."""
        return self.paid_fen - self.refunded_fen

    def refunded_for(self, after_sales_id: str) -> int:
        """The amount recorded for a case, 0 if none."""
        return next((r.amount_fen for r in self.refunds if r.after_sales_id == after_sales_id), 0)

    def record(self, after_sales_id: str, amount_fen: int) -> OrderRefunds:
        """These refunds plus case ``after_sales_id``'s refund of ``amount_fen``.

        Raises :class:`RefundAlreadyRecorded` if the case was refunded before, :class:`RefundExceedsPaid` if the
        order's refunds would exceed its paid amount, :class:`InvalidRefundAmount` for an amount ≤ 0.
        """
        amount = refund_recorded(self.refunded_for(after_sales_id), amount_fen, after_sales_id=after_sales_id)
        total = self.refunded_fen + amount
        if total > self.paid_fen:
            raise RefundExceedsPaid(
                order_sn=self.order_sn,
                after_sales_id=after_sales_id,
                amount_fen=amount,
                total_fen=total,
                paid_fen=self.paid_fen,
            )
        return OrderRefunds(self.order_sn, self.paid_fen, (*self.refunds, RecordedRefund(after_sales_id, amount)))
