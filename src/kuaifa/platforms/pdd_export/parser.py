"""The PDD back-office order export (订单导出) read into canonical orders.

Business rules (pdd-reference §8, §2.2):

- Columns are found by header text; the older (~2020) and newer (2024+) header sets are both accepted, e.g.
  商家编码-SKU维度 / 商家编码-规格维度, 订单确认时间 / 订单成交时间, 是否审核中 / 是否异常. 订单号, 商品数量(件) and
  用户实付金额(元) are required: if one is missing, that is the only kind of problem reported and nothing is parsed.
- One row is one order line; rows sharing a 订单号 are the lines of one order. Order-level values come from the
  order's first row; a later row may leave them blank, but a different non-blank value is a problem.
- Nothing is dropped silently and nothing half-imported: every row either contributes to an order or has at least one
  :class:`RowProblem`. An order with a problem on any of its rows is left out whole (a partial order could ship
  short), and its other rows get a problem saying so.
- Statuses map the export's words onto the API's axes (order_status / refund_status / confirm_status). Unknown words
  are problems, not guesses; a file with no 订单状态 column at all (hand-made) is taken as 待发货. An order
  已取消 / 交易关闭 keeps the shipping state its times show (发货时间 → shipped,
  确认收货时间 → received), so a later file cannot look like a step backwards.
- Money in yuan becomes exact integer fen; amounts must be non-negative. 商品总价(元) is per row (the line total);
  discounts, postage and 用户实付金额 are per order.
- Times are Beijing wall-clock strings and become aware UTC datetimes. Exports carry no update time: ``updated_at``
  is always ``None``.
- Receiver name, phone and street address are masked in most exports (``张**``, ``138****1234``): a value with ``*``
  goes into the ``*_mask`` field, anything else is plaintext (``is_plaintext=True``). Province, city and district
  are never masked.
- 快递公司 is a carrier name, not PDD's numeric carrier id, so ``logistics_id`` stays 0; 快递单号 is kept.

Hostile and careless files (issue 7):

- The file is read as a stream, one order at a time (an order's rows are adjacent, as the export writes them), so
  memory does not grow with the rows; only a digest per order number is kept.
- Rows of one order that are identical in every column are one line, counted once (a copy-paste). An order that
  comes back later in the file row for row the same (two exports pasted into one sheet) is counted once too;
  coming back with different rows is a problem on the returning rows (the earlier rows stand on their own).
  :attr:`OrderStream.duplicates` says how many rows were folded.
- Rows of one order that disagree — a different status, amount or any other order-level value — are refused,
  naming the rows, and so is an order whose line totals do not add up to what the buyer paid
  (商品总价 − 店铺优惠 − 平台优惠 + 邮费 + the service fees = 用户实付, 多多支付立减 allowed for). Refused, not held:
  the file cannot tell which row is right, and an order stored with amounts we know are wrong would reserve stock
  and settle refunds on them. The merchant fixes the rows and imports again (or uses ``--skip-invalid``).
- Every text field is at most as long as the column that stores it (:func:`field_limits`, derived from the
  models' ``max_length``; free-text fields stored as TEXT have :data:`TEXT_LIMIT`); NUL characters are refused.
  Both are checked here with row and column, so SQLite and PostgreSQL see the same file the same way.
- Numbers are ASCII digits: full-width (１２) or Arabic-Indic digits where a number is expected are refused, not
  normalised, so what is stored is exactly what the merchant can see in the cell. Quantities are 1 to
  :data:`MAX_QUANTITY`; amounts at most :data:`MAX_AMOUNT_FEN`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from kuaifa.domain.orders.canonical import (
    CanonicalLine,
    CanonicalOrder,
    ConfirmStatus,
    PlatformOrderStatus,
    PlatformRefundStatus,
    Receiver,
)
from kuaifa.domain.shared.errors import InvalidMoney
from kuaifa.domain.shared.money import yuan_to_fen
from kuaifa.platforms.pdd_export.table import RowProblem, Table, find_column

__all__ = ["OrderStream", "ParseResult", "RowProblem", "parse_orders"]

# Each field: the header texts that carry it, in order of preference (newer export first).
ORDER_SN = ("订单号",)
QUANTITY = ("商品数量(件)",)
PAY_AMOUNT = ("用户实付金额(元)",)
GOODS_AMOUNT = ("商品总价(元)",)
SELLER_DISCOUNT = ("店铺优惠折扣(元)",)
PLATFORM_DISCOUNT = ("平台优惠折扣(元)",)
POSTAGE = ("邮费(元)",)
ORDER_STATUS = ("订单状态",)
AFTER_SALES = ("售后状态",)
PAID_AT = ("支付时间",)
CONFIRMED_AT = ("订单成交时间", "订单确认时间")
GROUPED_AT = ("拼单成功时间",)
LAST_SHIP_TIME = ("承诺发货时间",)
SHIPPED_AT = ("发货时间",)
RECEIVED_AT = ("确认收货时间",)
UNDER_REVIEW = ("是否审核中", "是否异常")
RECEIVER_NAME = ("收货人",)
RECEIVER_PHONE = ("手机",)
PROVINCE = ("省",)
CITY = ("市",)
TOWN = ("区",)
STREET = ("街道",)
BUYER_MEMO = ("买家留言",)
REMARK = ("商家备注",)
TRACKING_NUMBER = ("快递单号",)
GOODS_ID = ("商品id",)
SKU_ID = ("样式ID",)
OUTER_ID = ("商家编码-规格维度", "商家编码-SKU维度")
OUTER_GOODS_ID = ("商家编码-商品维度",)
GOODS_NAME = ("商品",)
GOODS_SPEC = ("商品规格",)
FEES = (("上门安装费(元)",), ("送货入户费(元)",), ("送货入户并安装费(元)",))
PAY_REDUCTION = ("多多支付立减金额(元)",)

REQUIRED = (ORDER_SN, QUANTITY, PAY_AMOUNT)

TEXT_LIMIT = 1000
"""Characters of a free-text field stored as TEXT (buyer memo, merchant remark)."""
MAX_QUANTITY = 99_999
"""Units of one line: more is a typo, and far below what the quantity column holds."""
MAX_ORDER_ROWS = 1000
"""Rows (lines) of one order; a PDD order has one or a few. Bounds what one order holds in memory."""
MAX_AMOUNT_FEN = 10**12
"""Any amount, in fen (¥10 billion): a typo long before it overflows the amount columns (64-bit)."""

# field → (model, column) whose max_length bounds it; a field not named here is a status, time or amount.
_STORED_AS = {
    ORDER_SN: ("Order", "order_sn"),
    PROVINCE: ("Order", "province"),
    CITY: ("Order", "city"),
    TOWN: ("Order", "town"),
    RECEIVER_NAME: ("Order", "receiver_name_mask"),
    RECEIVER_PHONE: ("Order", "receiver_phone_mask"),
    STREET: ("Order", "receiver_address_mask"),
    BUYER_MEMO: ("Order", "buyer_memo"),
    REMARK: ("Order", "remark"),
    TRACKING_NUMBER: ("Order", "tracking_number"),
    GOODS_ID: ("OrderLine", "goods_id"),
    SKU_ID: ("OrderLine", "platform_sku_id"),
    OUTER_ID: ("OrderLine", "outer_id"),
    OUTER_GOODS_ID: ("OrderLine", "outer_id"),
    GOODS_NAME: ("OrderLine", "goods_name"),
    GOODS_SPEC: ("OrderLine", "goods_spec"),
}


@cache
def field_limits() -> dict[tuple[str, ...], int]:
    """Each text field's longest accepted value: the storing column's ``max_length``, :data:`TEXT_LIMIT` for TEXT."""
    from kuaifa.persistence import models

    return {
        field: getattr(models, model)._meta.get_field(column).max_length or TEXT_LIMIT
        for field, (model, column) in _STORED_AS.items()
    }


LINE_LEVEL = (QUANTITY, GOODS_AMOUNT, GOODS_ID, SKU_ID, OUTER_ID, OUTER_GOODS_ID, GOODS_NAME, GOODS_SPEC)

ORDER_LEVEL = (
    PAY_AMOUNT,
    SELLER_DISCOUNT,
    PLATFORM_DISCOUNT,
    POSTAGE,
    ORDER_STATUS,
    AFTER_SALES,
    PAID_AT,
    CONFIRMED_AT,
    GROUPED_AT,
    LAST_SHIP_TIME,
    SHIPPED_AT,
    RECEIVED_AT,
    UNDER_REVIEW,
    RECEIVER_NAME,
    RECEIVER_PHONE,
    PROVINCE,
    CITY,
    TOWN,
    STREET,
    BUYER_MEMO,
    REMARK,
    TRACKING_NUMBER,
)

_A, _S, _R = PlatformOrderStatus.AWAITING_SHIPMENT, PlatformOrderStatus.SHIPPED, PlatformOrderStatus.RECEIVED
_FROM_TIMES = None  # cancelled/closed: the shipping state is read from 发货时间 / 确认收货时间

# 订单状态 → (order_status, refund_status it implies or None, confirm_status). Commas are normalised to "，".
ORDER_STATUS_WORDS: dict[str, tuple[PlatformOrderStatus | None, PlatformRefundStatus | None, ConfirmStatus]] = {
    "待发货": (_A, None, ConfirmStatus.CONFIRMED),
    "已发货，待签收": (_S, None, ConfirmStatus.CONFIRMED),
    "已发货，待收货": (_S, None, ConfirmStatus.CONFIRMED),
    "已签收": (_R, None, ConfirmStatus.CONFIRMED),
    "已收货": (_R, None, ConfirmStatus.CONFIRMED),
    "未发货，退款成功": (_A, PlatformRefundStatus.REFUNDED, ConfirmStatus.CONFIRMED),
    "已取消": (_FROM_TIMES, None, ConfirmStatus.CANCELLED),
    "交易关闭": (_FROM_TIMES, None, ConfirmStatus.CANCELLED),
}

AFTER_SALES_WORDS: dict[str, PlatformRefundStatus] = {
    "": PlatformRefundStatus.NONE,
    "无售后或售后取消": PlatformRefundStatus.NONE,
    "售后处理中": PlatformRefundStatus.IN_PROGRESS,
    "退款中": PlatformRefundStatus.REFUNDING,
    "退款成功": PlatformRefundStatus.REFUNDED,
}

YES_NO = {"": 0, "否": 0, "是": 1}

TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M")

_TIME = re.compile(r"([0-9]{4})([-/])([0-9]{1,2})\2([0-9]{1,2}) ([0-9]{1,2}):([0-9]{1,2})(?::([0-9]{1,2}))?")
_ORDER_SN_DATE = re.compile(r"^(\d{2})(\d{2})(\d{2})-\d+$")
_WHOLE = re.compile(r"[0-9]+")
_NON_ASCII_DIGIT = re.compile(r"[^\x00-\x7f]")  # \d and Decimal also accept １２ and ١٢


@dataclass(frozen=True, slots=True)
class ParseResult:
    """The orders read from an export, the problems found, and how many data rows the file had."""

    orders: list[CanonicalOrder]
    problems: list[RowProblem]
    rows: int


def parse_orders(table: Table, *, tz: str = "Asia/Shanghai") -> ParseResult:
    """Read a whole order export into canonical orders (see :class:`OrderStream` for the rules)."""
    stream = OrderStream(table, tz=tz)
    orders = list(stream.orders())
    return ParseResult(orders=orders, problems=stream.problems, rows=stream.rows)


@dataclass
class OrderStream:
    """An order export read one order at a time: iterate :meth:`orders` once; afterwards ``problems`` (sorted by
    row), ``rows``, ``duplicates`` and ``rejected_rows`` (the values of every row with a problem) are complete.

    Dates: ``paid_at`` is 支付时间; the 2024+ export has no pay time, so it falls back to the confirm time
    (订单成交时间 / 订单确认时间, then 拼单成功时间): an order reaches the merchant only once paid and grouped, so that
    is the closest time the file has. When the row has no such time at all, the date is recovered from the order
    number's ``YYMMDD-`` prefix as midnight Beijing time (``230626-…`` → 2023-06-26 00:00 +08:00). ``created_at`` is
    the same value: exports carry no creation time. ``confirmed_at`` is only ever a time the file states.

    Line prices: the file gives a line total (商品总价) and a quantity. ``unit_price_fen`` is the total divided by the
    quantity when that is exact, otherwise rounded down, so price × quantity never exceeds what the buyer was
    charged; the exact total stays in the order's ``goods_amount_fen`` (the sum of its rows' totals).
    """

    table: Table
    tz: str = "Asia/Shanghai"
    problems: list[RowProblem] = dataclass_field(default_factory=list)
    rows: int = 0
    duplicates: int = 0
    rejected_rows: dict[int, dict[str, str]] = dataclass_field(default_factory=dict)
    _overflowed: bool = False
    _seen: dict[str, int] = dataclass_field(default_factory=dict)  # order number → digest of its rows, orders read
    _refused: set[str] = dataclass_field(default_factory=set)  # order numbers whose first rows had a problem

    def orders(self) -> Iterator[CanonicalOrder]:
        columns = {f: find_column(self.table.header, *f) for f in (*REQUIRED, *ORDER_LEVEL, *LINE_LEVEL, *FEES,
                                                                   PAY_REDUCTION)}  # fmt: skip
        missing = [f[0] for f in REQUIRED if columns[f] is None]
        if missing:
            self.problems += [RowProblem(1, name, "", "required column is missing") for name in missing]
            self.rows = sum(1 for _ in self.table.rows)
            return
        zone = ZoneInfo(self.tz)
        sn_column = columns[ORDER_SN] or ""
        group: list[tuple[int, dict[str, str]]] = []
        for number, row in self.table.rows:
            self.rows += 1
            order_sn = row[sn_column]
            if group and order_sn == group[0][1][sn_column]:
                if len(group) < MAX_ORDER_ROWS:
                    group.append((number, row))
                else:
                    self._overflowed = True
                    self._reject(number, row, [self._too_many_rows(number, order_sn)])
                continue
            if group:
                yield from self._order(group, columns, zone, sn_column)
            group, self._overflowed = [], False
            if not order_sn:
                self._reject(number, row, [RowProblem(number, sn_column, "", "order number is empty")])
            else:
                group = [(number, row)]
        if group:
            yield from self._order(group, columns, zone, sn_column)
        self.problems.sort(key=lambda problem: problem.row)

    def _too_many_rows(self, number: int, order_sn: str) -> RowProblem:
        reason = _("order %(order_sn)s has more than %(limit)s rows") % {"order_sn": order_sn, "limit": MAX_ORDER_ROWS}
        return RowProblem(number, find_column(self.table.header, *ORDER_SN) or "", order_sn, reason)

    def _reject(self, number: int, row: dict[str, str], problems: list[RowProblem]) -> None:
        self.problems += problems
        self.rejected_rows[number] = row

    def _order(self, rows, columns, zone: tzinfo, sn_column: str) -> Iterator[CanonicalOrder]:
        order_sn = rows[0][1][sn_column]
        if self._overflowed:  # the rows past the limit are refused already; the order goes whole
            for number, row in rows:
                self._reject(number, row, [self._too_many_rows(number, order_sn)])
            return
        distinct: list[tuple[int, dict[str, str]]] = []
        for number, row in rows:
            if not any(row == kept for _, kept in distinct):
                distinct.append((number, row))
        if order_sn in self._refused:
            reason = _("order %(order_sn)s came earlier in the file and was not imported") % {"order_sn": order_sn}
            for number, row in rows:
                self._reject(number, row, [RowProblem(number, sn_column, order_sn, reason)])
            return
        content = hash(tuple(sorted(tuple(row.values()) for _, row in distinct)))
        earlier = self._seen.get(order_sn)
        if earlier == content:  # the same order again, row for row (two exports pasted together): counted once
            self.duplicates += len(rows)
            return
        if earlier is not None:
            reason = _("order %(order_sn)s came earlier in the file with different rows") % {"order_sn": order_sn}
            for number, row in rows:
                self._reject(number, row, [RowProblem(number, sn_column, order_sn, reason)])
            return
        self._seen[order_sn] = content
        reader = _OrderReader(distinct[0][1][sn_column], distinct, columns, zone)
        order = reader.build()
        if reader.problems:
            self._refused.add(order_sn)
            self.problems.extend(reader.problems)
            bad_rows = {problem.row for problem in reader.problems}
            first_bad = min(bad_rows)
            for number, row in rows:
                self.rejected_rows[number] = row
                if number not in bad_rows:
                    reason = f"order not imported: row {first_bad} has a problem"
                    self.problems.append(RowProblem(number, sn_column, reader.order_sn, reason))
        elif order is not None:
            self.duplicates += len(rows) - len(distinct)
            yield order


class _OrderReader:
    """Reads the rows of one order, collecting every problem rather than stopping at the first."""

    def __init__(
        self,
        order_sn: str,
        rows: list[tuple[int, dict[str, str]]],
        columns: dict[tuple[str, ...], str | None],
        zone: tzinfo,
    ) -> None:
        self.order_sn = order_sn
        self.rows = rows
        self.columns = columns
        self.zone = zone
        self.problems: list[RowProblem] = []
        self.first_row, self.first = rows[0]

    def build(self) -> CanonicalOrder | None:
        self._check_cells()
        if self.problems:
            return None
        self._check_order_level_agreement()
        lines = [self._line(number, row) for number, row in self.rows]
        order_status, refund_status, confirm_status = self._statuses()
        seller = self._money(SELLER_DISCOUNT)
        platform = self._money(PLATFORM_DISCOUNT)
        postage = self._money(POSTAGE)
        pay = self._money(PAY_AMOUNT, required=True)
        paid_at = self._time(PAID_AT)
        grouped_at = self._time(GROUPED_AT)
        confirmed_at = self._time(CONFIRMED_AT) or grouped_at
        last_ship_time = self._time(LAST_SHIP_TIME)
        shipped_at = self._time(SHIPPED_AT)
        received_at = self._time(RECEIVED_AT)
        risk = self._risk_control_status()
        fees = sum(self._money(fee) for fee in FEES)
        if not self.problems:
            self._check_total(sum(total for _, total in lines), seller + platform, postage + fees, pay)
        if self.problems:
            return None
        if order_status is None:  # cancelled or closed: the times say how far it got
            order_status = _R if received_at else _S if shipped_at else _A
        order_time = paid_at or confirmed_at or self._date_from_order_sn()
        return CanonicalOrder(
            order_sn=self.order_sn,
            lines=tuple(line for line, _ in lines if line is not None),
            order_status=order_status,
            refund_status=refund_status,
            confirm_status=confirm_status,
            risk_control_status=risk,
            goods_amount_fen=sum(total for _, total in lines),
            discount_amount_fen=seller + platform,
            platform_discount_fen=platform,
            seller_discount_fen=seller,
            postage_fen=postage,
            pay_amount_fen=pay,
            receiver=self._receiver(),
            buyer_memo=self._text(BUYER_MEMO),
            remark=self._text(REMARK),
            created_at=order_time,
            paid_at=order_time,
            confirmed_at=confirmed_at,
            last_ship_time=last_ship_time,
            shipped_at=shipped_at,
            received_at=received_at,
            updated_at=None,
            tracking_number=self._text(TRACKING_NUMBER),
        )

    def _check_cells(self) -> None:
        """NUL characters and over-long text, in every column this order's rows are read from."""
        limits = field_limits()
        for number, row in self.rows:
            for field, column in self.columns.items():
                if column is None:
                    continue
                value = row[column]
                if "\x00" in value:
                    self.problems.append(RowProblem(number, column, value.replace("\x00", "\\0"),
                                                    _("contains a NUL character")))  # fmt: skip
                elif len(value) > limits.get(field, TEXT_LIMIT):
                    reason = _("longer than %(limit)s characters") % {"limit": limits.get(field, TEXT_LIMIT)}
                    self.problems.append(RowProblem(number, column, value, reason))

    def _check_total(self, goods: int, discounts: int, additions: int, pay: int) -> None:
        """The buyer paid the goods less discounts plus postage and fees; 多多支付立减 may come off on top."""
        if self.columns[GOODS_AMOUNT] is None:  # a hand-made file without line totals: nothing to add up
            return
        expected = goods - discounts + additions
        if pay in (expected, expected - self._money(PAY_REDUCTION)):
            return
        reason = _(
            "the order's lines add up to %(goods)s yuan; less discounts plus postage and fees that is %(expected)s "
            "yuan, but the buyer paid %(pay)s yuan (rows %(rows)s)"
        ) % {
            "goods": _yuan(goods),
            "expected": _yuan(expected),
            "pay": _yuan(pay),
            "rows": ", ".join(str(number) for number, _row in self.rows),
        }
        self._problem(PAY_AMOUNT, reason, value=self.first[self.columns[PAY_AMOUNT] or ""])

    # -- order level -------------------------------------------------------------------------------------------

    def _check_order_level_agreement(self) -> None:
        for field in ORDER_LEVEL:
            column = self.columns[field]
            if column is None:
                continue
            expected = self.first[column]
            for number, row in self.rows[1:]:
                value = row[column]
                if value and value != expected:
                    reason = f"differs from row {self.first_row} of the same order ({expected or 'empty'})"
                    self.problems.append(RowProblem(number, column, value, reason))

    def _text(self, field: tuple[str, ...]) -> str:
        column = self.columns[field]
        return self.first[column] if column is not None else ""

    def _problem(self, field: tuple[str, ...], reason: str, *, number: int | None = None, value: str = "") -> None:
        column = self.columns[field]
        assert column is not None
        self.problems.append(RowProblem(self.first_row if number is None else number, column, value, reason))

    def _money(
        self,
        field: tuple[str, ...],
        *,
        required: bool = False,
        row: dict[str, str] | None = None,
        number: int | None = None,
    ) -> int:
        """An amount in fen; a blank optional amount is 0. ``row``/``number`` select a line row, else the first."""
        column = self.columns[field]
        if column is None:
            return 0
        value = (self.first if row is None else row)[column]
        if not value:
            if required:
                self._problem(field, "amount is empty", number=number)
            return 0
        if _NON_ASCII_DIGIT.search(value):
            self._problem(field, _ASCII_DIGITS(), number=number, value=value)
            return 0
        try:
            fen = yuan_to_fen(value)
        except InvalidMoney:
            self._problem(field, "not an amount in yuan (at most two decimals)", number=number, value=value)
            return 0
        if fen < 0:
            self._problem(field, "amount is negative", number=number, value=value)
            return 0
        if fen > MAX_AMOUNT_FEN:
            reason = _("amount is larger than %(limit)s yuan") % {"limit": _yuan(MAX_AMOUNT_FEN)}
            self._problem(field, reason, number=number, value=value)
            return 0
        return fen

    def _time(self, field: tuple[str, ...]) -> datetime | None:
        value = self._text(field)
        if not value:
            return None
        if _NON_ASCII_DIGIT.search(value):
            self._problem(field, _ASCII_DIGITS(), value=value)
            return None
        match = _TIME.fullmatch(value)
        if match is not None:  # TIME_FORMATS, read without strptime (a tenth of the cost on a 500,000-row file)
            year, _sep, month, day, hour, minute, second = match.groups()
            try:
                local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
            except ValueError:
                pass
            else:
                return local.replace(tzinfo=self.zone).astimezone(UTC)
        self._problem(field, "not a time like 2024-06-26 10:42:33", value=value)
        return None

    def _risk_control_status(self) -> int:
        value = self._text(UNDER_REVIEW)
        if value not in YES_NO:
            self._problem(UNDER_REVIEW, "expected 是 or 否", value=value)
            return 0
        return YES_NO[value]

    def _statuses(self) -> tuple[PlatformOrderStatus | None, PlatformRefundStatus, ConfirmStatus]:
        """The three status axes; ``None`` shipping state means "read it from the times" (cancelled/closed).

        On a problem the fallbacks returned do not matter: an order with a problem is not built.
        """
        after_sales = self._text(AFTER_SALES)
        refund_status = AFTER_SALES_WORDS.get(_normalise_status(after_sales))
        if refund_status is None:
            self._problem(AFTER_SALES, "unknown after-sales status", value=after_sales)
            refund_status = PlatformRefundStatus.NONE
        if self.columns[ORDER_STATUS] is None:  # a hand-made file without statuses: orders waiting to ship
            return _A, refund_status, ConfirmStatus.CONFIRMED
        value = self._text(ORDER_STATUS)
        word = _normalise_status(value)
        if word not in ORDER_STATUS_WORDS:
            self._problem(ORDER_STATUS, "order status is empty" if not value else "unknown order status", value=value)
            return _A, refund_status, ConfirmStatus.CONFIRMED
        order_status, forced_refund, confirm_status = ORDER_STATUS_WORDS[word]
        return order_status, forced_refund or refund_status, confirm_status

    def _receiver(self) -> Receiver:
        private: dict[str, str] = {}
        for field, plain, masked in (
            (RECEIVER_NAME, "name", "name_mask"),
            (RECEIVER_PHONE, "phone", "phone_mask"),
            (STREET, "address", "address_mask"),
        ):
            value = self._text(field)
            if value:
                private[masked if "*" in value else plain] = value
        return Receiver(
            province=self._text(PROVINCE),
            city=self._text(CITY),
            town=self._text(TOWN),
            is_plaintext=any(key in private for key in ("name", "phone", "address")),
            **private,
        )

    def _date_from_order_sn(self) -> datetime | None:
        match = _ORDER_SN_DATE.match(self.order_sn)
        if match is None:
            return None
        year, month, day = (int(part) for part in match.groups())
        try:
            midnight = datetime(2000 + year, month, day, tzinfo=self.zone)
        except ValueError:
            return None
        return midnight.astimezone(UTC)

    # -- lines -------------------------------------------------------------------------------------------------

    def _line(self, number: int, row: dict[str, str]) -> tuple[CanonicalLine | None, int]:
        """One row's line and its line total in fen."""
        quantity_column = self.columns[QUANTITY]
        assert quantity_column is not None
        raw_quantity = row[quantity_column]
        quantity = int(raw_quantity) if _WHOLE.fullmatch(raw_quantity) else 0
        if _NON_ASCII_DIGIT.search(raw_quantity):
            self._problem(QUANTITY, _ASCII_DIGITS(), number=number, value=raw_quantity)
            quantity = -1
        elif quantity <= 0:
            self._problem(QUANTITY, "quantity must be a positive whole number", number=number, value=raw_quantity)
        elif quantity > MAX_QUANTITY:
            reason = _("quantity is larger than %(limit)s") % {"limit": MAX_QUANTITY}
            self._problem(QUANTITY, reason, number=number, value=raw_quantity)
            quantity = -1
        total = self._money(GOODS_AMOUNT, row=row, number=number)
        if quantity <= 0:
            return None, total

        def text(field: tuple[str, ...]) -> str:
            column = self.columns[field]
            return row[column] if column is not None else ""

        line = CanonicalLine(
            quantity=quantity,
            unit_price_fen=total // quantity,
            goods_id=text(GOODS_ID),
            platform_sku_id=text(SKU_ID),
            outer_id=text(OUTER_ID),
            outer_goods_id=text(OUTER_GOODS_ID),
            goods_name=text(GOODS_NAME),
            goods_spec=text(GOODS_SPEC),
        )
        return line, total


def _ASCII_DIGITS() -> str:  # a message, translated when used
    return _("write numbers with the digits 0-9 (half-width), not full-width or other digits")


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _normalise_status(value: str) -> str:
    return "".join(value.split()).replace(",", "，")
