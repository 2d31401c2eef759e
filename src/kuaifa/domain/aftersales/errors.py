"""The after-sales rules' refusals: each a :class:`~kuaifa.domain.shared.errors.DomainError` with a stable code."""

from __future__ import annotations

from kuaifa.domain.shared.errors import DomainError


class UnknownCaseStatus(DomainError):
    code = "aftersales.unknown_status"
    template = "%(status)r is not a PDD after_sales_status value (pdd-reference §4.2)."


class InvalidCase(DomainError):
    code = "aftersales.invalid_case"
    template = "After-sales case %(after_sales_id)s: %(field)s %(reason)s."


class DecisionNotAllowed(DomainError):
    code = "aftersales.decision_not_allowed"
    template = "After-sales case %(after_sales_id)s is %(state)s; %(action)s is not allowed (allowed: %(allowed)s)."


class InvalidRefundAmount(DomainError):
    code = "aftersales.invalid_refund_amount"
    template = "After-sales case %(after_sales_id)s: a refund must be a positive number of fen, not %(amount_fen)r."


class RefundAlreadyRecorded(DomainError):
    code = "aftersales.refund_already_recorded"
    template = (
        "After-sales case %(after_sales_id)s was already refunded %(recorded_fen)s fen; "
        "a second refund of %(amount_fen)s fen is refused."
    )


class RefundExceedsPaid(DomainError):
    code = "aftersales.refund_exceeds_paid"
    template = (
        "Order %(order_sn)s: refunding %(amount_fen)s fen for case %(after_sales_id)s would make %(total_fen)s fen "
        "refunded, more than the %(paid_fen)s fen paid."
    )
