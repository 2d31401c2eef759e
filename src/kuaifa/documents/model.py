"""The plain data the renderers print. Services build these from stored rows; nothing here touches a database.

Receiver fields may hold plaintext (manual orders) or the platform's masks: the renderers mask them either way
(``kuaifa.domain.fulfilment.masking``) unless the receiver is marked ``full`` — the merchant's own order (manual,
reissue) on a label, whose carrier needs the whole address and phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str
    phone: str
    province: str
    city: str
    town: str
    address: str  # the detailed part, without province/city/town
    full: bool = False  # print as given (the merchant's own order on a label), else masked


@dataclass(frozen=True, slots=True)
class Sender:
    """The merchant's own return details, printed as given."""

    name: str
    phone: str
    address: str


@dataclass(frozen=True, slots=True)
class ContentLine:
    sku_code: str
    quantity: int


@dataclass(frozen=True, slots=True)
class LabelData:
    """One 100 × 180 mm shipping label."""

    carrier_name: str
    tracking_number: str
    receiver: Receiver
    sender: Sender
    order_sns: tuple[str, ...]
    contents: tuple[ContentLine, ...]
    printed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PickRow:
    bin_location: str
    sku_code: str
    name: str
    quantity: int
    slots: tuple[tuple[int, int], ...]  # (slot number, quantity)
    spec: str = ""  # 规格


@dataclass(frozen=True, slots=True)
class PickListData:
    """An A4 pick list for one wave; rows print in bin-location order."""

    wave_id: str
    created_at: datetime  # timezone-aware; printed in Asia/Shanghai
    rows: tuple[PickRow, ...]
    order_count: int
    warehouse: str = ""
    slot_orders: tuple[tuple[int, str, int], ...] = ()  # (slot, order number, units): which order each slot holds


@dataclass(frozen=True, slots=True)
class SlipLine:
    sku_code: str
    name: str
    quantity: int
    spec: str = ""
    enclosures: tuple[str, ...] = ()  # what goes in with this SKU: 说明书, 赠品, 气泡膜…


@dataclass(frozen=True, slots=True)
class PackingSlipData:
    """A 发货单: what the parcel holds and every enclosure to put in."""

    shop_name: str
    order_sns: tuple[str, ...]
    receiver: Receiver
    lines: tuple[SlipLine, ...]
    parcel_enclosures: tuple[str, ...] = ()  # for the whole parcel, e.g. 发票
    buyer_memo: str = ""
    carrier_name: str = ""
    tracking_number: str = ""
    created_at: datetime | None = None  # timezone-aware; printed in Asia/Shanghai
