"""The calls the outbox owes a platform: one typed payload per kind, and the table kind → the call that sends it.

A payload is stored as JSON in ``OutboxEntry.payload`` under its ``kind``. The JSON keeps the shape entries have
always had (``{"order_sn": …, "logistics_id": …}``; ``correction`` only when true), so rows queued before these
types existed are read as they are. Reading refuses a payload that lacks a field or carries one of the wrong type,
naming the entry, the kind and the field; keys no call uses are ignored. An unknown kind is refused by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar, cast

from kuaifa.domain.platform import PlatformError, SalesPlatform

T = TypeVar("T")


class OutboxPayloadError(PlatformError):
    """A stored entry cannot be sent as it is: a person must look (never retried by itself)."""

    template = "%(detail)s"

    def __init__(self, detail: str, *, code: str) -> None:
        super().__init__(detail, code=code, retryable=False)


_REQUIRED: Any = object()


def _get(data: Mapping[str, Any], name: str, kind: type[T], entry: str, default: Any = _REQUIRED) -> T:
    """Field ``name`` of a stored payload, of exactly ``kind`` (a bool is no int here); absent: ``default``."""
    if name not in data:
        if default is _REQUIRED:
            raise OutboxPayloadError(f"{entry}: field {name!r} is missing", code="outbox.bad_payload")
        return cast(T, default)
    value = data[name]
    if type(value) is not kind:
        raise OutboxPayloadError(
            f"{entry}: field {name!r} is {value!r}, not {kind.__name__}", code="outbox.bad_payload"
        )
    return value


@dataclass(frozen=True)
class ShipUpload:
    """Tell the platform an order left with this carrier and number (``correction``: overwrite an earlier one)."""

    kind: ClassVar[str] = "ship"
    order_sn: str
    logistics_id: int
    tracking_number: str
    shipment_id: int | None = None
    correction: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "order_sn": self.order_sn,
            "logistics_id": self.logistics_id,
            "tracking_number": self.tracking_number,
        }
        if self.correction:
            data["correction"] = True
        if self.shipment_id is not None:
            data["shipment_id"] = self.shipment_id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], entry: str) -> Self:
        return cls(
            _get(data, "order_sn", str, entry),
            _get(data, "logistics_id", int, entry),
            _get(data, "tracking_number", str, entry),
            _get(data, "shipment_id", int, entry, None),
            _get(data, "correction", bool, entry, False),
        )

    def shipment_ids(self) -> tuple[int, ...]:
        return () if self.shipment_id is None else (self.shipment_id,)


@dataclass(frozen=True)
class ExtraParcels:
    """Extra waybills of a shipped order (``extra_kind`` 1 split parcel, 2 resent goods, 3 gift), stored under
    ``kind`` as before."""

    kind: ClassVar[str] = "extra_parcels"
    order_sn: str
    extra_kind: int
    parcels: tuple[tuple[int, str], ...]  # (carrier id, tracking number)
    shipments: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "order_sn": self.order_sn,
            "kind": self.extra_kind,
            "parcels": [[logistics_id, number] for logistics_id, number in self.parcels],
            "shipment_ids": list(self.shipments),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], entry: str) -> Self:
        parcels = _get(data, "parcels", list, entry)
        if not all(isinstance(p, list) and len(p) == 2 and type(p[0]) is int and type(p[1]) is str for p in parcels):
            raise OutboxPayloadError(f"{entry}: field 'parcels' is {parcels!r}, not [[carrier id, number], …]",
                                     code="outbox.bad_payload")  # fmt: skip
        shipments = _get(data, "shipment_ids", list, entry, [])
        if not all(type(i) is int for i in shipments):
            raise OutboxPayloadError(f"{entry}: field 'shipment_ids' is {shipments!r}, not a list of ids",
                                     code="outbox.bad_payload")  # fmt: skip
        return cls(
            _get(data, "order_sn", str, entry),
            _get(data, "kind", int, entry),
            tuple((p[0], p[1]) for p in parcels),
            tuple(shipments),
        )

    def shipment_ids(self) -> tuple[int, ...]:
        return self.shipments


@dataclass(frozen=True)
class AgreeRefund:
    """Agree to refund an after-sales case."""

    kind: ClassVar[str] = "agree_refund"
    order_sn: str
    after_sales_id: str
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"order_sn": self.order_sn, "after_sales_id": self.after_sales_id, "note": self.note}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], entry: str) -> Self:
        return cls(
            _get(data, "order_sn", str, entry),
            _get(data, "after_sales_id", str, entry),
            _get(data, "note", str, entry, ""),
        )

    def shipment_ids(self) -> tuple[int, ...]:
        return ()


@dataclass(frozen=True)
class AgreeReturn:
    """Agree to a return of the goods to one of the shop's return addresses."""

    kind: ClassVar[str] = "agree_return"
    order_sn: str
    after_sales_id: str
    return_address_id: int
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"order_sn": self.order_sn, "after_sales_id": self.after_sales_id,
                "return_address_id": self.return_address_id, "note": self.note}  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any], entry: str) -> Self:
        return cls(
            _get(data, "order_sn", str, entry),
            _get(data, "after_sales_id", str, entry),
            _get(data, "return_address_id", int, entry),
            _get(data, "note", str, entry, ""),
        )

    def shipment_ids(self) -> tuple[int, ...]:
        return ()


