"""Fuzz through the commands: a file the command refuses changes nothing in the database, and no file makes a
command fail with anything but a sentence and exit code 1."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuaifa.cli.main import cli
from kuaifa.persistence.models import (
    CarrierTariff,
    ImportBatch,
    Order,
    OrderEvent,
    OrderLine,
    Sku,
    StockLevel,
    StockMove,
    Warehouse,
)
from tests.unit.test_file_fuzz import ORDER_HEADER, cell_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
pytestmark = pytest.mark.django_db(transaction=True)
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

COMMANDS = {
    "orders": (("import-orders", "{file}", "--shop", "茶叶店"), ORDER_HEADER),
    "skus": (("import-skus", "{file}"), ["商家编码", "名称", "规格", "条码", "重量(g)", "库位", "组合明细"]),
    "stock": (("import-stock", "{file}"), ["商家编码", "仓库", "数量"]),
    "tariffs": (
        ("carrier", "tariffs", "{file}"),
        ["快递公司", "省份", "首重(g)", "首重费(元)", "续重(g)", "续重费(元)"],
    ),
}


def snapshot() -> tuple:
    return (
        list(Order.objects.order_by("id").values_list("order_sn", "status", "pay_amount", "fingerprint")),
        list(OrderLine.objects.order_by("id").values_list("order_id", "quantity", "unit_price")),
        OrderEvent.objects.count(),
        list(Sku.objects.order_by("id").values_list("code", "name", "weight_g")),
        list(StockLevel.objects.order_by("id").values_list("sku_id", "warehouse_id", "on_hand", "reserved")),
        StockMove.objects.count(),
        list(Warehouse.objects.order_by("id").values_list("code", flat=True)),
        list(CarrierTariff.objects.order_by("id").values_list("carrier_code", "first_fee")),
        ImportBatch.objects.count(),
    )


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


@pytest.fixture
def merchant(runner, monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", "2024-06-26T12:00:00+08:00")
    monkeypatch.setenv("KUAIFA_LANG", "zh-hans")
    for args in (["init"], ["shop", "add", "茶叶店"], ["import-skus", str(FIXTURES / "skus.csv")]):
        assert runner.invoke(cli, args).exit_code == 0


def run_fuzzed(runner, tmp_path: Path, kind: str, content: bytes, suffix: str = ".csv") -> None:
    args, _ = COMMANDS[kind]
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(content)
    before = snapshot()

    result = runner.invoke(cli, [a.format(file=path) for a in args])

    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert snapshot() == before, result.output


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    from io import StringIO

    from kuaifa.platforms.pdd_export.table import write_csv_rows

    buffer = StringIO()
    write_csv_rows(buffer, header, rows)
    return buffer.getvalue().encode("utf-8")


@FUZZ
@given(
    kind=st.sampled_from(sorted(COMMANDS)),
    rows=st.lists(st.lists(cell_text, max_size=8), min_size=1, max_size=5),
)
def test_a_structured_but_wrong_sheet_is_imported_or_changes_nothing(runner, merchant, tmp_path, kind, rows):
    _, header = COMMANDS[kind]
    if kind == "orders":
        rows = [[row[0] if row else "", *row[1:]] for row in rows]

    run_fuzzed(runner, tmp_path, kind, csv_bytes(header, rows))


@FUZZ
@given(kind=st.sampled_from(sorted(COMMANDS)), data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_random_bytes_are_refused_with_a_sentence_and_change_nothing(runner, merchant, tmp_path, kind, data, suffix):
    run_fuzzed(runner, tmp_path, kind, data, suffix)
