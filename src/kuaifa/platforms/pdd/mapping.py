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
    if obj.__class__ is not dict and not isinstance(obj, Mapping):
        raise OrderMappingError("", "<order>", f"expected an object, got {type(obj).__name__}")
    sn = obj.get("order_sn")
    if not isinstance(sn, str) or not sn.strip():
        raise OrderMappingError("", "order_sn", f"missing or not a non-empty string: {sn!r}")
    tags = _tags(obj, sn)
    return CanonicalOrder(
        order_sn=sn,
        lines=_lines(obj, sn),
        order_status=_enum(obj, sn, "order_status", _ORDER_STATUSES, None),
        refund_status=_enum(obj, sn, "refund_status", _REFUND_STATUSES, None),
        after_sales_status=_integer(obj, sn, "after_sales_status", 0),
        confirm_status=_enum(obj, sn, "confirm_status", _CONFIRM_STATUSES, ConfirmStatus.CONFIRMED),
        risk_control_status=_integer(obj, sn, "risk_control_status", 0),
        ship_hold=SHIP_HOLD_TAG in tags,
        is_pre_sale=_integer(obj, sn, "is_pre_sale", 0) == 1,
        tags=tags,
        goods_amount_fen=_fen(obj, sn, "goods_amount"),
        discount_amount_fen=_fen(obj, sn, "discount_amount"),
        platform_discount_fen=_fen(obj, sn, "platform_discount"),
        seller_discount_fen=_fen(obj, sn, "seller_discount"),
        postage_fen=_fen(obj, sn, "postage"),
        pay_amount_fen=_fen(obj, sn, "pay_amount"),
        receiver=_receiver(obj, sn),
        buyer_memo=_text(obj, sn, "buyer_memo"),
        remark=_text(obj, sn, "remark"),
        created_at=_time(obj, sn, "created_time"),
        paid_at=_time(obj, sn, "pay_time"),
        confirmed_at=_time(obj, sn, "confirm_time"),
        last_ship_time=_time(obj, sn, "last_ship_time"),
        pre_sale_time=_time(obj, sn, "pre_sale_time"),
        shipped_at=_time(obj, sn, "shipping_time"),
        received_at=_time(obj, sn, "receive_time"),
        updated_at=_time(obj, sn, "updated_at"),
        logistics_id=_integer(obj, sn, "logistics_id", 0),
        tracking_number=_text(obj, sn, "tracking_number"),
    )


# Field readers: each reads ``key`` of ``obj`` (the order, or with ``where`` the nested object it names:
# ``item_list[1]``) and returns its value or raises OrderMappingError naming the order and the field. Plain
# functions, one ``get`` each: a sync maps thousands of orders of ~35 fields.


def _label(key: str, where: str) -> str:
    """The field's name in errors (``item_list[1].goods_price``), built only when one is raised."""
    return f"{where}.{key}" if where else key


def _integer(obj: Mapping[str, Any], sn: str, key: str, default: int | None, where: str = "") -> int:
    """An integer field; ints and digit strings are read, a missing/null field takes ``default``."""
    value = obj.get(key)
    if value.__class__ is int:  # the common case first: a plain JSON integer (not a bool)
        return value
    if value is None or value == "":
        if default is None:
            raise OrderMappingError(sn, _label(key, where), "missing")
        return default
    try:
        return parse_integer(value)
    except ValueError:
        raise OrderMappingError(sn, _label(key, where), f"expected an integer, got {value!r}") from None


def _members(enum: type[E]) -> dict[int, E]:
    return {int(member): member for member in enum}


_ORDER_STATUSES = _members(PlatformOrderStatus)
_REFUND_STATUSES = _members(PlatformRefundStatus)
_CONFIRM_STATUSES = _members(ConfirmStatus)


def _enum(obj: Mapping[str, Any], sn: str, key: str, members: dict[int, E], default: E | None) -> E:
    number = _integer(obj, sn, key, None if default is None else int(default))
    member = members.get(number)
    if member is None:
        raise OrderMappingError(sn, key, f"{number} is not one of {', '.join(map(str, members))}")
    return member


