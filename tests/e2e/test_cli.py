"""The ``kuaifa`` command end to end on real files: what a merchant types, what they see, what is stored."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kuaifa.cli.main import cli
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import ImportBatch, Order, Reservation, StockLevel

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kuaifa(monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", "2024-06-26T12:00:00+08:00")
    monkeypatch.setenv("KUAIFA_LANG", "en")
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result

    return run


@pytest.fixture
def merchant(kuaifa, tmp_path):
    """A shop with its SKU master and opening stock, as a merchant's first steps set it up."""
    kuaifa("init")
    kuaifa("shop", "add", "茶叶店")
    kuaifa("import-skus", FIXTURES / "skus.csv")
    kuaifa("import-stock", FIXTURES / "stock.csv", "--create-warehouse")
    return tmp_path


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(FIXTURES / name, target)
    return target


@pytest.mark.parametrize("name", ["pdd_export_2024_utf8.csv", "pdd_export_2024.xlsx", "pdd_export_2020_gb18030.csv"])
def test_every_export_format_imports_and_a_second_import_changes_nothing(kuaifa, merchant, name):
    first = json.loads(kuaifa("import-orders", copy(merchant, name), "--shop", "茶叶店", "--json").output)
    again = kuaifa("import-orders", copy(merchant, name), "--shop", "茶叶店")

    assert first["created"] == first["orders"] > 0
    assert Order.objects.count() == first["orders"]
    assert "already imported" in again.output
    assert f"0 created, 0 updated, {first['orders']} unchanged" in again.output
    assert ImportBatch.objects.count() == 2


def test_the_xlsx_and_csv_exports_hold_the_same_orders(kuaifa, merchant):
    kuaifa("import-orders", copy(merchant, "pdd_export_2024_utf8.csv"), "--shop", "茶叶店")

    same = json.loads(
        kuaifa("import-orders", copy(merchant, "pdd_export_2024.xlsx"), "--shop", "茶叶店", "--json").output
    )

    assert (same["created"], same["updated"], same["unchanged"]) == (0, 0, 12)