@dataclass(frozen=True)
class ShipReplacement:
    """The replacement parcel of an exchange or resend left (pdd.refund.exchange.shipping): ``order_sn`` is the
    buyer's original order, the case's; ``shipment_id`` the replacement order's shipment, whose upload state follows
    this call."""

    kind: ClassVar[str] = "exchange_shipping"
    order_sn: str
    after_sales_id: str
    logistics_id: int
    carrier_name: str
    tracking_number: str
    shipment_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"order_sn": self.order_sn, "after_sales_id": self.after_sales_id,
                                "logistics_id": self.logistics_id, "carrier_name": self.carrier_name,
                                "tracking_number": self.tracking_number}  # fmt: skip
        if self.shipment_id is not None:
            data["shipment_id"] = self.shipment_id
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], entry: str) -> Self:
        return cls(
            _get(data, "order_sn", str, entry),
            _get(data, "after_sales_id", str, entry),
            _get(data, "logistics_id", int, entry),
            _get(data, "carrier_name", str, entry),
            _get(data, "tracking_number", str, entry),
            _get(data, "shipment_id", int, entry, None),
        )

    def shipment_ids(self) -> tuple[int, ...]:
        return () if self.shipment_id is None else (self.shipment_id,)


class Payload(Protocol):
    """What every payload offers the outbox."""

    kind: ClassVar[str]

    def to_json(self) -> dict[str, Any]: ...

    def shipment_ids(self) -> tuple[int, ...]: ...


P = TypeVar("P", bound=Payload)


@dataclass(frozen=True)
class Call(Generic[P]):
    """How one kind is read from its stored JSON and sent; ``send`` returns what is stored as the entry's result."""

    read: Callable[[Mapping[str, Any], str], P]
    send: Callable[[P, SalesPlatform], dict[str, Any]]


def _ship(p: ShipUpload, platform: SalesPlatform) -> dict[str, Any]:
    return {"already": platform.ship(p.order_sn, p.logistics_id, p.tracking_number, correction=p.correction).already}


def _extra_parcels(p: ExtraParcels, platform: SalesPlatform) -> dict[str, Any]:
    if not platform.upload_extra_parcels(p.order_sn, p.extra_kind, list(p.parcels)):
        raise PlatformError(f"extra parcels of {p.order_sn} not accepted", code="platform.refused")
    return {"accepted": True}


def _agree_refund(p: AgreeRefund, platform: SalesPlatform) -> dict[str, Any]:
    return {"already": platform.agree_refund(p.order_sn, p.after_sales_id, note=p.note).already}


def _agree_return(p: AgreeReturn, platform: SalesPlatform) -> dict[str, Any]:
    ack = platform.agree_return(p.order_sn, p.after_sales_id, p.return_address_id, note=p.note)
    return {"already": ack.already}


def _ship_replacement(p: ShipReplacement, platform: SalesPlatform) -> dict[str, Any]:
    ack = platform.ship_replacement(p.order_sn, p.after_sales_id, p.logistics_id, p.carrier_name, p.tracking_number)
    return {"already": ack.already}


#: kind → how it is read and sent; the one place a new kind of outbox call is added
CALLS: Mapping[str, Call[Any]] = {
    ShipUpload.kind: Call(ShipUpload.from_json, _ship),
    ExtraParcels.kind: Call(ExtraParcels.from_json, _extra_parcels),
    AgreeRefund.kind: Call(AgreeRefund.from_json, _agree_refund),
    AgreeReturn.kind: Call(AgreeReturn.from_json, _agree_return),
    ShipReplacement.kind: Call(ShipReplacement.from_json, _ship_replacement),
}


def read_payload(kind: str, data: Mapping[str, Any], *, entry_id: int) -> Payload:
    """The typed payload of a stored entry; an unknown kind or a malformed payload is refused by name."""
    call = CALLS.get(kind)
    if call is None:
        raise OutboxPayloadError(
            f"outbox entry {entry_id}: unknown kind {kind!r} (known: {', '.join(sorted(CALLS))})",
            code="outbox.unknown_kind",
        )
    if not isinstance(data, Mapping):
        raise OutboxPayloadError(f"outbox entry {entry_id} ({kind}): the payload is {data!r}, not an object",
                                 code="outbox.bad_payload")  # fmt: skip
    payload: Payload = call.read(data, f"outbox entry {entry_id} ({kind})")
    return payload


def send(payload: Payload, platform: SalesPlatform) -> dict[str, Any]:
    """Make the call ``payload`` stands for."""
    result: dict[str, Any] = CALLS[payload.kind].send(payload, platform)
    return result
