"""Fuzz: whatever bytes or cells a file holds, the readers and parsers either read it or refuse it with
:class:`TableError`; they never raise anything else. Problems in cells come back as row problems."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuaifa.platforms.pdd_export.parser import (
    GOODS_AMOUNT,
    ORDER_LEVEL,
    ORDER_SN,
    PAY_AMOUNT,
    QUANTITY,
    OrderStream,
    RowProblem,
)
from kuaifa.platforms.pdd_export.skus import SKU_SHEET_HEADER, STOCK_SHEET_HEADER, parse_sku_sheet, parse_stock_sheet
from kuaifa.platforms.pdd_export.table import TableError, read_table, stream_table, write_table
from kuaifa.platforms.pdd_export.tariffs import TARIFF_SHEET_HEADER, parse_tariff_sheet

ORDER_HEADER = [ORDER_SN[0], QUANTITY[0], GOODS_AMOUNT[0], PAY_AMOUNT[0], "商家编码-规格维度", "商品",
                *(field[0] for field in ORDER_LEVEL[1:])]  # fmt: skip
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

cell_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "1", "0", "-1", "1.5", "9.999", "1e9", "NaN", "Infinity", "１２", "٣", "=1+1", "'=A1", "\x00",
                     "待发货", "已取消", "是", "2024-06-26 10:00:00", "2024-02-30 10:00:00", "99999999999999999999",
                     "240626-1", "TEA-001*2", "A*0", "ZTO", "顺丰", "TEA-001"]),
)  # fmt: skip
cell_value = st.one_of(cell_text, st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.none(), st.booleans())


def parse_all(path) -> None:
    """Every parser over the file; only TableError may escape, and every problem is a RowProblem."""
    stream = OrderStream(stream_table(path))
    orders = list(stream.orders())
    assert all(isinstance(problem, RowProblem) for problem in stream.problems)
    if not any(problem.row == 1 for problem in stream.problems):  # a missing column is one problem for the file
        lines = sum(len(order.lines) for order in orders)
        assert lines + len({problem.row for problem in stream.problems}) + stream.duplicates == stream.rows
    for parse in (parse_sku_sheet, parse_stock_sheet, parse_tariff_sheet):
        _, problems = parse(read_table(path))
        assert all(isinstance(problem, RowProblem) for problem in problems)


def read_or_refuse(path) -> None:
    try:
        parse_all(path)
    except TableError as error:
        assert str(error).startswith(path.name)


@FUZZ
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_bytes_are_read_or_refused_with_a_table_error(tmp_path, data, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)

    read_or_refuse(path)


@FUZZ
@given(
    header=st.sampled_from([ORDER_HEADER, SKU_SHEET_HEADER, STOCK_SHEET_HEADER, TARIFF_SHEET_HEADER]),
    rows=st.lists(st.lists(cell_text, min_size=0, max_size=12), max_size=8),
    extra=st.lists(st.text(alphabet=string.printable + "商家编码订单号", max_size=6), max_size=3),
)
def test_structured_but_wrong_csv_is_read_with_row_problems_or_refused(tmp_path, header, rows, extra):
    path = tmp_path / "wrong.csv"
    write_table(path, [*header, *extra], rows)

    read_or_refuse(path)


@FUZZ
@given(
    header=st.sampled_from([ORDER_HEADER, SKU_SHEET_HEADER, STOCK_SHEET_HEADER, TARIFF_SHEET_HEADER]),
    rows=st.lists(st.lists(cell_value, min_size=0, max_size=12), max_size=6),
)
def test_structured_but_wrong_xlsx_is_read_with_row_problems_or_refused(tmp_path, header, rows):
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value):  # what openpyxl can store: no XML-illegal characters, integers within a double
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("", value)
        return str(value) if isinstance(value, int) and abs(value) >= 2**53 else value

    path = tmp_path / "wrong.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([cell(value) for value in row])
    workbook.save(path)

    read_or_refuse(path)


@FUZZ
@given(data=st.binary(min_size=1, max_size=400), cut=st.integers(min_value=0, max_value=4000))
def test_a_real_workbook_with_corrupted_bytes_is_read_or_refused(tmp_path, data, cut):
    path = tmp_path / "corrupt.xlsx"
    write_table(path, ORDER_HEADER, [["240626-1", "1", "10.00", "10.00", "TEA-001", "茶"]])
    original = path.read_bytes()
    at = cut % len(original)
    path.write_bytes(original[:at] + data + original[at + len(data) :])

    read_or_refuse(path)