def _fen(obj: Mapping[str, Any], sn: str, key: str, where: str = "") -> int:
    """A yuan amount as integer fen; missing or null is 0 (the SDK types amounts as nullable doubles)."""
    value = obj.get(key)
    if value is None:
        return 0
    if value.__class__ is not float and (isinstance(value, bool) or not isinstance(value, str | int | float | Decimal)):
        raise OrderMappingError(sn, _label(key, where), f"expected a yuan amount, got {type(value).__name__} {value!r}")
    try:
        return platform_yuan_to_fen(value)
    except InvalidMoney as exc:
        raise OrderMappingError(sn, _label(key, where), exc.message) from None


def _text(obj: Mapping[str, Any], sn: str, key: str, where: str = "") -> str:
    value = obj.get(key)
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise OrderMappingError(sn, _label(key, where), f"expected a string, got {type(value).__name__} {value!r}")
    return str(value)


def _time(obj: Mapping[str, Any], sn: str, key: str) -> datetime | None:
    value = obj.get(key)
    try:
        return parse_beijing(value)
    except ValueError:
        raise OrderMappingError(sn, key, f"expected 'yyyy-MM-dd HH:mm:ss' Beijing time or '', got {value!r}") from None


def _tags(obj: Mapping[str, Any], sn: str) -> tuple[str, ...]:
    raw = obj.get("order_tag_list")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise OrderMappingError(sn, "order_tag_list", f"expected a list, got {type(raw).__name__}")
    names: set[str] = set()
    for index, entry in enumerate(raw):
        if entry.__class__ is dict and entry.get("value").__class__ is int and entry.get("name").__class__ is str:
            if entry["value"] == 1:  # the common shape, read without building a label
                names.add(entry["name"])
            continue
        where = f"order_tag_list[{index}]"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise OrderMappingError(sn, where, f"expected {{name, value}}, got {entry!r}")
        if _integer(entry, sn, "value", 0, where) == 1:
            names.add(entry["name"])
    return tuple(sorted(names))  # sorted: the platform's order of tags carries no meaning


def _lines(obj: Mapping[str, Any], sn: str) -> tuple[CanonicalLine, ...]:
    raw = obj.get("item_list")
    if not isinstance(raw, list) or not raw:
        raise OrderMappingError(sn, "item_list", f"expected a non-empty list of items, got {raw!r}")
    lines = []
    for index, item in enumerate(raw):
        where = f"item_list[{index}]"
        if item.__class__ is not dict and not isinstance(item, Mapping):
            raise OrderMappingError(sn, where, f"expected an object, got {item!r}")
        quantity = _integer(item, sn, "goods_count", None, where)
        if quantity < 1:
            raise OrderMappingError(sn, f"{where}.goods_count", f"must be at least 1, got {quantity}")
        lines.append(
            CanonicalLine(
                quantity=quantity,
                unit_price_fen=_fen(item, sn, "goods_price", where),
                goods_id=_text(item, sn, "goods_id", where),
                platform_sku_id=_text(item, sn, "sku_id", where),
                outer_id=_text(item, sn, "outer_id", where),
                outer_goods_id=_text(item, sn, "outer_goods_id", where),
                goods_name=_text(item, sn, "goods_name", where),
                goods_spec=_text(item, sn, "goods_spec", where),
            )
        )
    return tuple(lines)


def _receiver(obj: Mapping[str, Any], sn: str) -> Receiver:
    """Plain region, ciphertext name/phone/address (``receiver_address`` has no province/city/district; the full
    ``address`` is the fallback), their masks, and the merge-ship key ``open_address_id``."""
    return Receiver(
        province=_text(obj, sn, "province"),
        city=_text(obj, sn, "city"),
        town=_text(obj, sn, "town"),
        name=_text(obj, sn, "receiver_name"),
        phone=_text(obj, sn, "receiver_phone"),
        address=_text(obj, sn, "receiver_address") or _text(obj, sn, "address"),
        name_mask=_text(obj, sn, "receiver_name_mask"),
        phone_mask=_text(obj, sn, "receiver_phone_mask"),
        address_mask=_text(obj, sn, "receiver_address_mask") or _text(obj, sn, "address_mask"),
        open_address_id=_text(obj, sn, "open_address_id"),
        is_plaintext=False,
    )
