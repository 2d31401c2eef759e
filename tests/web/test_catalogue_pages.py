"""Catalogue in the browser's pages: edit a SKU (audited, refusals by field), bundles with their components, and
the stocktake of a warehouse (counted rows become the truth, blank rows stay as they are)."""

from kuaifa.persistence.models import AccessEvent, Sku, StockLevel, StockMove


def test_warehouse_staff_edit_a_skus_fields_and_the_change_names_them(signed_in, catalog):
    client = signed_in("warehouse")
    form = {"name": "龙井绿茶", "spec": "250g", "barcode": "6900000000017", "weight_g": "280",
            "bin_location": "A-07", "enclosures": "说明书\n赠品卡"}  # fmt: skip

    assert client.post("/skus/TEA-001/", form).status_code == 302

    tea = Sku.objects.get(code="TEA-001")
    assert (tea.name, tea.spec, tea.barcode, tea.weight_g, tea.bin_location, tea.enclosures) == (
        "龙井绿茶", "250g", "6900000000017", 280, "A-07", ["说明书", "赠品卡"])  # fmt: skip
    audit = AccessEvent.objects.get(kind="sku_edited")
    assert (audit.actor, audit.details["before"]["bin_location"]) == ("user:warehouse", "A-01")


def test_a_barcode_already_used_by_another_sku_is_refused_and_nothing_changes(signed_in, catalog):
    Sku.objects.filter(code="CUP-002").update(barcode="6900000000024")
    client = signed_in("warehouse")
    form = {"name": "改名", "barcode": "6900000000024", "weight_g": "1", "bin_location": "Z-9"}

    response = client.post("/skus/TEA-001/", form)

    assert response.status_code == 400
    assert "CUP-002" in response.content.decode()
    tea = Sku.objects.get(code="TEA-001")
    assert (tea.name, tea.barcode, tea.bin_location) == ("绿茶", "", "A-01")
    assert not AccessEvent.objects.filter(kind="sku_edited").exists()


def test_a_bundle_shows_its_components_and_keeps_them_when_edited(signed_in, catalog):
    client = signed_in("owner")
    html = client.get("/skus/GIFT-SET/").content.decode()
    assert '<tr data-component="CUP-002"><td>CUP-002</td><td>茶杯</td><td class="num">×1</td></tr>' in html
    assert '<tr data-component="TEA-001"><td>TEA-001</td><td>绿茶</td><td class="num">×2</td></tr>' in html

    assert client.post("/skus/GIFT-SET/", {"name": "新春礼盒", "weight_g": "900"}).status_code == 302
    gift = Sku.objects.get(code="GIFT-SET")
    assert (gift.name, gift.is_bundle, gift.components.count()) == ("新春礼盒", True, 2)


def test_service_staff_cannot_edit_skus(signed_in, catalog):
    assert signed_in("service").post("/skus/TEA-001/", {"name": "x"}).status_code == 403
    assert Sku.objects.get(code="TEA-001").name == "绿茶"


def test_stocktake_sets_the_counted_rows_and_leaves_blank_rows_alone(signed_in, stocked):
    client = signed_in("warehouse")
    page = client.get("/stock/stocktake/?warehouse=MAIN").content.decode()
    assert '<tr data-sku="TEA-001">' in page and '<tr data-sku="GIFT-SET">' not in page  # bundles hold no stock

    response = client.post("/stock/stocktake/", {"warehouse": "MAIN", "count:TEA-001": "3", "count:CUP-002": "",
                                                 "note": "月末盘点"})  # fmt: skip

    assert response.status_code == 302
    levels = dict(StockLevel.objects.values_list("sku__code", "on_hand"))
    assert levels == {"TEA-001": 3, "CUP-002": 5}
    move = StockMove.objects.filter(stock_level__sku__code="TEA-001").latest("id")
    assert (move.quantity, move.actor) == (-2, "user:warehouse")


def test_a_count_that_is_not_a_number_is_refused_naming_the_sku_and_nothing_is_counted(signed_in, stocked):
    client = signed_in("warehouse")
    response = client.post("/stock/stocktake/", {"warehouse": "MAIN", "count:TEA-001": "3",
                                                 "count:CUP-002": "五"})  # fmt: skip
    assert response.status_code == 400
    assert "CUP-002" in response.content.decode()
    assert dict(StockLevel.objects.values_list("sku__code", "on_hand")) == {"TEA-001": 5, "CUP-002": 5}


def test_a_sku_code_with_a_slash_has_its_page_and_edit_form(signed_in, catalog):
    from kuaifa.domain.inventory.catalog import SkuSpec
    from kuaifa.services.catalog import upsert_skus
    from tests.web.conftest import NOW

    upsert_skus([SkuSpec("A/B-01", name="斜杠商品")], now=NOW)
    client = signed_in("owner")

    listing = client.get("/skus/?q=A/B").content.decode()
    assert 'href="/skus/A/B-01/"' in listing
    page = client.get("/skus/A/B-01/")
    assert page.status_code == 200 and "斜杠商品" in page.content.decode()

    response = client.post("/skus/A/B-01/", {"name": "改名商品", "weight_g": "120", "bin_location": "C-03"})

    assert (response.status_code, response["Location"]) == (302, "/skus/A/B-01/")
    sku = Sku.objects.get(code="A/B-01")
    assert (sku.name, sku.weight_g, sku.bin_location) == ("改名商品", 120, "C-03")
    assert client.get("/skus/A/B-99/").status_code == 404
