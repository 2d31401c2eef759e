"""Carrier choice inputs: what a buyer's memo refuses, and the merchant's tariff sheet."""

from pathlib import Path

import pytest

from kuaifa.domain.carriers.choice import TariffRow, exclusions_from_memo, on_time_for, tariffs_from_rows
from kuaifa.platforms.pdd_export.table import read_table
from kuaifa.platforms.pdd_export.tariffs import parse_tariff_sheet

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.mark.parametrize(
    ("memo", "refused"),
    [
        ("请不要发韵达，谢谢", {"YUNDA"}),
        ("别用中通", {"ZTO"}),
        ("顺丰最好，不要发极兔和申通", {"JTSD", "STO"}),
        ("发中通，快点", set()),
        ("", set()),
    ],
)
def test_a_memo_refuses_only_the_carriers_named_after_a_refusal(memo, refused):
    assert exclusions_from_memo(memo) == frozenset(refused)


def test_the_tariff_sheet_reads_codes_names_province_groups_and_optional_columns():
    rows, problems = parse_tariff_sheet(read_table(FIXTURES / "tariffs.csv"))

    assert problems == []
    assert [(r.carrier_code, r.provinces, r.first_fee_fen, r.step_fee_fen, r.max_weight_g, r.on_time_percent)
            for r in rows] == [
        ("ZTO", (), 300, 150, 30000, 92),
        ("ZTO", ("新疆", "西藏"), 1500, 1000, None, 70),
        ("YTO", (), 280, 180, None, 88),
        ("YUNDA", (), 250, 200, 20000, None),
    ]  # fmt: skip


def test_every_bad_cell_of_the_tariff_sheet_is_named(tmp_path):
    sheet = tmp_path / "bad.csv"
    sheet.write_text("快递公司,省份,首重(g),首重费(元),续重(g),续重费(元)\n顺风,,1000,abc,0,1.00\n", encoding="utf-8")

    rows, problems = parse_tariff_sheet(read_table(sheet))

    assert rows == []
    assert [(p.row, p.column, p.value) for p in problems] == [
        (2, "快递公司", "顺风"), (2, "首重费(元)", "abc"), (2, "续重(g)", "0"),
    ]  # fmt: skip


def test_tariff_numbers_in_full_width_digits_huge_or_with_nul_are_named(tmp_path):
    sheet = tmp_path / "wide.csv"
    sheet.write_text(
        "快递公司,省份,首重(g),首重费(元),续重(g),续重费(元)\n"
        "ZTO,,１０００,3.00,1000,1.50\nZTO,浙江,1000,99999.00,2000000,1.50\nZTO,上\x00海,1000,3.00,1000,1.50\n",
        encoding="utf-8",
    )

    rows, problems = parse_tariff_sheet(read_table(sheet))

    assert rows == []
    assert [(p.row, p.column, p.value) for p in problems] == [
        (2, "首重(g)", "１０００"), (3, "首重费(元)", "99999.00"), (3, "续重(g)", "2000000"), (4, "省份", "上\\0海"),
    ]  # fmt: skip


def test_on_time_rates_prefer_the_row_naming_the_province():
    rows = [TariffRow(1, "ZTO", (), 1000, 300, 1000, 150, None, 92),
            TariffRow(2, "ZTO", ("新疆",), 1000, 1500, 1000, 1000, None, 70)]  # fmt: skip

    assert on_time_for(rows, "新疆维吾尔自治区") == {"ZTO": 70}
    assert on_time_for(rows, "浙江省") == {"ZTO": 92}
    assert len(tariffs_from_rows(rows)) == 1
