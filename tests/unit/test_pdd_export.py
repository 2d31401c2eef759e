"""The PDD back-office export: files → tables → canonical orders, with every refused value reported by row."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from kuaifa.domain.orders.canonical import (
    CanonicalLine,
    CanonicalOrder,
    ConfirmStatus,
    PlatformOrderStatus,
    PlatformRefundStatus,
    Receiver,
)
from kuaifa.platforms.pdd_export.parser import ParseResult, RowProblem, parse_orders
from kuaifa.platforms.pdd_export.table import Table, TableError, find_column, read_table, write_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

AWAITING = PlatformOrderStatus.AWAITING_SHIPMENT
SHIPPED = PlatformOrderStatus.SHIPPED
RECEIVED = PlatformOrderStatus.RECEIVED


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def parse(name: str) -> ParseResult:
    return parse_orders(read_table(FIXTURES / name))


def by_sn(result: ParseResult) -> dict[str, CanonicalOrder]:
    return {order.order_sn: order for order in result.orders}


@pytest.fixture(scope="module")
def new_export() -> dict[str, CanonicalOrder]:
    result = parse("pdd_export_2024_utf8.csv")
    assert result.problems == []
    return by_sn(result)


@pytest.fixture(scope="module")
def old_export() -> dict[str, CanonicalOrder]:
    result = parse("pdd_export_2020_gb18030.csv")
    assert result.problems == []
    return by_sn(result)


# -- the 2024+ export ------------------------------------------------------------------------------------------


def test_2024_export_gives_twelve_orders_from_thirteen_rows_without_problems():
    result = parse("pdd_export_2024_utf8.csv")

    assert (len(result.orders), result.rows, result.problems) == (12, 13, [])


def test_pending_order_has_exact_fen_utc_times_and_masked_receiver(new_export):
    assert new_export["240626-101234567890123"] == CanonicalOrder(
        order_sn="240626-101234567890123",
        lines=(
            CanonicalLine(
                quantity=1,
                unit_price_fen=6800,
                goods_id="512345678901",
                platform_sku_id="1234567890123",
                outer_id="TEA-001",
                outer_goods_id="TEA",
                goods_name="西湖龙井 明前特级",
                goods_spec="250g罐装",
            ),
        ),
        order_status=AWAITING,
        refund_status=PlatformRefundStatus.NONE,
        confirm_status=ConfirmStatus.CONFIRMED,
        risk_control_status=0,
        goods_amount_fen=6800,
        discount_amount_fen=800,
        platform_discount_fen=300,
        seller_discount_fen=500,
        postage_fen=0,
        pay_amount_fen=6000,
        receiver=Receiver(
            province="浙江省",
            city="杭州市",
            town="西湖区",
            name_mask="王**",
            phone_mask="139****5678",
            address_mask="文三路***号",
            is_plaintext=False,
        ),
        created_at=utc(2024, 6, 26, 1, 15, 2),
        paid_at=utc(2024, 6, 26, 1, 15, 2),
        confirmed_at=utc(2024, 6, 26, 1, 15, 2),
        last_ship_time=utc(2024, 6, 28, 1, 15, 2),
        updated_at=None,
    )


def test_rows_sharing_an_order_number_are_the_lines_of_one_order(new_export):
    order = new_export["240626-521098765432109"]

    assert [(line.outer_id, line.quantity, line.unit_price_fen) for line in order.lines] == [
        ("TEA-001", 2, 6800),
        ("CUP-002", 1, 1990),
    ]
    assert (order.goods_amount_fen, order.seller_discount_fen, order.platform_discount_fen) == (15590, 800, 400)
    assert (order.discount_amount_fen, order.pay_amount_fen, order.remark) == (1200, 14390, "老客户，送茶匙")


def test_shipped_awaiting_signature_order_carries_ship_time_and_tracking_number(new_export):
    order = new_export["240625-208765432109876"]

    assert (order.order_status, order.refund_status, order.confirm_status) == (
        SHIPPED,
        PlatformRefundStatus.NONE,
        ConfirmStatus.CONFIRMED,
    )
    assert (order.shipped_at, order.tracking_number) == (utc(2024, 6, 26, 8, 30, 0), "YT7412345678901")
    assert order.received_at is None


def test_refunded_before_shipment_is_awaiting_shipment_and_refunded(new_export):
    order = new_export["240625-309876543210987"]

    assert (order.order_status, order.refund_status, order.confirm_status) == (
        AWAITING,
        PlatformRefundStatus.REFUNDED,
        ConfirmStatus.CONFIRMED,
    )


def test_after_sales_in_progress_is_the_in_progress_refund_status(new_export):
    order = new_export["240626-410987654321098"]

    assert (order.order_status, order.refund_status) == (AWAITING, PlatformRefundStatus.IN_PROGRESS)


def test_signed_for_order_is_received_with_receipt_time(new_export):
    order = new_export["240620-176543210987654"]

    assert order.order_status == RECEIVED
    assert (order.shipped_at, order.received_at) == (utc(2024, 6, 21, 1, 0, 0), utc(2024, 6, 24, 10, 30, 0))


def test_empty_order_time_is_recovered_as_midnight_beijing_of_the_order_number_date(new_export):
    order = new_export["240627-632109876543210"]

    assert (order.created_at, order.paid_at, order.confirmed_at) == (utc(2024, 6, 26, 16, 0, 0),) * 2 + (None,)
    assert order.last_ship_time == utc(2024, 6, 29, 15, 59, 59)


def test_row_without_merchant_code_keeps_goods_id_and_sku_id(new_export):
    (line,) = new_export["240627-743210987654321"].lines

    assert line == CanonicalLine(
        quantity=1,
        unit_price_fen=2500,
        goods_id="512345678905",
        platform_sku_id="1234567890127",
        outer_id="",
        outer_goods_id="",
        goods_name="紫砂茶宠",
        goods_spec="随机款",
    )


def test_order_under_review_has_risk_control_status_one_and_no_receiver_details(new_export):
    order = new_export["240627-854321098765432"]

    assert order.risk_control_status == 1
    assert order.receiver == Receiver(province="上海市", city="上海市", town="浦东新区", is_plaintext=False)
    assert {o.risk_control_status for sn, o in new_export.items() if sn != order.order_sn} == {0}


def test_buyer_memo_is_kept(new_export):
    assert new_export["240626-101234567890456"].buyer_memo == "请用纸箱包装，谢谢"
    assert new_export["240626-101234567890123"].buyer_memo == ""


def test_unit_price_is_rounded_down_when_the_line_total_does_not_divide_by_the_quantity(new_export):
    order = new_export["240627-965432109876543"]

    assert [(line.outer_id, line.quantity, line.unit_price_fen) for line in order.lines] == [("SPOON-009", 3, 1666)]
    assert (order.goods_amount_fen, order.postage_fen, order.pay_amount_fen) == (5000, 600, 5600)


def test_unmasked_receiver_values_are_stored_as_plaintext(new_export):
    assert new_export["240627-965432109876543"].receiver == Receiver(
        province="江苏省",
        city="南京市",
        town="鼓楼区",
        name="赵六",
        phone="13800138000",
        address="中山北路100号",
        is_plaintext=True,
    )


def test_slash_dates_without_seconds_are_read_as_beijing_time(new_export):
    order = new_export["240627-287654321098765"]

    assert (order.paid_at, order.last_ship_time) == (utc(2024, 6, 27, 8, 45, 0), utc(2024, 6, 29, 8, 45, 0))
    assert (order.goods_amount_fen, order.platform_discount_fen, order.pay_amount_fen) == (33600, 2000, 31600)


def test_export_orders_carry_no_update_time(new_export):
    assert {order.updated_at for order in new_export.values()} == {None}


# -- the ~2020 export, GB18030 -----------------------------------------------------------------------------------


def test_2020_export_gives_eight_orders_with_masked_receivers(old_export):
    order = old_export["200915-100000000000001"]

    assert len(old_export) == 8
    assert order.receiver == Receiver(
        province="北京市",
        city="北京市",
        town="朝阳区",
        name_mask="张**",
        phone_mask="138****1234",
        address_mask="建国路**号",
        is_plaintext=False,
    )
    assert order.lines == (
        CanonicalLine(
            quantity=1,
            unit_price_fen=6800,
            goods_id="512345678901",
            platform_sku_id="1234567890123",
            outer_id="TEA-001",
            outer_goods_id="TEA",
            goods_name="西湖龙井 明前特级",
            goods_spec="250g罐装",
        ),
    )


def test_2020_export_takes_pay_time_as_paid_and_order_confirm_time_as_confirmed(old_export):
    order = old_export["200915-100000000000001"]

    assert (order.created_at, order.paid_at) == (utc(2020, 9, 15, 2, 0, 5), utc(2020, 9, 15, 2, 0, 5))
    assert (order.confirmed_at, order.last_ship_time) == (utc(2020, 9, 15, 2, 0, 6), utc(2020, 9, 17, 2, 0, 6))


@pytest.mark.parametrize(
    ("order_sn", "statuses"),
    [
        ("200915-100000000000001", (AWAITING, PlatformRefundStatus.NONE, ConfirmStatus.CONFIRMED)),
        ("200915-200000000000002", (SHIPPED, PlatformRefundStatus.NONE, ConfirmStatus.CONFIRMED)),  # ASCII comma
        ("200914-300000000000003", (RECEIVED, PlatformRefundStatus.NONE, ConfirmStatus.CONFIRMED)),
        ("200915-400000000000004", (AWAITING, PlatformRefundStatus.NONE, ConfirmStatus.CANCELLED)),
        ("200913-500000000000005", (SHIPPED, PlatformRefundStatus.REFUNDED, ConfirmStatus.CANCELLED)),
        ("200916-600000000000006", (AWAITING, PlatformRefundStatus.REFUNDING, ConfirmStatus.CONFIRMED)),
    ],
)
def test_2020_status_words_map_onto_the_three_status_axes(old_export, order_sn, statuses):
    order = old_export[order_sn]

    assert (order.order_status, order.refund_status, order.confirm_status) == statuses


def test_closed_order_that_was_shipped_keeps_its_ship_time_and_tracking(old_export):
    order = old_export["200913-500000000000005"]

    assert (order.shipped_at, order.tracking_number) == (utc(2020, 9, 14, 1, 30, 0), "75312345678999")


def test_older_abnormal_column_marks_risk_control(old_export):
    order = old_export["200916-700000000000007"]

    assert order.risk_control_status == 1
    assert order.receiver == Receiver(province="北京市", city="北京市", town="朝阳区")


def test_2020_memo_remark_and_slash_pay_time(old_export):
    order = old_export["200918-800000000000008"]

    assert (order.buyer_memo, order.remark) == ("不要放发票", "加送样品")
    assert (order.paid_at, order.confirmed_at) == (utc(2020, 9, 18, 13, 30, 0), utc(2020, 9, 18, 13, 30, 0))
    assert order.lines[0].outer_id == "GIFT-SET"


def test_2020_received_order_has_exact_discounted_money(old_export):
    order = old_export["200914-300000000000003"]

    assert (order.goods_amount_fen, order.seller_discount_fen, order.discount_amount_fen) == (16800, 1000, 1000)
    assert (order.pay_amount_fen, order.received_at) == (15800, utc(2020, 9, 20, 4, 0, 0))


# -- one content, three encodings ----------------------------------------------------------------------------------


def test_xlsx_with_number_and_datetime_cells_gives_the_same_orders_as_the_utf8_csv():
    assert parse("pdd_export_2024.xlsx") == parse("pdd_export_2024_utf8.csv")


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8", "utf-8-sig"])
def test_the_same_csv_content_in_each_encoding_gives_the_same_orders(tmp_path, encoding):
    text = (FIXTURES / "pdd_export_2024_utf8.csv").read_text(encoding="utf-8-sig")
    copy = tmp_path / "export.csv"
    copy.write_bytes(text.encode(encoding))

    assert parse_orders(read_table(copy)) == parse("pdd_export_2024_utf8.csv")


def test_the_gb18030_fixture_is_not_valid_utf8():
    with pytest.raises(UnicodeDecodeError):
        (FIXTURES / "pdd_export_2020_gb18030.csv").read_bytes().decode("utf-8")


# -- problems ----------------------------------------------------------------------------------------------------


def test_broken_file_reports_every_problem_with_row_column_and_value_and_keeps_the_good_row():
    result = parse("pdd_export_broken.csv")

    assert result.problems == [
        RowProblem(2, "用户实付金额(元)", "12.3.4", "not an amount in yuan (at most two decimals)"),
        RowProblem(3, "商品数量(件)", "0", "quantity must be a positive whole number"),
        RowProblem(4, "订单状态", "待付款", "unknown order status"),
        RowProblem(5, "承诺发货时间", "2024-06-31 09:30:00", "not a time like 2024-06-26 10:42:33"),
    ]
    assert [order.order_sn for order in result.orders] == ["240628-500000000000005"]
    assert result.rows == 5


def test_missing_order_number_column_is_one_problem_and_no_orders():
    result = parse("pdd_export_missing_column.csv")

    assert result == ParseResult(
        orders=[], problems=[RowProblem(1, "订单号", "", "required column is missing")], rows=2
    )


HEADER = ["订单号", "订单状态", "商品数量(件)", "商品总价(元)", "用户实付金额(元)", "商家编码-规格维度", "支付时间"]


def row(sn: str, qty: str = "1", total: str = "10.00", pay: str = "10.00", **extra: str) -> dict[str, str]:
    values = {"订单号": sn, "订单状态": "待发货", "商品数量(件)": qty, "商品总价(元)": total, "用户实付金额(元)": pay}
    return {**{column: "" for column in HEADER}, **values, **extra}


def test_each_missing_required_column_is_its_own_problem():
    table = Table(header=["订单号", "商品"], rows=[(2, {"订单号": "240626-101234567890123", "商品": "茶"})])

    assert parse_orders(table).problems == [
        RowProblem(1, "商品数量(件)", "", "required column is missing"),
        RowProblem(1, "用户实付金额(元)", "", "required column is missing"),
    ]


def test_conflicting_order_level_value_rejects_the_whole_order_and_names_every_row():
    sn = "240626-101234567890123"
    table = Table(header=HEADER, rows=[(2, row(sn)), (3, row(sn, pay="12.00")), (4, row(sn))])

    result = parse_orders(table)

    assert result.orders == []
    assert result.problems == [
        RowProblem(2, "订单号", sn, "order not imported: row 3 has a problem"),
        RowProblem(3, "用户实付金额(元)", "12.00", "differs from row 2 of the same order (10.00)"),
        RowProblem(4, "订单号", sn, "order not imported: row 3 has a problem"),
    ]


def test_a_later_row_may_leave_order_level_values_blank():
    sn = "240626-101234567890123"
    table = Table(
        header=HEADER, rows=[(2, row(sn, total="10.00", pay="15.00")), (3, row(sn, total="5.00", pay="", 订单状态=""))]
    )

    (order,) = parse_orders(table).orders

    assert (order.goods_amount_fen, order.pay_amount_fen, len(order.lines)) == (1500, 1500, 2)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"商品数量(件)": "1.5"}, RowProblem(2, "商品数量(件)", "1.5", "quantity must be a positive whole number")),
        ({"商品数量(件)": "-1"}, RowProblem(2, "商品数量(件)", "-1", "quantity must be a positive whole number")),
        ({"用户实付金额(元)": ""}, RowProblem(2, "用户实付金额(元)", "", "amount is empty")),
        ({"商品总价(元)": "-3.00"}, RowProblem(2, "商品总价(元)", "-3.00", "amount is negative")),
        (
            {"商品总价(元)": "9.999"},
            RowProblem(2, "商品总价(元)", "9.999", "not an amount in yuan (at most two decimals)"),
        ),
        ({"订单状态": ""}, RowProblem(2, "订单状态", "", "order status is empty")),
        ({"支付时间": "26/06/2024"}, RowProblem(2, "支付时间", "26/06/2024", "not a time like 2024-06-26 10:42:33")),
    ],
)
def test_an_invalid_value_is_a_problem_and_the_order_is_not_imported(extra, problem):
    sn = "240626-101234567890123"
    table = Table(header=HEADER, rows=[(2, {**row(sn), **extra})])

    result = parse_orders(table)

    assert (result.orders, result.problems) == ([], [problem])


def test_unknown_after_sales_status_and_review_flag_are_problems():
    header = [*HEADER, "售后状态", "是否审核中"]
    values = {**row("240626-101234567890123"), "售后状态": "退货中", "是否审核中": "Y"}

    result = parse_orders(Table(header=header, rows=[(2, values)]))

    assert result.problems == [
        RowProblem(2, "售后状态", "退货中", "unknown after-sales status"),
        RowProblem(2, "是否审核中", "Y", "expected 是 or 否"),
    ]


def test_row_without_order_number_is_a_problem_not_dropped():
    table = Table(header=HEADER, rows=[(2, row("")), (3, row("240626-101234567890123"))])

    result = parse_orders(table)

    assert result.problems == [RowProblem(2, "订单号", "", "order number is empty")]
    assert [order.order_sn for order in result.orders] == ["240626-101234567890123"]


@pytest.mark.parametrize(
    "name", ["pdd_export_2024_utf8.csv", "pdd_export_2024.xlsx", "pdd_export_2020_gb18030.csv", "pdd_export_broken.csv"]
)
def test_every_row_becomes_an_order_line_or_a_problem(name):
    result = parse(name)

    lines = sum(len(order.lines) for order in result.orders)
    assert lines + len({problem.row for problem in result.problems}) == result.rows


def test_header_text_is_matched_ignoring_full_width_brackets_and_spaces():
    table = Table(
        header=["订单号", "商品数量（件）", " 用户实付金额（元）"],
        rows=[(2, {"订单号": "240626-101234567890123", "商品数量（件）": "2", " 用户实付金额（元）": "9.90"})],
    )

    (order,) = parse_orders(table).orders

    assert (order.lines[0].quantity, order.pay_amount_fen) == (2, 990)
    assert find_column(["商家编码-SKU维度"], "商家编码-规格维度", "商家编码-sku维度") == "商家编码-SKU维度"


def test_time_zone_is_configurable():
    table = Table(header=HEADER, rows=[(2, row("240626-101234567890123", 支付时间="2024-06-26 10:00:00"))])

    (order,) = parse_orders(table, tz="UTC").orders

    assert order.paid_at == utc(2024, 6, 26, 10, 0, 0)


# -- reading and writing tables -------------------------------------------------------------------------------------


def test_csv_rows_are_numbered_as_in_the_file_and_blank_rows_are_skipped(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("\n名称 , 数量\n\n 茶 ,2\n,\n杯,\n", encoding="utf-8")

    table = read_table(path)

    assert table == Table(
        header=["名称", "数量"], rows=[(4, {"名称": "茶", "数量": "2"}), (6, {"名称": "杯", "数量": ""})]
    )


def test_xlsx_cells_read_as_the_text_excel_shows(tmp_path):
    path = tmp_path / "cells.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["整数", "小数", "长号", "时间", "空"])
    sheet.append([123.0, 19.9, 1.2345678901234e17, datetime(2024, 6, 26, 10, 42, 32, 999_500), None])
    sheet.append([None, None, None, None, None])
    sheet.append([7, 0.05, 512345678901, datetime(2024, 1, 2, 3, 4, 5), "x"])
    workbook.save(path)

    table = read_table(path)

    assert table.rows == [
        (2, {"整数": "123", "小数": "19.9", "长号": "123456789012340000", "时间": "2024-06-26 10:42:33", "空": ""}),
        (4, {"整数": "7", "小数": "0.05", "长号": "512345678901", "时间": "2024-01-02 03:04:05", "空": "x"}),
    ]


def test_undecodable_csv_raises_a_table_error_naming_the_file(tmp_path):
    path = tmp_path / "unicode-text.csv"
    path.write_bytes("订单号\n".encode("utf-16"))

    with pytest.raises(TableError, match=re.escape("unicode-text.csv: the text is neither UTF-8 nor GB18030")):
        read_table(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("orders.xls", b"", "orders.xls: unsupported file type '.xls'"),
        ("orders.xlsx", b"not a zip", "orders.xlsx: not a readable .xlsx workbook"),
        ("empty.csv", b"\n,,\n", "empty.csv: the file is empty"),
        ("twice.csv", "订单号,订单号\n1,2\n".encode(), "twice.csv: column '订单号' appears twice"),
    ],
)
def test_unreadable_files_raise_a_table_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(TableError, match=re.escape(message)):
        read_table(path)


def test_missing_file_raises_a_table_error(tmp_path):
    with pytest.raises(TableError, match=re.escape("gone.csv: cannot be read")):
        read_table(tmp_path / "gone.csv")


def test_written_csv_starts_with_a_bom_for_excel(tmp_path):
    path = tmp_path / "out.csv"

    write_table(path, ["商家编码", "数量"], [["TEA-001", 3], ["CUP-002", None]])

    assert path.read_bytes() == "\ufeff商家编码,数量\r\nTEA-001,3\r\nCUP-002,\r\n".encode()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_written_text_reads_back_unchanged(tmp_path, suffix):
    path = tmp_path / f"out{suffix}"
    rows = [["00123", "=SUM(A1)", "6901234567892"], ["12.50", "", "说明书／防潮袋"]]

    write_table(path, ["编码", "公式", "条码"], rows)

    assert read_table(path) == Table(
        header=["编码", "公式", "条码"],
        rows=[
            (2, {"编码": "00123", "公式": "=SUM(A1)", "条码": "6901234567892"}),
            (3, {"编码": "12.50", "公式": "", "条码": "说明书／防潮袋"}),
        ],
    )


def test_writing_an_unknown_file_type_raises_a_table_error(tmp_path):
    with pytest.raises(TableError, match=re.escape("out.txt: unsupported file type '.txt'")):
        write_table(tmp_path / "out.txt", ["a"], [])
