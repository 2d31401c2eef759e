"""Careless and hostile order exports: duplicates, disagreeing rows, lengths, NULs, digits and ranges."""

from __future__ import annotations

import pytest

from kuaifa.platforms.pdd_export.parser import (
    MAX_QUANTITY,
    OrderStream,
    RowProblem,
    field_limits,
    parse_orders,
)
from kuaifa.platforms.pdd_export.table import Table

SN = "240626-101234567890123"
OTHER = "240626-101234567890456"
HEADER = ["订单号", "订单状态", "商品数量(件)", "商品总价(元)", "店铺优惠折扣(元)", "邮费(元)", "用户实付金额(元)",
          "商家编码-规格维度", "商品", "买家留言", "支付时间"]  # fmt: skip
NOT_IMPORTED = "order not imported: row {} has a problem"


@pytest.fixture(autouse=True)
def chinese():
    """Refusals are read in Chinese, whatever an earlier test activated."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


def row(sn: str = SN, qty: str = "1", total: str = "10.00", pay: str = "10.00", **extra: str) -> dict[str, str]:
    values = {"订单号": sn, "订单状态": "待发货", "商品数量(件)": qty, "商品总价(元)": total, "用户实付金额(元)": pay,
              "商家编码-规格维度": "TEA-001"}  # fmt: skip
    return {**{column: "" for column in HEADER}, **values, **extra}


def parse(*rows: dict[str, str]):
    return parse_orders(Table(header=HEADER, rows=list(enumerate(rows, start=2))))


def test_two_identical_rows_of_one_order_count_once():
    stream = OrderStream(Table(header=HEADER, rows=[(2, row(qty="2", total="20.00", pay="20.00"))] * 2))

    (order,) = list(stream.orders())

    assert [(line.outer_id, line.quantity) for line in order.lines] == [("TEA-001", 2)]
    assert (order.goods_amount_fen, stream.duplicates, stream.problems) == (2000, 1, [])


def test_two_different_lines_of_one_order_both_count():
    result = parse(row(total="10.00", pay="15.00"), row(total="5.00", pay="", **{"商家编码-规格维度": "CUP-002"}))

    (order,) = result.orders
    assert [line.outer_id for line in order.lines] == ["TEA-001", "CUP-002"]
    assert result.problems == []


def test_rows_of_one_order_with_different_statuses_are_refused_naming_both_rows():
    result = parse(row(), row(订单状态="已发货，待签收", **{"商家编码-规格维度": "CUP-002"}))

    assert result.orders == []
    assert result.problems == [
        RowProblem(2, "订单号", SN, NOT_IMPORTED.format(3)),
        RowProblem(3, "订单状态", "已发货，待签收", "differs from row 2 of the same order (待发货)"),
    ]


def test_lines_that_do_not_add_up_to_what_the_buyer_paid_are_refused_naming_the_rows():
    result = parse(row(total="10.00", pay="30.00"), row(total="5.00", pay="", **{"商家编码-规格维度": "CUP-002"}))

    assert result.orders == []
    assert result.problems == [
        RowProblem(
            2,
            "用户实付金额(元)",
            "30.00",
            "订单各行合计 15.00 元，减去优惠、加上邮费和服务费应为 15.00 元，但买家实付 30.00 元（第 2, 3 行）",
        ),
        RowProblem(3, "订单号", SN, NOT_IMPORTED.format(2)),
    ]


def test_discounts_and_postage_are_part_of_what_the_buyer_paid():
    (order,) = parse(row(total="10.00", pay="9.00", **{"店铺优惠折扣(元)": "2.00", "邮费(元)": "1.00"})).orders

    assert (order.goods_amount_fen, order.discount_amount_fen, order.postage_fen, order.pay_amount_fen) == (
        1000, 200, 100, 900,
    )  # fmt: skip


def test_an_order_that_comes_back_with_different_rows_is_refused_on_the_returning_rows():
    result = parse(row(), row(OTHER), row(**{"商家编码-规格维度": "CUP-002"}))

    assert [order.order_sn for order in result.orders] == [SN, OTHER]
    assert result.problems == [RowProblem(4, "订单号", SN, f"订单 {SN} 在文件前面已出现，且内容不同")]


def test_an_order_that_comes_back_row_for_row_the_same_counts_once():
    stream = OrderStream(Table(header=HEADER, rows=[(2, row()), (3, row(OTHER)), (4, row())]))

    orders = list(stream.orders())

    assert [order.order_sn for order in orders] == [SN, OTHER]
    assert (stream.duplicates, stream.problems) == (1, [])


@pytest.mark.parametrize(
    ("column", "field"),
    [("订单号", ("订单号",)), ("商品", ("商品",)), ("商家编码-规格维度", ("商家编码-规格维度", "商家编码-SKU维度"))],
)
def test_text_one_character_longer_than_its_column_is_refused(column, field):
    limit = field_limits()[field]
    value = "茶" * (limit + 1)

    result = parse(row(**{column: value}))

    assert result.orders == []
    assert RowProblem(2, column, value, f"超过 {limit} 个字符") in result.problems


def test_text_limits_are_the_stored_columns_lengths():
    from kuaifa.persistence.models import Order, OrderLine

    limits = field_limits()
    assert limits[("订单号",)] == Order._meta.get_field("order_sn").max_length == 64
    assert limits[("商品",)] == OrderLine._meta.get_field("goods_name").max_length == 255
    assert limits[("买家留言",)] == 1000


def test_a_text_exactly_at_its_limit_is_accepted():
    (order,) = parse(row(**{"商品": "茶" * 255})).orders

    assert order.lines[0].goods_name == "茶" * 255


def test_a_nul_character_is_refused_with_row_and_column():
    result = parse(row(), row(OTHER, **{"买家留言": "请\x00尽快"}))

    assert [order.order_sn for order in result.orders] == [SN]
    assert result.problems == [RowProblem(3, "买家留言", "请\\0尽快", "含有 NUL 字符")]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("商品数量(件)", "２"),
        ("商品数量(件)", "٢"),
        ("用户实付金额(元)", "１０.００"),
        ("支付时间", "２０２４-06-26 10:00:00"),
    ],
)
def test_digits_other_than_ascii_are_refused(column, value):
    result = parse(row(**{column: value}))

    assert result.orders == []
    assert result.problems == [RowProblem(2, column, value, "数字请用半角 0-9，不要用全角或其他文字的数字")]


def test_a_quantity_above_the_sane_limit_is_refused():
    qty = str(MAX_QUANTITY + 1)

    result = parse(row(qty=qty))

    assert result.problems == [RowProblem(2, "商品数量(件)", qty, f"数量大于 {MAX_QUANTITY}")]


def test_an_amount_that_would_overflow_the_amount_column_is_refused():
    huge = "92233720368547758.08"

    result = parse(row(total=huge, pay=huge))

    assert result.orders == []
    assert {p.reason for p in result.problems} == {"金额大于 10000000000.00 元"}


def test_an_order_with_more_rows_than_the_limit_is_refused_whole(monkeypatch):
    from kuaifa.platforms.pdd_export import parser

    monkeypatch.setattr(parser, "MAX_ORDER_ROWS", 2)
    lines = [row(total="1.00", pay="3.00", **{"商家编码-规格维度": f"C-{n}"}) for n in range(3)]

    result = parse(*lines, row(OTHER))

    assert [order.order_sn for order in result.orders] == [OTHER]
    assert result.problems == [RowProblem(n, "订单号", SN, f"订单 {SN} 超过 2 行") for n in (2, 3, 4)]


def test_an_order_with_a_problem_that_comes_back_the_same_is_refused_again_not_counted_as_a_duplicate():
    bad = row(qty="0")

    result = parse(bad, row(OTHER), bad)

    assert [order.order_sn for order in result.orders] == [OTHER]
    assert [(p.row, p.reason) for p in result.problems] == [
        (2, "quantity must be a positive whole number"),
        (4, f"订单 {SN} 在文件前面已出现，但未能导入"),
    ]