def test_a_file_with_invalid_rows_imports_nothing_and_names_every_problem(kuaifa, merchant):
    result = kuaifa("import-orders", copy(merchant, "pdd_export_broken.csv"), "--shop", "茶叶店", ok=False)

    assert result.exit_code == 1
    assert "row 2, column 用户实付金额(元), value '12.3.4'" in result.output
    assert "row 3, column 商品数量(件), value '0'" in result.output
    assert "row 4, column 订单状态, value '待付款'" in result.output
    assert "row 5, column 承诺发货时间, value '2024-06-31 09:30:00'" in result.output
    assert Order.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_skip_invalid_imports_the_good_rows_and_writes_the_rejected_ones_beside_the_file(kuaifa, merchant):
    source = copy(merchant, "pdd_export_broken.csv")

    result = json.loads(kuaifa("import-orders", source, "--shop", "茶叶店", "--skip-invalid", "--json").output)

    rejected = (merchant / "pdd_export_broken.rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert (result["created"], result["rejected_rows"]) == (1, 4)
    assert [line.split(",")[0] for line in rejected] == ["行号", "2", "3", "4", "5"]
    assert "unknown order status" in rejected[3]
    assert Order.objects.count() == 1


def test_a_missing_required_column_is_refused_even_with_skip_invalid(kuaifa, merchant):
    source = copy(merchant, "pdd_export_missing_column.csv")

    result = kuaifa("import-orders", source, "--shop", "茶叶店", "--skip-invalid", ok=False)

    assert "column 订单号" in result.output and "required column is missing" in result.output
    assert Order.objects.count() == 0


def test_dry_run_reports_the_counts_and_changes_nothing(kuaifa, merchant):
    result = json.loads(
        kuaifa(
            "import-orders", copy(merchant, "pdd_export_2024_utf8.csv"), "--shop", "茶叶店", "--dry-run", "--json"
        ).output
    )

    assert (result["dry_run"], result["created"]) == (True, 12)
    assert Order.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_review_reserves_earliest_deadline_first_and_explain_says_why(kuaifa, merchant):
    kuaifa("import-orders", copy(merchant, "pdd_export_2024_utf8.csv"), "--shop", "茶叶店")

    review = json.loads(kuaifa("review", "--json").output)
    ledger = kuaifa("check-ledger")
    unmapped = json.loads(kuaifa("explain", "240627-743210987654321", "--json").output)

    assert review["reviewed"] == review["accepted"] + review["held"] > 0
    assert review["hold_reasons"]["sku_unmapped"] == 1
    assert "Ledger balances." in ledger.output
    assert unmapped["hold_reasons"] == ["sku_unmapped"]
    assert [r["passed"] for r in unmapped["rules"] if r["rule"] == "sku_unmapped"] == [False]
    for level in StockLevel.objects.all():
        assert 0 <= level.reserved <= level.on_hand
    accepted = Order.objects.filter(status=OrderStatus.ACCEPTED)
    assert all(Reservation.objects.filter(order=o, state="open").exists() for o in accepted)


def test_stock_arriving_for_a_held_order_accepts_it_without_a_manual_release(kuaifa, merchant):
    kuaifa("import-orders", copy(merchant, "pdd_export_2024_utf8.csv"), "--shop", "茶叶店")
    kuaifa("review")
    held = Order.objects.get(order_sn="240627-965432109876543")  # needs 3 × SPOON-009, created from the file
    assert held.hold_reasons == ["stock_insufficient"]

    kuaifa("stock", "receive", "SPOON-009", "3")

    held.refresh_from_db()
    assert held.status == OrderStatus.ACCEPTED


def test_hold_release_and_cancel_from_the_command_line(kuaifa, merchant):
    kuaifa("import-orders", copy(merchant, "pdd_export_2024_utf8.csv"), "--shop", "茶叶店")
    kuaifa("review")
    order = Order.objects.filter(status=OrderStatus.ACCEPTED).order_by("ship_by").first()

    kuaifa("hold", order.order_sn, "--note", "客户要求改地址")
    order.refresh_from_db()
    assert (order.status, order.hold_reasons) == (OrderStatus.ON_HOLD, ["manual"])
    assert not Reservation.objects.filter(order=order, state="open").exists()

    kuaifa("release", order.order_sn)
    kuaifa("review")
    kuaifa("cancel", order.order_sn)
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert "Ledger balances." in kuaifa("check-ledger").output


def test_an_illegal_move_is_refused_with_its_code(kuaifa, merchant):
    kuaifa("import-orders", copy(merchant, "pdd_export_2024_utf8.csv"), "--shop", "茶叶店")
    shipped = Order.objects.filter(status=OrderStatus.SHIPPED).first()

    result = kuaifa("cancel", shipped.order_sn, "--json", ok=False)

    assert json.loads(result.output)["error"] == "order.illegal_transition"
    shipped.refresh_from_db()
    assert shipped.status == OrderStatus.SHIPPED


def test_sku_master_exports_and_reimports_unchanged(kuaifa, merchant):
    out = merchant / "skus-export.xlsx"

    kuaifa("export-skus", out)
    again = json.loads(kuaifa("import-skus", out, "--json").output)

    assert again == {"created": 0, "updated": 0, "unchanged": 3}


def test_unknown_shop_is_a_clear_error(kuaifa, merchant):
    result = kuaifa("import-orders", FIXTURES / "pdd_export_2024_utf8.csv", "--shop", "没有这个店", ok=False)

    assert "[not_found]" in result.output and "没有这个店" in result.output


@pytest.mark.django_db(transaction=False)
def test_the_installed_command_runs_the_demo_on_a_fresh_home(tmp_path):
    env = {"KUAIFA_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "KUAIFA_LANG": "en"}
    kuaifa = str(Path(sys.executable).with_name("kuaifa"))

    subprocess.run([kuaifa, "init"], env=env, check=True, capture_output=True, timeout=120)
    demo = subprocess.run([kuaifa, "demo"], env=env, check=True, capture_output=True, text=True, timeout=120)

    assert "13 rows, 12 orders: 12 created" in demo.stdout
    assert "Ledger balances." in demo.stdout


def test_a_manual_order_and_a_reissue_from_the_command_line(kuaifa, merchant):
    created = json.loads(
        kuaifa("order-add", "--shop", "茶叶店", "--item", "TEA-001*2@19.90", "--name", "张三", "--phone", "13800001234",
               "--province", "上海市", "--city", "上海市", "--address", "世纪大道 100 号", "--order-sn", "M-1",
               "--json").output
    )  # fmt: skip
    reissued = json.loads(kuaifa("reissue", "M-1", "--item", "TEA-001*1", "--json").output)

    manual = Order.objects.get(order_sn="M-1")
    again = Order.objects.get(order_sn=reissued["order_sn"])
    assert created == {"order_sn": "M-1", "status": "ACCEPTED"}  # reviewed in the transaction that stored it
    assert (manual.pay_amount, manual.receiver_phone_mask, manual.status) == (3980, "138****1234", OrderStatus.ACCEPTED)
    assert (again.order_sn, again.pay_amount, again.reissue_of_id, again.status) == (
        "M-1-R1", 0, manual.id, OrderStatus.ACCEPTED,
    )  # fmt: skip


def test_a_malformed_item_names_the_parameter(kuaifa, merchant):
    result = kuaifa("order-add", "--shop", "茶叶店", "--item", "TEA-001x2", "--name", "张三", "--phone", "13800001234",
                    "--province", "上海市", "--city", "上海市", "--address", "世纪大道", ok=False)  # fmt: skip

    assert "--item 1" in result.output
    assert Order.objects.count() == 0


def test_stock_exports_and_reimports_as_an_unchanged_count(kuaifa, merchant):
    out = merchant / "stock-export.csv"

    kuaifa("export-stock", out)
    again = json.loads(kuaifa("import-stock", out, "--json").output)

    header = out.read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "商家编码,仓库,数量,占用,可用"
    assert len(again) == StockLevel.objects.count() == 3
    assert all(change["on_hand_before"] == change["on_hand_after"] for change in again)


def test_carrier_tariffs_and_choice_from_the_command_line(kuaifa, merchant):
    kuaifa("import-orders", copy(merchant, "pdd_export_2024_utf8.csv"), "--shop", "茶叶店")

    imported = json.loads(kuaifa("carrier", "tariffs", FIXTURES / "tariffs.csv", "--json").output)
    choice = json.loads(kuaifa("carrier", "choose", "240626-101234567890123", "--json").output)

    assert imported == {"rows": 4}
    assert choice["chosen"] in {"ZTO", "YTO", "YUNDA"}
    assert choice["explanation"][0].endswith(f"{choice['chosen']} chosen")
    assert len(choice["explanation"]) == 4  # the headline and one line per carrier
    assert choice["on_time_sources"] and all("typed in the tariff sheet" in x for x in choice["on_time_sources"])
