"""PDD after-sales records → :class:`~kuaifa.domain.aftersales.canonical.CanonicalCase` (pdd-reference §4.3).

The two refund APIs describe the same case in two dialects, and each has its own reader:

- :func:`case_from_list` reads a ``pdd.refund.list.increment.get`` record: type in the *list* coding (2 仅退款 …
  6 维修), amounts as yuan strings, times as epoch-second strings (the doc) or Beijing ``yyyy-MM-dd HH:mm:ss``
  strings (seen in practice, and what the simulator sends); no ``expire_time``.
- :func:`case_from_detail` reads a ``pdd.refund.information.get`` object: type in the *detail* coding (1 仅退款 …
  5 维修), amounts as integer fen, ``expire_time`` while the case waits on the merchant, ``confirm_time`` in epoch
  milliseconds; the return waybill is ``express_no``.
- :func:`merge` combines the two views of one case, the detail winning.

Times are read in any of the platform's forms: a Beijing time string, or an epoch number (int or digit string)
in seconds or milliseconds (≥ 10¹¹ is milliseconds: as seconds that would be after the year 5000). Empty, null
and 0 mean "not happened". Amounts are exact: yuan through :func:`~kuaifa.domain.shared.money.platform_yuan_to_fen`, fen
as integers only (a fractional detail amount is refused as a likely yuan value).

A record that does not fit raises :class:`RefundMappingError` naming the case and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kuaifa.domain.aftersales.canonical import CanonicalCase, CaseGoods, CaseType
from kuaifa.domain.aftersales.errors import InvalidCase
from kuaifa.domain.shared.errors import InvalidMoney
from kuaifa.domain.shared.money import platform_yuan_to_fen
from kuaifa.platforms.pdd.aftersales import AfterSalesType, type_from_detail_code, type_from_list_code
from kuaifa.platforms.pdd.beijing_time import parse_beijing
from kuaifa.platforms.pdd.mapping import parse_integer

#: an epoch number at least this large is milliseconds (as seconds it would be after the year 5000).
MILLISECONDS_FROM = 10**11


class RefundMappingError(ValueError):
    """A PDD after-sales record is malformed: ``field`` of case ``after_sales_id`` could not be read."""

    code = "pdd.refund_malformed"

    def __init__(self, after_sales_id: str, field: str, reason: str, *, source: str = "") -> None:
        self.after_sales_id = after_sales_id
        self.field = field
        self.reason = reason
        self.source = source
        where = f" ({source})" if source else ""
        super().__init__(f"PDD after-sales case {after_sales_id or '<no id>'}{where}: field {field}: {reason}")


def case_from_list(record: Mapping[str, Any]) -> CanonicalCase:
    """Map one ``refund_list[]`` record of ``pdd.refund.list.increment.get``."""
    read = _Reader(record, "refund list")
    return read.case(
        case_type=read.case_type(type_from_list_code),
        refund_amount_fen=read.yuan("refund_amount", required=True),
        order_amount_fen=read.yuan("order_amount", required=False),
        tracking_number=read.text("tracking_number"),
        expire_time=None,
        confirmed_at=read.moment("confirm_time", required=False),
        images_count=0,
        buyer_remark="",
    )


def case_from_detail(obj: Mapping[str, Any]) -> CanonicalCase:
    """Map the object ``pdd.refund.information.get`` answers with."""
    read = _Reader(obj, "refund detail")
    return read.case(
        case_type=read.case_type(type_from_detail_code),
        refund_amount_fen=read.fen("refund_amount", required=True),
        order_amount_fen=read.fen("order_amount", required=False),
        tracking_number=read.text("express_no") or read.text("tracking_number"),
        expire_time=read.moment("expire_time", required=False),
        confirmed_at=read.moment("confirm_time", required=False),
        images_count=read.images_count(),
        buyer_remark=read.text("remark"),
    )


def merge(list_case: CanonicalCase, detail_case: CanonicalCase) -> CanonicalCase:
    """One case from its list record and its detail: the detail's value wherever it has one.

    Empty strings, unset times and 0 in optional numbers count as "no value" and fall back to the list's. Flags
    (speed refund, dispute) are set if either source sets them. The two must be the same case of the same order
    with the same decoded type; anything else raises :class:`RefundMappingError` (a type mismatch here means a
    coding table was read with the other API's codes).
    """
    case_id = detail_case.after_sales_id
    for name in ("after_sales_id", "order_sn", "case_type"):
        listed, detailed = getattr(list_case, name), getattr(detail_case, name)
        if listed != detailed:
            raise RefundMappingError(case_id, name, f"the list record says {listed!r}, the detail {detailed!r}")
    listed_goods, goods = list_case.goods, detail_case.goods
    return CanonicalCase(
        after_sales_id=case_id,
        order_sn=detail_case.order_sn,
        case_type=detail_case.case_type,
        platform_status=detail_case.platform_status,
        refund_amount_fen=detail_case.refund_amount_fen,
        created_at=detail_case.created_at,
        updated_at=detail_case.updated_at,
        reason=detail_case.reason or list_case.reason,
        goods=CaseGoods(
            goods_id=goods.goods_id or listed_goods.goods_id,
            sku_id=goods.sku_id or listed_goods.sku_id,
            outer_id=goods.outer_id or listed_goods.outer_id,
            quantity=goods.quantity or listed_goods.quantity,
            goods_name=goods.goods_name or listed_goods.goods_name,
            outer_goods_id=goods.outer_goods_id or listed_goods.outer_goods_id,
        ),
        order_amount_fen=detail_case.order_amount_fen or list_case.order_amount_fen,
        tracking_number=detail_case.tracking_number or list_case.tracking_number,
        shipping_name=detail_case.shipping_name or list_case.shipping_name,
        expire_time=detail_case.expire_time,
        confirmed_at=detail_case.confirmed_at or list_case.confirmed_at,
        speed_refund=detail_case.speed_refund or list_case.speed_refund,
        user_shipping_status=detail_case.user_shipping_status or list_case.user_shipping_status,
        dispute=detail_case.dispute or list_case.dispute,
        images_count=detail_case.images_count,
        buyer_remark=detail_case.buyer_remark or list_case.buyer_remark,
    )


class _Reader:
    """Field readers for one record; every failure names the case, the field and the API it came from."""

    def __init__(self, obj: Mapping[str, Any], source: str) -> None:
        if not isinstance(obj, Mapping):
            raise RefundMappingError("", "<record>", f"expected an object, got {type(obj).__name__}", source=source)
        self.obj = obj
        self.source = source
        self.after_sales_id = ""  # known once read, so that the id's own errors carry no id
        self.after_sales_id = self._id()

    def fail(self, field: str, reason: str) -> RefundMappingError:
        return RefundMappingError(self.after_sales_id, field, reason, source=self.source)

    def _id(self) -> str:
        key = "id" if self.obj.get("id") not in (None, "") else "after_sales_id"
        value = self.obj.get(key)
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
            raise self.fail("id", f"missing or not a numeric after-sales id: {value!r}")
        return str(value).strip()

    def case(self, **by_source: Any) -> CanonicalCase:
        """The case from the fields both APIs share plus the ``by_source`` ones each reads its own way."""
        order_sn = self.obj.get("order_sn")
        if not isinstance(order_sn, str) or not order_sn.strip():
            raise self.fail("order_sn", f"missing or not a non-empty string: {order_sn!r}")
        quantity = self.integer("goods_number", default=None)
        if quantity < 0:
            raise self.fail("goods_number", f"must not be negative, got {quantity}")
        created_at = self.moment("created_time", required=True)
        updated_at = self.moment("updated_time", required=True)
        assert created_at is not None and updated_at is not None
        try:
            return CanonicalCase(
                after_sales_id=self.after_sales_id,
                order_sn=order_sn,
                platform_status=self.integer("after_sales_status", default=None),
                created_at=created_at,
                updated_at=updated_at,
                reason=self.text("after_sale_reason"),
                goods=CaseGoods(
                    goods_id=self.text("goods_id"),
                    sku_id=self.text("sku_id"),
                    outer_id=self.text("outer_id"),
                    quantity=quantity,
                    goods_name=self.text("goods_name"),
                    outer_goods_id=self.text("outer_goods_id"),
                ),
                shipping_name=self.text("shipping_name"),
                speed_refund=self.integer("speed_refund_flag", default=0) == 1,
                user_shipping_status=self.integer("user_shipping_status", default=0),
                dispute=self.integer("dispute_refund_status", default=0) == 1
                or self.integer("join_or_not", default=0) == 1,
                **by_source,
            )
        except InvalidCase as exc:  # a rule of the canonical case (e.g. a negative amount) names its own field
            raise self.fail(str(exc.params.get("field", "?")), exc.message) from None

    def case_type(self, decode: Callable[[int], AfterSalesType]) -> CaseType:
        code = self.integer("after_sales_type", default=None)
        try:
            return CaseType(decode(code).value)
        except ValueError as exc:
            raise self.fail("after_sales_type", str(exc)) from None

    def integer(self, key: str, *, default: int | None) -> int:
        """An integer field; ints and digit strings are read, a missing/null/empty field takes ``default``."""
        value = self.obj.get(key)
        if value is None or value == "":
            if default is None:
                raise self.fail(key, "missing")
            return default
        try:
            return parse_integer(value)
        except ValueError:
            raise self.fail(key, f"expected an integer, got {value!r}") from None

    def yuan(self, key: str, *, required: bool) -> int:
        """A yuan amount (the list's strings; numbers too) as exact integer fen; missing is 0 unless required."""
        value = self.obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(key, "missing")
            return 0
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            raise self.fail(key, f"expected a yuan amount, got {type(value).__name__} {value!r}")
        try:
            fen = platform_yuan_to_fen(value)
        except InvalidMoney as exc:
            raise self.fail(key, exc.message) from None
        if fen < 0:
            raise self.fail(key, f"must not be negative, got {value!r}")
        return fen

    def fen(self, key: str, *, required: bool) -> int:
        """An amount in integer fen (the detail's); a fractional number is refused, not rounded."""
        value = self.obj.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(key, "missing")
            return 0
        if isinstance(value, bool):
            raise self.fail(key, f"expected integer fen, got {value!r}")
        if isinstance(value, float) and not value.is_integer():
            raise self.fail(key, f"expected integer fen, got {value!r} (a yuan amount?)")
        if isinstance(value, str) and not value.strip().isdigit():
            raise self.fail(key, f"expected integer fen, got {value!r}")
        if not isinstance(value, int | float | str):
            raise self.fail(key, f"expected integer fen, got {type(value).__name__} {value!r}")
        fen = int(value)
        if fen < 0:
            raise self.fail(key, f"must not be negative, got {value!r}")
        return fen

    def text(self, key: str) -> str:
        value = self.obj.get(key)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.fail(key, f"expected a string, got {type(value).__name__} {value!r}")
        return str(value)

    def moment(self, key: str, *, required: bool) -> datetime | None:
        """A time as aware UTC: a Beijing time string, or epoch seconds/milliseconds as a number or digit string."""
        value = self.obj.get(key)
        expected = "expected epoch seconds or milliseconds, or a 'yyyy-MM-dd HH:mm:ss' Beijing time"
        if isinstance(value, bool):
            raise self.fail(key, f"{expected}, got {value!r}")
        if value is None or (isinstance(value, int | float | str) and value in ("", 0, "0")):
            if required:
                raise self.fail(key, "missing")
            return None
        number: int | None = None
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and value.strip().isdigit():
            number = int(value.strip())
        if number is not None:
            if number < 0:
                raise self.fail(key, f"{expected}, got {value!r}")
            seconds = number / 1000 if number >= MILLISECONDS_FROM else number
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                raise self.fail(key, f"{expected}, got {value!r}") from None
        if isinstance(value, str):
            try:
                return parse_beijing(value.strip())
            except ValueError:
                raise self.fail(key, f"{expected}, got {value!r}") from None
        raise self.fail(key, f"{expected}, got {type(value).__name__} {value!r}")

    def images_count(self) -> int:
        value = self.obj.get("images")
        if value is None:
            return 0
        if not isinstance(value, list):
            raise self.fail("images", f"expected a list of image URLs, got {type(value).__name__}")
        return len(value)
