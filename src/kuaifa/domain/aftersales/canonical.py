"""The canonical after-sales case: what PDD's refund list records and refund details are normalised to.

Platform adapters build these; the after-sales service stores them. Money is integer fen, times are aware UTC
datetimes, ids are strings. ``platform_status`` is PDD's ``after_sales_status`` as given (pdd-reference §4.2);
:mod:`kuaifa.domain.aftersales.cases` derives our own state from it.

PDD numbers the case *type* differently in its list API (2 仅退款 … 6 维修) and its detail API and push messages
(1 仅退款 … 5 维修), pdd-reference §4.3. :class:`CaseType` is the one spelling inside Kuaifa; only the adapter
knows the codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

from kuaifa.domain.aftersales.errors import InvalidCase, UnknownCaseStatus
from kuaifa.domain.shared.errors import Text


class CaseType(StrEnum):
    """What the buyer asked for. The values equal ``kuaifa.platforms.pdd.aftersales.AfterSalesType``'s."""

    REFUND_ONLY = "refund_only"  # 仅退款
    RETURN_REFUND = "return_refund"  # 退货退款
    EXCHANGE = "exchange"  # 换货
    RESEND = "resend"  # 补寄 (缺货补寄)
    REPAIR = "repair"  # 维修


#: types whose goods travel back to the merchant (a return parcel can exist).
GOODS_BACK_TYPES = frozenset({CaseType.RETURN_REFUND, CaseType.EXCHANGE, CaseType.REPAIR})


class PlatformCaseStatus(IntEnum):
    """PDD ``after_sales_status`` (pdd-reference §4.2), the same on orders, list records and details."""

    NONE = 0
    REFUND_REQUESTED = 2
    RETURN_REQUESTED = 3
    MERCHANT_AGREED_REFUNDING = 4
    PLATFORM_AGREED_REFUNDING = 5
    REJECTED_WAITING_BUYER = 6
    RETURN_AGREED_WAITING_BUYER_SHIPMENT = 7
    PLATFORM_PROCESSING = 8
    PLATFORM_REFUSED_CLOSED = 9
    REFUNDED = 10
    BUYER_WITHDREW = 11
    BUYER_OVERDUE_FAILED = 12
    BUYER_OVERDUE_EXPIRED = 13
    EXCHANGE_WAITING_MERCHANT = 14
    EXCHANGE_WAITING_BUYER = 15
    EXCHANGE_SUCCEEDED = 16
    EXCHANGE_FAILED = 17
    EXCHANGE_WAITING_BUYER_CONFIRMATION = 18
    REPAIR_WAITING_MERCHANT = 21
    WAITING_BUYER_SHIPMENT = 22
    REPAIR_CLOSED = 24
    REPAIR_SUCCEEDED = 25
    WAITING_BUYER_RECEIPT = 27
    REFUSAL_AGREED_WAITING_BUYER = 31
    RESEND_WAITING_MERCHANT_SHIPMENT = 32
    RECALL_WAITING_MERCHANT = 33

    @property
    def name_zh(self) -> str:
        return STATUS_NAMES[self][0]

    @property
    def name_en(self) -> str:
        return STATUS_NAMES[self][1]


P = PlatformCaseStatus

#: (Chinese as PDD writes it, English) for every §4.2 value.
STATUS_NAMES: dict[PlatformCaseStatus, tuple[str, str]] = {
    P.NONE: ("无售后", "no after-sales"),
    P.REFUND_REQUESTED: ("买家申请退款，待商家处理", "buyer asked for a refund, waiting on the merchant"),
    P.RETURN_REQUESTED: ("退货退款，待商家处理", "return and refund, waiting on the merchant"),
    P.MERCHANT_AGREED_REFUNDING: ("商家同意退款，退款中", "merchant agreed, refund in progress"),
    P.PLATFORM_AGREED_REFUNDING: ("平台同意退款，退款中", "platform agreed, refund in progress"),
    P.REJECTED_WAITING_BUYER: ("驳回退款，待买家处理", "refund rejected, waiting on the buyer"),
    P.RETURN_AGREED_WAITING_BUYER_SHIPMENT: (
        "已同意退货退款，待用户发货",
        "return agreed, waiting for the buyer to send the goods back",
    ),
    P.PLATFORM_PROCESSING: ("平台处理中", "platform is handling it"),
    P.PLATFORM_REFUSED_CLOSED: ("平台拒绝退款，退款关闭", "platform refused the refund, closed"),
    P.REFUNDED: ("退款成功", "refunded"),
    P.BUYER_WITHDREW: ("买家撤销", "withdrawn by the buyer"),
    P.BUYER_OVERDUE_FAILED: ("买家逾期未处理，退款失败", "buyer did not act in time, refund failed"),
    P.BUYER_OVERDUE_EXPIRED: ("买家逾期，超过有效期", "buyer overdue, request expired"),
    P.EXCHANGE_WAITING_MERCHANT: ("换货补寄待商家处理", "exchange or resend, waiting on the merchant"),
    P.EXCHANGE_WAITING_BUYER: ("换货补寄待用户处理", "exchange or resend, waiting on the buyer"),
    P.EXCHANGE_SUCCEEDED: ("换货补寄成功", "exchange or resend completed"),
    P.EXCHANGE_FAILED: ("换货补寄失败", "exchange or resend failed"),
    P.EXCHANGE_WAITING_BUYER_CONFIRMATION: (
        "换货补寄待用户确认完成",
        "exchange or resend, waiting for the buyer to confirm completion",
    ),
    P.REPAIR_WAITING_MERCHANT: ("待商家同意维修", "repair, waiting for the merchant to agree"),
    P.WAITING_BUYER_SHIPMENT: ("待用户确认发货", "waiting for the buyer to confirm sending the goods"),
    P.REPAIR_CLOSED: ("维修关闭", "repair closed"),
    P.REPAIR_SUCCEEDED: ("维修成功", "repair completed"),
    P.WAITING_BUYER_RECEIPT: ("待用户确认收货", "waiting for the buyer to confirm receipt"),
    P.REFUSAL_AGREED_WAITING_BUYER: (
        "已同意拒收退款，待用户拒收",
        "refund on refused delivery agreed, waiting for the buyer to refuse the parcel",
    ),
    P.RESEND_WAITING_MERCHANT_SHIPMENT: ("补寄待商家发货", "resend, waiting for the merchant to ship"),
    P.RECALL_WAITING_MERCHANT: (
        "(同意召回后退款)待商家召回",
        "refund after recall agreed, waiting for the merchant to recall the parcel",
    ),
}

