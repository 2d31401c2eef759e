"""The port every sales platform adapter implements, and the one error type services see from it.

Services name only :class:`SalesPlatform`; the edges (CLI, tasks) build the concrete adapter — the PDD open API, or
the same client pointed at the simulator — and hand it in. So sync, shipping uploads and after-sales work the same
against the real gateway and the simulator, and services never import a platform package.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from kuaifa.domain.aftersales.canonical import CanonicalCase
from kuaifa.domain.orders.canonical import CanonicalOrder
from kuaifa.domain.shared.errors import DomainError


class PlatformError(DomainError):
    """A call to the platform failed. ``retryable``: try again later (back off); else a person must act."""

    code = "platform.error"
    template = "The platform refused the call: %(detail)s"

    def __init__(self, detail: str, *, code: str = "platform.error", retryable: bool = False,
                 platform_code: str = "") -> None:  # fmt: skip
        super().__init__(detail=detail)
        self.code = code
        self.retryable = retryable
        self.platform_code = platform_code


@dataclass(frozen=True, slots=True)
class Unmapped:
    """A record the platform sent that could not be read, kept whole so nothing is dropped (quarantine).

    ``key`` names it on the platform (an order_sn, an after-sales id; a digest of the record when not even that
    could be read); ``raw`` is the record as received (JSON), mapped again by the same adapter after a fix.
    """

    key: str
    raw: Any
    code: str
    message: str
    updated_at: datetime | None = None


class RecordUnreadable(PlatformError):
    """The platform answered, but its record could not be mapped; ``record`` holds it raw for the quarantine."""

    def __init__(self, record: Unmapped) -> None:
        super().__init__(record.message, code="platform.bad_payload", retryable=False)
        self.record = record


T = TypeVar("T")


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """What one fetch brought: the records that mapped, those that did not (each on its own), and how many were
    left unmapped because the caller already held that very copy (``skipped``, see :data:`HeldCopies`)."""

    items: list[T] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.items) + len(self.unmapped) + self.skipped


#: Given ``(platform key, updated_at)`` of fetched records, the keys whose copy the caller needs no more: it holds
#: this copy or a newer one. An adapter leaves those records out before mapping them.
HeldCopies = Callable[[Sequence[tuple[str, datetime]]], Collection[str]]


@dataclass(frozen=True, slots=True)
class CallFailure:
    """One failed platform call, whether or not a retry then got through (``retried``); sync health counts them."""

    api: str
    code: str  # the platform's error code, an HTTP status ("http_429"), or "transport"
    message: str
    retried: bool
    rate_limited: bool


@dataclass(frozen=True, slots=True)
class ShipAck:
    """The platform accepted the tracking number; ``already`` when it already held exactly this shipment."""

    already: bool = False


@dataclass(frozen=True, slots=True)
class Carrier:
    platform_id: int
    name: str
    code: str
    available: bool


class SalesPlatform(Protocol):
    def platform_now(self) -> datetime:
        """The platform's clock (aware UTC): sync windows must end a few minutes before it."""
        ...

    def calibrate(self) -> None:
        """Measure the platform's clock against ours, before a sync lays out its windows."""
        ...

    def orders_updated(
        self, start: datetime, end: datetime, *, held: HeldCopies | None = None
    ) -> Fetched[CanonicalOrder]:
        """Every order updated in [start, end] (≤ 30 min), one copy each, the newest; unreadable ones apart. Copies
        ``held`` names are counted in ``skipped`` and not mapped."""
        ...

    def orders_confirmed(self, start: datetime, end: datetime) -> Fetched[CanonicalOrder]:
        """Every order confirmed (成交) in [start, end] (≤ 24 h): backfill and reconciliation."""
        ...

    def order(self, order_sn: str) -> CanonicalOrder | None:
        """One order, or None when the platform does not know it (yet); :class:`RecordUnreadable` if it does not
        map."""
        ...

    def map_order(self, raw: Any) -> CanonicalOrder:
        """Map a stored raw order record again (a quarantine retry); raises :class:`RecordUnreadable`."""
        ...

    def map_case(self, raw: Any) -> CanonicalCase:
        """Map a stored raw after-sales record again; raises :class:`RecordUnreadable`."""
        ...

    def call_failures(self) -> list[CallFailure]:
        """The failed calls since the last time this was asked (retried or not), for sync health; clears them."""
        ...

    def ship(self, order_sn: str, logistics_id: int, tracking_number: str, *, correction: bool = False) -> ShipAck:
        """Tell the platform the parcel left with this tracking number (idempotent)."""
        ...

    def orders_with_open_refund(self, order_sns: Sequence[str]) -> set[str]:
        """Which of these orders have a refund or after-sales case open right now (pre-ship check)."""
        ...

    def carriers(self) -> Sequence[Carrier]: ...

    def cases_updated(self, start: datetime, end: datetime) -> Fetched[CanonicalCase]:
        """Every after-sales case updated in [start, end] (≤ 30 min); cases waiting on the merchant carry their
        ``expire_time`` (read from the case detail)."""
        ...

    def case(self, order_sn: str, after_sales_id: str) -> CanonicalCase | None:
        """One case in full, or None when the platform does not show it (yet)."""
        ...

    def agree_refund(self, order_sn: str, after_sales_id: str, *, note: str = "") -> ShipAck:
        """Agree to refund (pdd.refund.agree); ``already`` when the case had moved on to that decision."""
        ...

    def agree_return(self, order_sn: str, after_sales_id: str, return_address_id: int, *, note: str = "") -> ShipAck:
        """Agree to a return (pdd.refund.returngoods.agree) to one of the shop's return addresses."""
        ...

    def upload_extra_parcels(self, order_sn: str, kind: int, parcels: Sequence[tuple[int, str]]) -> bool:
        """Extra waybills of a shipped order (pdd.order.upload.extra.logistics): 1 split parcel, 2 resent goods,
        3 gift."""
        ...

    def ship_replacement(
        self, order_sn: str, after_sales_id: str, logistics_id: int, carrier_name: str, tracking_number: str
    ) -> ShipAck:
        """The replacement of an exchange or resend left (pdd.refund.exchange.shipping); ``order_sn`` is the
        buyer's original order. ``already`` when the case had moved past the shipment."""
        ...
