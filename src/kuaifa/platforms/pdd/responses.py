"""Typed results of the PDD convenience calls (shapes from pdd-reference §2.1, §3.1, §4.1, §1.5).

Order and refund records stay the platform's dicts: the mapping to canonical objects is a separate step
(:mod:`kuaifa.platforms.pdd.mapping`), so a sync can store what the platform said before interpreting it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class OrderPage:
    """One page of ``pdd.order.number.list.increment.get`` or ``pdd.order.list.get``.

    ``total_count`` is only present when the call asked for it (``use_has_next=false``); ``has_next`` always is.
    """

    orders: list[dict[str, Any]]
    has_next: bool
    total_count: int | None = None


@dataclass(frozen=True, slots=True)
class RefundPage:
    """One page of ``pdd.refund.list.increment.get``: list records, type coded 2..6, amounts as yuan strings."""

    refunds: list[dict[str, Any]]
    total_count: int
    page: int
    page_size: int

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total_count


@dataclass(frozen=True, slots=True)
class LogisticsCompany:
    """A carrier from ``pdd.logistics.companies.get``; shipping must use an ``available`` id."""

    id: int
    name: str
    code: str
    available: bool


@dataclass(frozen=True, slots=True)
class ShipResult:
    """Outcome of ``pdd.logistics.online.send``.

    ``already_shipped`` is True when the platform refused a first shipment because the order already carries this
    very carrier and tracking number (e.g. a retry after a lost response): the upload is done, nothing to repeat.
    """

    order_sn: str
    logistics_id: int
    tracking_number: str
    already_shipped: bool = False


class ExtraTrackType(IntEnum):
    """``extra_track_type`` of ``pdd.order.upload.extra.logistics`` (§3.1); the order object lists the waybills of
    each type in its own list (§2.2)."""

    PARCEL_SPLIT = 1  # 分包发货 → extra_delivery_list
    RESEND = 2  # 补发商品 → resend_delivery_list
    GIFT = 3  # 发放赠品 → gift_delivery_list


@dataclass(frozen=True, slots=True)
class RefundDecisionResult:
    """Outcome of ``pdd.refund.agree`` / ``pdd.refund.returngoods.agree`` (§4.1).

    ``already`` is True when the platform refused because the case already stands where the agreement leads (agreed,
    refunding or refunded; for a return, the return agreed): e.g. a retry after a lost answer. Nothing is left to do,
    and ``after_sales_status`` is the status the case was read at. ``message`` is the platform's text.
    """

    order_sn: str
    after_sales_id: str
    already: bool = False
    message: str = ""
    after_sales_status: int | None = None


@dataclass(frozen=True, slots=True)
class ReturnAddress:
    """One of the shop's return addresses (退货地址库, ``pdd.refund.address.list.get``); ``id`` is the
    ``return_address_id`` an agreed return names."""

    id: int
    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str
    is_default: bool = False
    tel: str = ""
    province_id: int = 0
    city_id: int = 0
    district_id: int = 0


@dataclass(frozen=True, slots=True)
class OrderStatusRow:
    """One row of ``pdd.order.status.get``; ``order_status`` 0 means 异常 (e.g. unknown order)."""

    order_sn: str
    order_status: int
    refund_status: int


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """The token fields of ``pdd.pop.auth.token.create`` / ``.refresh`` (§1.5); times are epoch seconds."""

    access_token: str
    refresh_token: str
    expires_at: int
    refresh_token_expires_at: int
    owner_id: str = ""
    owner_name: str = ""
    scope: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
