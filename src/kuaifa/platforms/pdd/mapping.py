"""PDD order object → :class:`~kuaifa.domain.orders.canonical.CanonicalOrder` (pdd-reference §2.2).

What the platform says, normalised, nothing decided: the three status axes and the review flags as given;
amounts from yuan floats to integer fen exactly (a double within 1e-6 of a whole fen is that fen, anything else
refused); Beijing time strings to aware UTC, an empty string meaning "not yet"; the receiver as the platform hands
it out (ciphertext only while 待发货 and not under review, otherwise empty) with the masked values for display;
``order_tag_list`` entries with value 1 as tags, ``ship_hold`` among them. ids become strings (the 2026 doc
types them STRING, older SDKs long).

A payload that does not fit raises :class:`OrderMappingError` naming the order and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from enum import IntEnum
from typing import Any, TypeVar

from kuaifa.domain.orders.canonical import (
    CanonicalLine,
    CanonicalOrder,
    ConfirmStatus,
    PlatformOrderStatus,
    PlatformRefundStatus,
    Receiver,
)
from kuaifa.domain.shared.errors import InvalidMoney
from kuaifa.domain.shared.money import platform_yuan_to_fen
from kuaifa.platforms.pdd.beijing_time import parse_beijing

SHIP_HOLD_TAG = "ship_hold"

E = TypeVar("E", bound=IntEnum)


class OrderMappingError(ValueError):
    """A PDD order object is malformed: ``field`` of order ``order_sn`` could not be read."""

    code = "pdd.order_malformed"

    def __init__(self, order_sn: str, field: str, reason: str) -> None:
        self.order_sn = order_sn
        self.field = field
        self.reason = reason
        super().__init__(f"PDD order {order_sn or '<no order_sn>'}: field {field}: {reason}")


def parse_integer(value: object) -> int:
    """An integer as PDD sends one: an int, a digit string, or a whole float; booleans and anything else refused."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(value)


def order_from_pdd(obj: Mapping[str, Any]) -> CanonicalOrder:
    """Map one order object from ``pdd.order.information.get`` / the increment or list APIs."""
    if not isinstance(obj, Mapping):
        raise OrderMappingError("", "<order>", f"expected an object, got {type(obj).__name__}")
    order_sn = obj.get("order_sn")
    if not isinstance(order_sn, str) or not order_sn.strip():
        raise OrderMappingError("", "order_sn", f"missing or not a non-empty string: {order_sn!r}")
    read = _Reader(obj, order_sn)
    tags = read.tags()
    return CanonicalOrder(
        order_sn=order_sn,
        lines=read.lines(),
        order_status=read.enum("order_status", PlatformOrderStatus, default=None),
        refund_status=read.enum("refund_status", PlatformRefundStatus, default=None),
        after_sales_status=read.integer("after_sales_status", default=0),
        confirm_status=read.enum("confirm_status", ConfirmStatus, default=ConfirmStatus.CONFIRMED),
        risk_control_status=read.integer("risk_control_status", default=0),
        ship_hold=SHIP_HOLD_TAG in tags,
        is_pre_sale=read.integer("is_pre_sale", default=0) == 1,
        tags=tags,
        goods_amount_fen=read.fen("goods_amount"),
        discount_amount_fen=read.fen("discount_amount"),
        platform_discount_fen=read.fen("platform_discount"),
        seller_discount_fen=read.fen("seller_discount"),
        postage_fen=read.fen("postage"),
        pay_amount_fen=read.fen("pay_amount"),
        receiver=read.receiver(),
        buyer_memo=read.text("buyer_memo"),
        remark=read.text("remark"),
        created_at=read.time("created_time"),
        paid_at=read.time("pay_time"),
        confirmed_at=read.time("confirm_time"),
        last_ship_time=read.time("last_ship_time"),
        pre_sale_time=read.time("pre_sale_time"),
        shipped_at=read.time("shipping_time"),
        received_at=read.time("receive_time"),
        updated_at=read.time("updated_at"),
        logistics_id=read.integer("logistics_id", default=0),
        tracking_number=read.text("tracking_number"),
    )


