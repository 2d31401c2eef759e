"""The merchant's SKU master and stock count sheets: exact specs, every refused value reported by row."""

from __future__ import annotations

from pathlib import Path

import pytest

from kuaifa.domain.inventory.catalog import SkuSpec, StockCount
from kuaifa.platforms.pdd_export.parser import parse_orders
from kuaifa.platforms.pdd_export.skus import (
    SKU_SHEET_HEADER,
    STOCK_SHEET_HEADER,
    parse_sku_sheet,
    parse_stock_sheet,
    sku_rows,
)
from kuaifa.platforms.pdd_export.table import RowProblem, Table, read_table, write_table


@pytest.fixture(autouse=True)
def chinese():
    """Problems are read in Chinese, whatever an earlier test activated."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

TEA = SkuSpec(
    code="TEA-001",
    name="西湖龙井 明前特级",
    spec="250g罐装",
    barcode="6901234567892",
    weight_g=320,
    length_mm=90,
    width_mm=90,
    height_mm=150,
    bin_location="A-01-01",
    enclosures=("说明书", "防潮袋"),
)
CUP = SkuSpec(
    code="CUP-002",
    name="青瓷品茗杯",
    spec="单只装",
    barcode="6901234567908",
    weight_g=120,
    length_mm=80,
    width_mm=80,
    height_mm=60,
    bin_location="A-01-02",
    enclosures=("气泡膜",),
)
GIFT = SkuSpec(
    code="GIFT-SET",
    name="龙井茶具礼盒",
    spec="礼盒装",
    barcode="6901234567915",
    bin_location="B-02-01",
    enclosures=("发票", "贺卡"),
    components=(("TEA-001", 2), ("CUP-002", 1)),
)


def sku_table(*rows: dict[str, str]) -> Table:
    blank = {column: "" for column in SKU_SHEET_HEADER}
    return Table(header=list(SKU_SHEET_HEADER), rows=[(n, {**blank, **r}) for n, r in enumerate(rows, start=2)])


def stock_table(*rows: tuple[str, str, str]) -> Table:
    return Table(
        header=list(STOCK_SHEET_HEADER),
        rows=[(n, dict(zip(STOCK_SHEET_HEADER, r, strict=True))) for n, r in enumerate(rows, start=2)],
    )


# -- fixtures ----------------------------------------------------------------------------------------------------


def test_sku_master_csv_gives_exact_specs_including_the_bundle_and_enclosures():
    assert parse_sku_sheet(read_table(FIXTURES / "skus.csv")) == ([TEA, CUP, GIFT], [])


def test_sku_master_xlsx_with_number_cells_gives_the_same_specs():
    assert parse_sku_sheet(read_table(FIXTURES / "skus.xlsx")) == ([TEA, CUP, GIFT], [])


def test_stock_sheet_gives_counts_and_a_blank_warehouse_is_main():
    assert parse_stock_sheet(read_table(FIXTURES / "stock.csv")) == (
        [
            StockCount(sku_code="TEA-001", warehouse="MAIN", quantity=120),
            StockCount(sku_code="CUP-002", warehouse="MAIN", quantity=300),
            StockCount(sku_code="TEA-001", warehouse="BACKUP", quantity=20),
        ],
        [],
    )


def test_order_exports_name_only_master_skus_except_the_one_left_to_be_auto_created():
    specs, _ = parse_sku_sheet(read_table(FIXTURES / "skus.csv"))
    master = {spec.code for spec in specs}
    used = {
        line.outer_id
        for name in ("pdd_export_2024_utf8.csv", "pdd_export_2020_gb18030.csv")
        for order in parse_orders(read_table(FIXTURES / name)).orders
        for line in order.lines
        if line.outer_id
    }

    assert used - master == {"SPOON-009"}
    assert master - used == set()


# -- round trip ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_sku_sheet_round_trips_through_write_and_read(tmp_path, suffix):
    specs = [TEA, CUP, GIFT, SkuSpec(code="00123", name="=样品", components=(("TEA-001", 1),))]
    path = tmp_path / f"skus{suffix}"

    write_table(path, SKU_SHEET_HEADER, sku_rows(specs))

    assert parse_sku_sheet(read_table(path)) == (specs, [])


def test_sku_rows_leave_unknown_sizes_blank_and_join_lists():
    assert sku_rows([GIFT]) == [
        [
            "GIFT-SET",
            "龙井茶具礼盒",
            "礼盒装",
            "6901234567915",
            "",
            "",
            "",
            "",
            "B-02-01",
            "发票/贺卡",
            "TEA-001*2;CUP-002*1",
        ]
    ]


# -- SKU sheet rules -----------------------------------------------------------------------------------------------


def test_duplicated_code_is_a_problem_and_the_first_row_stands():
    specs, problems = parse_sku_sheet(
        sku_table({"商家编码": "TEA-001", "名称": "甲"}, {"商家编码": "TEA-001", "名称": "乙"})
    )

    assert specs == [SkuSpec(code="TEA-001", name="甲")]
    assert problems == [RowProblem(3, "商家编码", "TEA-001", "与第 2 行重复，请删去一行")]


def test_missing_code_column_is_one_problem_and_nothing_is_read():
    table = Table(header=["名称"], rows=[(2, {"名称": "茶"})])

    assert parse_sku_sheet(table) == ([], [RowProblem(1, "商家编码", "", "required column is missing")])


def test_only_the_code_column_is_required():
    table = Table(header=["商家编码"], rows=[(2, {"商家编码": "TEA-001"})])

    assert parse_sku_sheet(table) == ([SkuSpec(code="TEA-001")], [])


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"商家编码": "", "名称": "没有编码"}, RowProblem(2, "商家编码", "", "必填项为空，请填写")),
        ({"重量(g)": "12.5"}, RowProblem(2, "重量(g)", "12.5", "必须是不小于 0 的整数")),
        ({"长(mm)": "-1"}, RowProblem(2, "长(mm)", "-1", "必须是不小于 0 的整数")),
        ({"库位": "A" * 33}, RowProblem(2, "库位", "A" * 33, "超过 32 个字符")),
        ({"商家编码": "X" * 65}, RowProblem(2, "商家编码", "X" * 65, "超过 64 个字符")),
        (
            {"组合明细": "TEA-001*0"},
            RowProblem(2, "组合明细", "TEA-001*0", "'TEA-001*0'：子商品请写成 商家编码*数量，例如 TEA-001*2"),
        ),
        (
            {"组合明细": "TEA-001 2"},
            RowProblem(2, "组合明细", "TEA-001 2", "'TEA-001 2'：子商品请写成 商家编码*数量，例如 TEA-001*2"),
        ),
        ({"组合明细": "BOX*1"}, RowProblem(2, "组合明细", "BOX*1", "组合商品不能包含它自己")),
        (
            {"组合明细": "TEA-001*1;TEA-001*2"},
            RowProblem(2, "组合明细", "TEA-001*1;TEA-001*2", "子商品 TEA-001 写了两次，请合并"),
        ),
    ],
)
def test_an_invalid_sku_value_is_a_problem_and_the_row_yields_nothing(values, problem):
    assert parse_sku_sheet(sku_table({"商家编码": "BOX", **values})) == ([], [problem])


def test_components_accept_full_width_separators_and_a_bare_code_means_one():
    specs, problems = parse_sku_sheet(sku_table({"商家编码": "BOX", "组合明细": "TEA-001 ＊ 2；CUP-002，SPOON-009×3"}))

    assert problems == []
    assert specs[0].components == (("TEA-001", 2), ("CUP-002", 1), ("SPOON-009", 3))


def test_enclosures_accept_every_separator_and_ignore_empty_parts():
    specs, _ = parse_sku_sheet(sku_table({"商家编码": "BOX", "附件": "发票／说明书/贺卡,赠品，防潮袋;气泡膜；；"}))

    assert specs[0].enclosures == ("发票", "说明书", "贺卡", "赠品", "防潮袋", "气泡膜")


# -- stock sheet rules ---------------------------------------------------------------------------------------------


def test_missing_stock_columns_are_one_problem_each():
    table = Table(header=["仓库"], rows=[(2, {"仓库": "MAIN"})])

    assert parse_stock_sheet(table) == (
        [],
        [
            RowProblem(1, "商家编码", "", "required column is missing"),
            RowProblem(1, "数量", "", "required column is missing"),
        ],
    )


def test_stock_sheet_without_warehouse_column_counts_into_main():
    table = Table(header=["商家编码", "数量"], rows=[(2, {"商家编码": "TEA-001", "数量": "0"})])

    assert parse_stock_sheet(table) == ([StockCount(sku_code="TEA-001", warehouse="MAIN", quantity=0)], [])


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (("TEA-001", "MAIN", ""), RowProblem(2, "数量", "", "必填项为空，请填写")),
        (("TEA-001", "MAIN", "-5"), RowProblem(2, "数量", "-5", "必须是不小于 0 的整数")),
        (("TEA-001", "MAIN", "2.5"), RowProblem(2, "数量", "2.5", "必须是不小于 0 的整数")),
        (("", "MAIN", "5"), RowProblem(2, "商家编码", "", "必填项为空，请填写")),
    ],
)
def test_an_invalid_stock_row_is_a_problem_and_yields_nothing(row, problem):
    assert parse_stock_sheet(stock_table(row)) == ([], [problem])


def test_counting_a_sku_twice_in_one_warehouse_is_a_problem():
    counts, problems = parse_stock_sheet(stock_table(("TEA-001", "", "5"), ("TEA-001", "MAIN", "6")))

    assert counts == [StockCount(sku_code="TEA-001", warehouse="MAIN", quantity=5)]
    assert problems == [RowProblem(3, "商家编码", "TEA-001", "在仓库 MAIN 中盘点了两次：见第 2 行，请合并为一行")]


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"名称": "茶\x00"}, RowProblem(2, "名称", "茶\\0", "含有 NUL 字符")),
        ({"重量(g)": "３２０"}, RowProblem(2, "重量(g)", "３２０", "数字请用半角 0-9，不要用全角或其他文字的数字")),
        ({"重量(g)": "1000001"}, RowProblem(2, "重量(g)", "1000001", "不能大于 1000000")),
        ({"名称": "茶" * 201}, RowProblem(2, "名称", "茶" * 201, "超过 200 个字符")),
    ],
)
def test_nul_characters_foreign_digits_huge_sizes_and_long_names_are_refused(values, problem):
    assert parse_sku_sheet(sku_table({"商家编码": "BOX", **values})) == ([], [problem])


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [("١٢", "数字请用半角 0-9，不要用全角或其他文字的数字"), ("100000001", "不能大于 100000000")],
)
def test_a_stock_count_in_foreign_digits_or_beyond_the_limit_is_refused(quantity, reason):
    table = Table(header=list(STOCK_SHEET_HEADER), rows=[(2, {"商家编码": "TEA-001", "仓库": "", "数量": quantity})])

    assert parse_stock_sheet(table) == ([], [RowProblem(2, "数量", quantity, reason)])


def test_a_warehouse_name_longer_than_the_warehouse_code_is_refused():
    from kuaifa.persistence.models import Warehouse

    limit = Warehouse._meta.get_field("code").max_length
    name = "W" * (limit + 1)
    table = Table(header=list(STOCK_SHEET_HEADER), rows=[(2, {"商家编码": "TEA-001", "仓库": name, "数量": "1"})])

    assert parse_stock_sheet(table) == ([], [RowProblem(2, "仓库", name, f"超过 {limit} 个字符")])
