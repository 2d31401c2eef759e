"""The simulated shop's records: what to simulate (:class:`ShopConfig`), every version of every order
(:class:`OrderVersion`, full PDD order objects) and of every after-sales case (:class:`RefundCase`, in the
simulator's own shape: the gateway renders the list and detail codings from it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kuaifa.platforms.sim.catalog import SimSku
from kuaifa.platforms.sim.clock import beijing_midnight

HOUR = 3600
DAY = 86_400
DEFAULT_START = date(2026, 3, 2)

# after-sales kinds, kept in one internal spelling; the gateway owns the two numeric codings
REFUND_ONLY = "refund_only"
RETURN_REFUND = "return_refund"
EXCHANGE = "exchange"
RESEND = "resend"
REPAIR = "repair"
AFTER_SALES_KINDS = (REFUND_ONLY, RETURN_REFUND, EXCHANGE, RESEND, REPAIR)


@dataclass(frozen=True, slots=True)
class ShopConfig:
    """What to simulate. Shares are probabilities per order (``after_sales_share`` per shipped order)."""

    seed: int = 1
    start: date = DEFAULT_START
    days: int = 1
    orders_per_day: int = 300
    peak_multiplier: float = 3.0
    peak_hours: tuple[int, ...] = (10, 11, 20, 21)
    pre_sale_share: float = 0.05
    risk_share: float = 0.05
    ship_hold_share: float = 0.04
    memo_share: float = 0.12
    update_share: float = 0.15
    cancel_share: float = 0.06
    ship_share: float = 0.35
    after_sales_share: float = 0.25
    repeat_buyer_share: float = 0.06
    mall_id: int = 880_001
    mall_name: str = "快发模拟旗舰店"
    #: amounts as the platform computes them, in binary doubles (``89.9 * 3`` → ``269.70000000000005``)
    computed_amounts: bool = True
    #: orders whose record cannot be mapped (a goods_count that is not a number), as an odd gateway sends them
    poison_share: float = 0.0


@dataclass(frozen=True, slots=True)
class OrderVersion:
    """The order object as it stood from ``updated_at`` (epoch seconds) until the next version."""

    updated_at: int
    order: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RefundCase:
    """One after-sales case in the simulator's own shape (amounts fen, times epoch seconds)."""

    id: int
    order_sn: str
    kind: str
    status: int
    reason: str
    refund_fen: int
    order_fen: int
    discount_fen: int
    goods_price_fen: int
    goods_number: int
    goods_id: int
    goods_name: str
    sku_id: int
    outer_id: str
    outer_goods_id: str
    created_at: int
    updated_at: int
    order_shipped: bool
    confirm_at: int | None = None  # when the refund went through
    expire_at: int | None = None  # merchant's deadline while waiting on the merchant
    return_tracking_number: str = ""
    return_shipping_name: str = ""
    speed_refund: bool = False
    remark: str = ""


@dataclass
class SimShop:
    """The generated shop: every version of every order and case, oldest first."""

    config: ShopConfig
    catalog: tuple[SimSku, ...]
    orders: dict[str, list[OrderVersion]] = field(default_factory=dict)
    refunds: dict[int, list[RefundCase]] = field(default_factory=dict)

    @property
    def start_ts(self) -> int:
        return beijing_midnight(self.config.start.year, self.config.start.month, self.config.start.day)

    @property
    def end_ts(self) -> int:
        """End of the simulated arrival days (later versions may fall after it)."""
        return self.start_ts + self.config.days * DAY


#: after-sales statuses that wait on the merchant; the merchant has this long to act (a simulator choice)
WAITING_ON_MERCHANT = frozenset({2, 3, 14, 21, 32, 33})
MERCHANT_RESPONSE_S = 48 * HOUR


def copy_order(order: dict[str, Any]) -> dict[str, Any]:
    """A copy deep enough that changing it cannot change a stored version (nested lists of dicts included)."""
    copied: dict[str, Any] = {}
    for key, value in order.items():
        if isinstance(value, dict):
            copied[key] = dict(value)
        elif isinstance(value, list):
            copied[key] = [dict(entry) if isinstance(entry, dict) else entry for entry in value]
        else:
            copied[key] = value
    return copied