class _Reader:
    """Field readers for one order; every failure names the order and the field (``item_list[1].goods_price``)."""

    def __init__(self, obj: Mapping[str, Any], order_sn: str) -> None:
        self.obj = obj
        self.order_sn = order_sn
        self._nested: dict[str, Mapping[str, Any]] = {}  # label → nested object being read (an item, a tag)

    def fail(self, field: str, reason: str) -> OrderMappingError:
        return OrderMappingError(self.order_sn, field, reason)

    def _get(self, key: str, within: str) -> object:
        """The raw value of ``key`` in the order (``within=""``) or in a nested object."""
        return self.obj.get(key) if not within else self._nested[within].get(key)

    @staticmethod
    def _label(key: str, within: str) -> str:
        """The field's name in errors (``item_list[1].goods_price``), built only when one is raised."""
        return f"{within}.{key}" if within else key

    def integer(self, key: str, *, default: int | None, within: str = "") -> int:
        """An integer field; ints and digit strings are read, a missing/null field takes ``default``."""
        value = self._get(key, within)
        if value.__class__ is int:  # the common case first: a plain JSON integer (not a bool)
            return value  # type: ignore[return-value]
        if value is None or value == "":
            if default is None:
                raise self.fail(self._label(key, within), "missing")
            return default
        try:
            return parse_integer(value)
        except ValueError:
            raise self.fail(self._label(key, within), f"expected an integer, got {value!r}") from None

    def enum(self, field: str, enum: type[E], *, default: E | None) -> E:
        value = self.integer(field, default=None if default is None else int(default))
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(str(int(member)) for member in enum)
            raise self.fail(field, f"{value} is not one of {allowed}") from None

    def fen(self, key: str, *, within: str = "") -> int:
        """A yuan amount as integer fen; missing or null is 0 (the SDK types amounts as nullable doubles)."""
        value = self._get(key, within)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise self.fail(self._label(key, within), f"expected a yuan amount, got {type(value).__name__} {value!r}")
        try:
            return platform_yuan_to_fen(value)
        except InvalidMoney as exc:
            raise self.fail(self._label(key, within), exc.message) from None

    def text(self, key: str, *, within: str = "") -> str:
        value = self._get(key, within)
        if value.__class__ is str:
            return value  # type: ignore[return-value]
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(self._label(key, within), f"expected a string, got {type(value).__name__} {value!r}")
        return str(value)

    def time(self, field: str) -> datetime | None:
        value = self.obj.get(field)
        try:
            return parse_beijing(value)
        except ValueError:
            raise self.fail(field, f"expected 'yyyy-MM-dd HH:mm:ss' Beijing time or '', got {value!r}") from None

    def tags(self) -> tuple[str, ...]:
        raw = self.obj.get("order_tag_list")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail("order_tag_list", f"expected a list, got {type(raw).__name__}")
        names: set[str] = set()
        for index, entry in enumerate(raw):
            if entry.__class__ is dict and entry.get("value").__class__ is int and entry.get("name").__class__ is str:
                if entry["value"] == 1:  # the common shape, read without building a label
                    names.add(entry["name"])
                continue
            where = f"order_tag_list[{index}]"
            if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
                raise self.fail(where, f"expected {{name, value}}, got {entry!r}")
            self._nested[where] = entry
            if self.integer("value", default=0, within=where) == 1:
                names.add(entry["name"])
        return tuple(sorted(names))  # sorted: the platform's order of tags carries no meaning

    def lines(self) -> tuple[CanonicalLine, ...]:
        raw = self.obj.get("item_list")
        if not isinstance(raw, list) or not raw:
            raise self.fail("item_list", f"expected a non-empty list of items, got {raw!r}")
        lines = []
        for index, item in enumerate(raw):
            where = f"item_list[{index}]"
            if item.__class__ is not dict and not isinstance(item, Mapping):
                raise self.fail(where, f"expected an object, got {item!r}")
            self._nested[where] = item
            quantity = self.integer("goods_count", default=None, within=where)
            if quantity < 1:
                raise self.fail(f"{where}.goods_count", f"must be at least 1, got {quantity}")
            lines.append(
                CanonicalLine(
                    quantity=quantity,
                    unit_price_fen=self.fen("goods_price", within=where),
                    goods_id=self.text("goods_id", within=where),
                    platform_sku_id=self.text("sku_id", within=where),
                    outer_id=self.text("outer_id", within=where),
                    outer_goods_id=self.text("outer_goods_id", within=where),
                    goods_name=self.text("goods_name", within=where),
                    goods_spec=self.text("goods_spec", within=where),
                )
            )
        return tuple(lines)

    def receiver(self) -> Receiver:
        """Plain region, ciphertext name/phone/address (``receiver_address`` has no province/city/district; the
        full ``address`` is the fallback), their masks, and the merge-ship key ``open_address_id``."""
        return Receiver(
            province=self.text("province"),
            city=self.text("city"),
            town=self.text("town"),
            name=self.text("receiver_name"),
            phone=self.text("receiver_phone"),
            address=self.text("receiver_address") or self.text("address"),
            name_mask=self.text("receiver_name_mask"),
            phone_mask=self.text("receiver_phone_mask"),
            address_mask=self.text("receiver_address_mask") or self.text("address_mask"),
            open_address_id=self.text("open_address_id"),
            is_plaintext=False,
        )