#: statuses that wait on the merchant; only these carry ``expire_time`` in the detail (§4.2, §4.3).
WAITING_ON_MERCHANT: frozenset[int] = frozenset({2, 3, 14, 21, 32, 33})
#: statuses after which nothing more happens (§4.2).
TERMINAL: frozenset[int] = frozenset({9, 10, 11, 12, 13, 16, 17, 24, 25})
REFUND_SUCCEEDED = P.REFUNDED


def platform_status(code: int) -> PlatformCaseStatus:
    """The §4.2 value ``code``; raises :class:`UnknownCaseStatus` for anything else."""
    try:
        return PlatformCaseStatus(code)
    except ValueError:
        raise UnknownCaseStatus(status=code) from None


def status_name_zh(code: int) -> str:
    """PDD's own Chinese name of a status; raises :class:`UnknownCaseStatus` for an unknown code."""
    return platform_status(code).name_zh


def status_name_en(code: int) -> str:
    """An English name of a status; raises :class:`UnknownCaseStatus` for an unknown code."""
    return platform_status(code).name_en


def waiting_on_merchant(code: int) -> bool:
    """Whether the platform waits on the merchant (2, 3, 14, 21, 32, 33): the case has a deadline."""
    return code in WAITING_ON_MERCHANT


def is_terminal(code: int) -> bool:
    """Whether the case is over on the platform (9, 10, 11, 12, 13, 16, 17, 24, 25)."""
    return code in TERMINAL


def refund_succeeded(code: int) -> bool:
    """Whether the platform paid the refund (10 退款成功)."""
    return code == REFUND_SUCCEEDED


@dataclass(frozen=True, slots=True)
class CaseGoods:
    """The goods the case is about (one SKU per case on PDD)."""

    goods_id: str = ""
    sku_id: str = ""
    outer_id: str = ""  # 商家编码 (SKU level)
    quantity: int = 0
    goods_name: str = ""
    outer_goods_id: str = ""


@dataclass(frozen=True, slots=True)
class CanonicalCase:
    """One after-sales case as the platform last described it.

    ``tracking_number``/``shipping_name`` are the buyer's *return* parcel. ``expire_time`` is the merchant's
    deadline, given only by the detail API and only while the case waits on the merchant. ``confirmed_at`` is
    when the refund went through. ``dispute`` is set when the case is a 纠纷 or the platform intervened.
    """

    after_sales_id: str
    order_sn: str
    case_type: CaseType
    platform_status: int
    refund_amount_fen: int
    created_at: datetime
    updated_at: datetime
    reason: str = ""
    goods: CaseGoods = field(default_factory=CaseGoods)
    order_amount_fen: int = 0
    tracking_number: str = ""
    shipping_name: str = ""
    expire_time: datetime | None = None
    confirmed_at: datetime | None = None
    speed_refund: bool = False
    user_shipping_status: int = 0  # 1 buyer says not received, 2 received, 0 not given
    dispute: bool = False
    images_count: int = 0
    buyer_remark: str = ""

    def __post_init__(self) -> None:
        if not self.after_sales_id:
            raise InvalidCase(after_sales_id="<none>", field="after_sales_id", reason=Text("is empty"))
        if not self.order_sn:
            self._refuse("order_sn", "is empty")
        for name in ("refund_amount_fen", "order_amount_fen", "images_count"):
            if getattr(self, name) < 0:
                self._refuse(name, f"is negative ({getattr(self, name)})")
        if self.goods.quantity < 0:
            self._refuse("goods.quantity", f"is negative ({self.goods.quantity})")
        for name in ("created_at", "updated_at", "expire_time", "confirmed_at"):
            moment = getattr(self, name)
            if moment is not None and moment.utcoffset() != timedelta(0):
                self._refuse(name, f"must be an aware UTC datetime, not {moment!r}")

    def _refuse(self, name: str, reason: str) -> None:
        raise InvalidCase(after_sales_id=self.after_sales_id, field=name, reason=reason)

    @property
    def waiting_on_merchant(self) -> bool:
        return waiting_on_merchant(self.platform_status)

    @property
    def is_terminal(self) -> bool:
        return is_terminal(self.platform_status)

    @property
    def refund_succeeded(self) -> bool:
        return refund_succeeded(self.platform_status)
