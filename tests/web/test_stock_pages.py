"""Stock, mapping and file uploads through the pages: the same rules and row errors as the CLI."""

from dataclasses import replace
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from kuaifa.persistence.models import AccessEvent, ImportBatch, Order, PlatformSku, Sku, StockLevel, StockMove
from kuaifa.persistence.models.orders import OrderLine
from tests.factories import make_order
from tests.web.conftest import ingest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def upload(client, kind: str, name: str, content: bytes, **extra):
    return client.post("/upload/", {"kind": kind, "file": SimpleUploadedFile(name, content), **extra})


def test_an_order_export_with_a_bad_row_shows_the_row_and_imports_nothing(signed_in, shop, catalog):
    response = upload(signed_in("warehouse"), "orders", "broken.csv",
                      (FIXTURES / "pdd_export_broken.csv").read_bytes(), shop=shop.id)  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 400
    assert '<table class="dense problems">' in html
    assert "12.3.4" in html  # the bad amount, named in its row
    assert Order.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_a_good_sku_sheet_and_stock_count_apply(signed_in, shop):
    client = signed_in("warehouse")
    assert upload(client, "skus", "skus.csv", (FIXTURES / "skus.csv").read_bytes()).status_code == 200
    assert Sku.objects.filter(code__in=["TEA-001", "CUP-002"]).count() == 2
    assert (
        upload(client, "stock", "stock.csv", (FIXTURES / "stock.csv").read_bytes(), create_warehouse="1").status_code
        == 200
    )
    assert StockLevel.objects.get(sku__code="CUP-002").on_hand == 300
    assert set(StockMove.objects.values_list("actor", flat=True)) == {"user:warehouse"}


def test_a_stock_sheet_with_an_unreadable_count_changes_nothing(signed_in, shop, catalog):
    response = upload(
        signed_in("warehouse"), "stock", "stock.csv", "商家编码,仓库,数量\nTEA-001,,12\nCUP-002,,两百\n".encode()
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "两百" in html and '<td class="num">3</td>' in html  # row 3 of the file
    assert not StockLevel.objects.exists()


def test_receive_stock_from_the_page_moves_the_ledger_with_the_person(signed_in, shop, catalog):
    client = signed_in("warehouse")
    client.post("/stock/change/", {"kind": "receive", "sku": "TEA-001", "quantity": "12", "note": "到货"})
    level = StockLevel.objects.get(sku__code="TEA-001")
    assert level.on_hand == 12
    ledger = client.get(f"/stock/{level.id}/ledger/").content.decode()
    assert "user:warehouse" in ledger and "到货" in ledger
    response = client.post("/stock/change/", {"kind": "adjust", "sku": "TEA-001", "quantity": "abc"}, follow=True)
    assert "invalid_input" in response.content.decode()
    assert StockLevel.objects.get(sku__code="TEA-001").on_hand == 12


def test_one_click_mapping_unholds_orders_on_the_next_review(signed_in, shop, catalog):
    from kuaifa.domain.shared.actor import Actor
    from kuaifa.services.inventory import receive_stock
    from tests.factories import NOW

    receive_stock("TEA-001", 3, actor=Actor.system("t"), now=NOW)
    order = make_order("UNMAPPED1", ("NO-SUCH", 1))
    listing = replace(order.lines[0], outer_id="", goods_id="777", platform_sku_id="888", goods_name="神秘茶")
    order = replace(order, lines=(listing,))
    held = ingest(shop, [order])["UNMAPPED1"]
    assert held.hold_reasons == ["sku_unmapped"]
    client = signed_in("service")
    page = client.get("/mapping/").content.decode()
    assert 'data-goods="777"' in page and "888" in page
    client.post("/mapping/map/", {"shop": shop.id, "goods_id": "777", "platform_sku_id": "888", "sku": "TEA-001"})
    assert PlatformSku.objects.get(goods_id="777").sku.code == "TEA-001"
    assert AccessEvent.objects.get(kind="listing_mapped").actor == "user:service"
    assert 'data-goods="777"' not in client.get("/mapping/").content.decode()
    client.post("/orders/bulk/", {"action": "review", "ids": [held.id]})
    held.refresh_from_db()
    assert held.status == "ACCEPTED"
    assert OrderLine.objects.get(order=held).sku.code == "TEA-001"
