"""After-sales type codes, which PDD numbers differently per API (pdd-reference §4.3).

``pdd.refund.list.increment.get`` (its request filter and its records) counts 1 全部, 2 仅退款, 3 退货退款, 4 换货,
5 补寄, 6 维修; ``pdd.refund.information.get`` and the push messages' ``bill_type`` count 1 仅退款 … 5 维修.
Reading one coding with the other's table turns a refund into a return, so each source has its own reader.
"""

from __future__ import annotations

from enum import StrEnum


class AfterSalesType(StrEnum):
    REFUND_ONLY = "refund_only"  # 仅退款
    RETURN_REFUND = "return_refund"  # 退货退款
    EXCHANGE = "exchange"  # 换货
    RESEND = "resend"  # 补寄 (缺货补寄)
    REPAIR = "repair"  # 维修


_ORDER = (
    AfterSalesType.REFUND_ONLY,
    AfterSalesType.RETURN_REFUND,
    AfterSalesType.EXCHANGE,
    AfterSalesType.RESEND,
    AfterSalesType.REPAIR,
)
DETAIL_CODES: dict[AfterSalesType, int] = {kind: index + 1 for index, kind in enumerate(_ORDER)}
LIST_CODES: dict[AfterSalesType, int] = {kind: index + 2 for index, kind in enumerate(_ORDER)}
LIST_ALL = 1  # the list API's filter value for every type

#: after_sales_status values that wait on the merchant (§4.2); the detail carries expire_time for these.
WAITING_ON_MERCHANT = frozenset({2, 3, 14, 21, 32, 33})
#: after_sales_status values after which nothing more happens.
TERMINAL = frozenset({9, 10, 11, 12, 13, 16, 17, 24, 25})


def type_from_list_code(code: int) -> AfterSalesType:
    """A record type of ``pdd.refund.list.increment.get`` (2 仅退款 … 6 维修)."""
    return _lookup(LIST_CODES, code, "refund list")


def type_from_detail_code(code: int) -> AfterSalesType:
    """A type of ``pdd.refund.information.get`` or a push message's ``bill_type`` (1 仅退款 … 5 维修)."""
    return _lookup(DETAIL_CODES, code, "refund detail")


def _lookup(table: dict[AfterSalesType, int], code: int, source: str) -> AfterSalesType:
    for kind, value in table.items():
        if value == code:
            return kind
    raise ValueError(f"{code!r} is not an after-sales type code of the {source} API")
