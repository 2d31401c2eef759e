"""The canonical order: what every intake path (open API, export file, manual entry) is normalised to.

Platform adapters build these; the ingest service stores them. Money is fen, times are aware UTC datetimes.
Receiver fields hold what the platform gave: ciphertext and masks from PDD's API, masked values from exports,
plaintext only for manual orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum


class PlatformOrderStatus(IntEnum):
    """PDD ``order_status`` (发货状态)."""

    AWAITING_SHIPMENT = 1  # 待发货
    SHIPPED = 2  # 已发货待签收
    RECEIVED = 3  # 已签收


class PlatformRefundStatus(IntEnum):
    """PDD ``refund_status`` (the summary axis)."""

    NONE = 1  # 无售后或售后关闭
    IN_PROGRESS = 2  # 售后处理中
    REFUNDING = 3  # 退款中
    REFUNDED = 4  # 退款成功


class ConfirmStatus(IntEnum):
    """PDD ``confirm_status`` (成交状态)."""

    UNCONFIRMED = 0
    CONFIRMED = 1
    CANCELLED = 2


@dataclass(frozen=True, slots=True)
class CanonicalLine:
    quantity: int
    unit_price_fen: int
    goods_id: str = ""
    platform_sku_id: str = ""
    outer_id: str = ""  # 商家编码 (SKU level)
    outer_goods_id: str = ""
    goods_name: str = ""
    goods_spec: str = ""


@dataclass(frozen=True, slots=True)
class Receiver:
    province: str = ""
    city: str = ""
    town: str = ""
    name: str = ""  # ciphertext (platform API) or plaintext (manual orders); empty when the platform hides it
    phone: str = ""
    address: str = ""
    name_mask: str = ""
    phone_mask: str = ""
    address_mask: str = ""
    open_address_id: str = ""  # PDD merge-ship key
    is_plaintext: bool = False

    @property
    def is_complete(self) -> bool:
        """Enough to ship: the region, and a detailed address in some form (cipher, mask or plain)."""
        return bool(self.province and self.city and (self.address or self.address_mask))


@dataclass(frozen=True, slots=True)
class CanonicalOrder:
    order_sn: str
    lines: tuple[CanonicalLine, ...]
    order_status: PlatformOrderStatus = PlatformOrderStatus.AWAITING_SHIPMENT
    refund_status: PlatformRefundStatus = PlatformRefundStatus.NONE
    after_sales_status: int = 0
    confirm_status: ConfirmStatus = ConfirmStatus.CONFIRMED
    risk_control_status: int = 0
    ship_hold: bool = False
    is_pre_sale: bool = False
    tags: tuple[str, ...] = ()
    goods_amount_fen: int = 0
    discount_amount_fen: int = 0
    platform_discount_fen: int = 0
    seller_discount_fen: int = 0
    postage_fen: int = 0
    pay_amount_fen: int = 0
    receiver: Receiver = field(default_factory=Receiver)
    buyer_memo: str = ""
    remark: str = ""
    created_at: datetime | None = None
    paid_at: datetime | None = None
    confirmed_at: datetime | None = None
    last_ship_time: datetime | None = None
    pre_sale_time: datetime | None = None
    shipped_at: datetime | None = None
    received_at: datetime | None = None
    updated_at: datetime | None = None  # None for export files, which carry no update time
    logistics_id: int = 0
    tracking_number: str = ""
