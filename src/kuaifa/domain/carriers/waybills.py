"""E-waybills (电子面单, cloud print) taken from the platform for a carrier: the port and its value types.

Business rule (pdd-reference §3.1, §9): before a parcel leaves, the merchant takes a waybill number from the
platform for a carrier, by the carrier's **code** (``wp_code``, e.g. ZTO, YTO); the number is printed on the label
and then uploaded with ``pdd.logistics.online.send`` under the carrier's numeric **id**. At most
:data:`MAX_ORDERS_PER_REQUEST` orders go in one request, so providers split larger lists into batches.

The receiver goes as the order holds it — platform ciphertext and masks, never decrypted here (the platform
decrypts for its own waybills); plaintext only for manual orders. The sender is the merchant's shipping address.
Services see only :class:`WaybillProvider`; the edges build the concrete one (the PDD adapter, or the same client
pointed at the simulator). Manual numbers need no provider: they are entered with ``kuaifa ship --tracking``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from kuaifa.domain.orders.canonical import Receiver

#: pdd.waybill.get takes at most 10 trade orders per request (pdd-reference §3.1)
MAX_ORDERS_PER_REQUEST = 10

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class WaybillItem:
    """One line of the parcel's contents as the carrier sees it (package_info.items)."""

    name: str
    count: int

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a waybill item needs a name")
        if self.count < 1:
            raise ValueError(f"a waybill item counts at least 1, not {self.count}")


@dataclass(frozen=True, slots=True)
class WaybillSender:
    """The merchant's ship-from contact and address, printed on every waybill."""

    name: str
    mobile: str
    province: str
    city: str
    district: str
    detail: str

    def __post_init__(self) -> None:
        missing = [n for n in ("name", "mobile", "province", "city", "detail") if not getattr(self, n).strip()]
        if missing:
            raise ValueError(f"the waybill sender needs {', '.join(missing)}")


@dataclass(frozen=True, slots=True)
class WaybillRequest:
    """One order to take a waybill for: its number, its receiver as the order holds it, and its contents."""

    order_sn: str
    receiver: Receiver
    items: tuple[WaybillItem, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.order_sn.strip():
            raise ValueError("a waybill request needs an order number")
        if not self.items:
            raise ValueError(f"order {self.order_sn}: a waybill request needs at least one item")


@dataclass(frozen=True, slots=True)
class IssuedWaybill:
    """A waybill number the platform gave an order for a carrier (by carrier code), with its ``print_data``: the
    platform's encrypted cloud-print payload (encrypted data, signature, template) that only the platform's print
    component can turn into a label (pdd-reference §3.4). Kept as the platform sent it; empty when none came."""

    order_sn: str
    carrier_code: str
    waybill_code: str
    print_data: str = ""

    def __post_init__(self) -> None:
        if not self.order_sn.strip() or not self.carrier_code.strip():
            raise ValueError("an issued waybill needs its order number and carrier code")
        code = self.waybill_code
        if not code or code != code.strip() or any(ch.isspace() for ch in code):
            raise ValueError(f"order {self.order_sn}: {code!r} is not a waybill number")


class WaybillProvider(Protocol):
    def issue(self, carrier_code: str, orders: Sequence[WaybillRequest]) -> Sequence[IssuedWaybill]:
        """One waybill per order for carrier ``carrier_code``; asking again for the same order and carrier gives
        the same number while it is not cancelled. Raises ``PlatformError`` when refused."""
        ...

    def cancel(self, carrier_code: str, waybill_code: str) -> None:
        """Give an unused waybill back (回收); cancelling one already cancelled is not an error."""
        ...


def batches(items: Sequence[T], size: int = MAX_ORDERS_PER_REQUEST) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    if size < 1:
        raise ValueError(f"a batch holds at least 1 item, not {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]
