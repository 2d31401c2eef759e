"""The warehouse floor from the command line, on the real fixture files: import, review, boxes, a wave and its pick
list, packing by scan, shipping, labels, packing slips and the batch-ship file."""

import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from kuaifa.cli.main import cli
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import BoxType, Order, PrintLog

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TEA, CUP = "6901234567892", "6901234567908"  # the barcodes in skus.csv
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kuaifa(monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", "2024-06-26T12:00:00+08:00")
    monkeypatch.setenv("KUAIFA_LANG", "en")
    runner = CliRunner()

    def run(*args, ok: bool = True):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result

    return run


def pdf_text(file: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(file.read_bytes())).pages)


def test_from_the_order_file_to_labels_and_the_batch_ship_file(kuaifa, tmp_path):
    kuaifa("init")
    kuaifa("shop", "add", "茶叶店")
    kuaifa("import-skus", FIXTURES / "skus.csv")
    kuaifa("import-stock", FIXTURES / "stock.csv", "--create-warehouse")
    orders_file = tmp_path / "orders.csv"
    shutil.copy(FIXTURES / "pdd_export_2024_utf8.csv", orders_file)
    kuaifa("import-orders", orders_file, "--shop", "茶叶店")
    kuaifa("review")
    for code, size, weight in (("S", "100x100x100", 40), ("M", "200x150x160", 90), ("L", "400x300x300", 300)):
        kuaifa("box", "add", code, "--size", size, "--max-load", 20000, "--weight", weight, "--price", "0.80",
               "--stock", 10)  # fmt: skip
    assert [b["code"] for b in json.loads(kuaifa("box", "list", "--json").output)] == ["S", "M", "L"]

    # a wave of the orders due within three days, most urgent first
    (wave,) = json.loads(kuaifa("wave", "create", "--horizon-hours", 72, "--json").output)
    assert (wave["orders"], wave["first_order"]) == (2, "240626-101234567890123")
    assert Order.objects.filter(status=OrderStatus.PICKING).count() == 2

    # its pick list: one row per SKU in bin order, with the slots each unit goes to
    pick = tmp_path / "pick.pdf"
    printed = json.loads(kuaifa("wave", "pdf", wave["code"], pick, "--json").output)
    text = pdf_text(pick)
    assert (printed["orders"], printed["skus"], printed["units"]) == (2, 2, 4)
    assert text.index("A-01-01") < text.index("TEA-001") < text.index("A-01-02") < text.index("CUP-002")
    assert "#1×1  #2×2" in text

    # packing by scan: a wrong unit is refused and nothing changes; then slot 2 and the first order pack
    wrong = kuaifa("pack", f"{wave['code']}:1", "--scan", CUP, ok=False)
    assert "Barcode 6901234567908 is CUP-002, which is not in this parcel" in wrong.output
    two = json.loads(kuaifa("pack", f"{wave['code']}:2", "--scan", TEA, "--scan", TEA, "--scan", CUP,
                            "--enclosure", "说明书", "--enclosure", "防潮袋", "--enclosure", "气泡膜",
                            "--weight", 860, "--json").output)  # fmt: skip
    assert (two["order_sn"], two["box_code"], two["expected_g"], two["verdict"]) == (
        "240626-521098765432109", "M", 850, "ok",
    )  # fmt: skip
    kuaifa("pack", "240626-101234567890123", "--scan", TEA, "--enclosure", "说明书", "--enclosure", "防潮袋")
    assert BoxType.objects.get(code="M").stock == 8
    assert Order.objects.filter(status=OrderStatus.PACKED).count() == 2

    # labels need a tracking number: refused before shipping, then printed for the whole wave
    refused = kuaifa("labels", tmp_path / "early.pdf", "--wave", wave["code"], ok=False)
    assert "No tracking number yet" in refused.output
    kuaifa("ship", "240626-101234567890123", "--carrier", 85, "--tracking", "YT7412345678902", "--offline")
    bad = kuaifa("ship", "240626-521098765432109", "--carrier", 115, "--tracking", "7731 00", "--offline", ok=False)
    assert "contains spaces" in bad.output
    kuaifa("ship", "240626-521098765432109", "--carrier", 115, "--tracking", "773100000001", "--offline")
    labels = tmp_path / "labels.pdf"
    kuaifa("labels", labels, "--wave", wave["code"])
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(labels.read_bytes())).pages]
    assert "YT7412345678902" in pages[0] and "圆通快递" in pages[0]
    assert "773100000001" in pages[1] and "中通快递" in pages[1]
    assert "王**  139****5678" in pages[0]
    again = json.loads(kuaifa("labels", labels, "240626-521098765432109", "--json").output)
    assert again["reprints"] == ["240626-521098765432109"]
    assert PrintLog.objects.filter(kind="label", reprint=True).count() == 1

    slips = tmp_path / "slips.pdf"
    kuaifa("slips", slips, "--wave", wave["code"])
    assert "防潮袋（TEA-001）" in pdf_text(slips)

    # the back office learns of the parcels from the batch-ship file
    export = tmp_path / "ship.csv"
    kuaifa("ship-export", export)
    assert export.read_text(encoding="utf-8-sig").splitlines() == [
        "订单号,快递公司,快递单号",
        "240626-101234567890123,圆通快递,YT7412345678902",
        "240626-521098765432109,中通快递,773100000001",
    ]
    assert "Ledger balances." in kuaifa("check-ledger").output


def test_every_fulfilment_command_has_help(kuaifa):
    for args in (("box", "add"), ("box", "list"), ("wave", "create"), ("wave", "list"), ("wave", "pdf"),
                 ("wave", "remove"), ("pack",), ("labels",), ("slips",), ("ship-export",)):  # fmt: skip
        assert "--json" in kuaifa(*args, "--help").output
