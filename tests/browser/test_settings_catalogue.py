"""Shop settings and the catalogue in a real browser at 1920 px and 360 px: change the ship-by promise, dry-run a
rule change that turns verdicts, save; the SKU list to a SKU's edit form (a code with a slash too), the stocktake.
Screenshots under test-artefacts/screens."""

import pytest

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.orders.review import parse_rules
from kuaifa.persistence.models import AccessEvent, Shop, Sku, StockLevel
from kuaifa.services.catalog import upsert_skus
from tests.browser.conftest import screenshot
from tests.factories import NOW, make_order
from tests.web.conftest import PASSWORDS, ingest

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = [1920, 360]
SENDER = {"sender_name": "王仓管", "sender_mobile": "13800000000", "sender_province": "浙江省",
          "sender_city": "杭州市", "sender_district": "余杭区", "sender_detail": "仓前街道 1 号"}  # fmt: skip


@pytest.fixture
def memos(team, stocked):
    """Two orders held for their buyer memo, one that passes."""
    return ingest(stocked, [
        make_order("MEMO-1", ("TEA-001", 1), buyer_memo="请发顺丰"),
        make_order("MEMO-2", ("CUP-002", 1), buyer_memo="周末送货"),
        make_order("PLAIN-1", ("TEA-001", 1)),
    ])  # fmt: skip


@pytest.mark.parametrize("width", WIDTHS)
def test_the_owner_dry_runs_a_rule_change_then_saves_a_new_promise(page_for, memos, live_server, width):
    shop = Shop.objects.get()
    page = page_for("owner", PASSWORDS["owner"], width)
    page.goto(f"{live_server.url}/shops/{shop.id}/settings/")
    assert page.locator('input[data-rule="buyer_memo"]').is_checked()

    page.fill("input[name=ship_by_hours]", "24")
    page.locator('input[data-rule="buyer_memo"]').uncheck()
    page.click('button[value="dry_run"]')
    page.wait_for_load_state("networkidle")

    result = page.locator("#dry-run")
    assert result.locator("p").get_attribute("data-changed") == "2"
    for order_sn in ("MEMO-1", "MEMO-2"):
        row = result.locator(f'tr[data-change="{order_sn}"]').inner_text()
        assert "买家留言" in row and "通过" in row  # held for the memo now, passes with the change
    assert result.locator('tr[data-change="PLAIN-1"]').count() == 0
    assert Shop.objects.get().ship_by_hours != 24  # a dry run saves nothing
    screenshot(page, "shop-settings-dry-run")

    for name, value in SENDER.items():  # a shop that ships needs its sender for the waybills
        page.fill(f"input[name={name}]", value)
    page.click('button[value="save"]')
    page.wait_for_load_state("networkidle")

    assert page.input_value("input[name=ship_by_hours]") == "24"
    assert not page.locator('input[data-rule="buyer_memo"]').is_checked()
    saved = Shop.objects.get()
    rules = {rule.code.value: rule.enabled for rule in parse_rules(saved.review_rules)}
    assert (saved.ship_by_hours, rules["buyer_memo"], saved.sender_mobile) == (24, False, "13800000000")
    assert AccessEvent.objects.filter(kind="shop_settings_changed", actor="user:owner").count() == 1
    screenshot(page, "shop-settings-saved")


@pytest.mark.parametrize("width", WIDTHS)
def test_warehouse_staff_edit_skus_from_the_list_and_count_the_shelf(page_for, team, stocked, live_server, width):
    upsert_skus([SkuSpec("A/B-01", name="斜杠商品")], now=NOW)
    page = page_for("warehouse", PASSWORDS["warehouse"], width)

    page.goto(f"{live_server.url}/skus/")
    assert page.locator('a[href="/skus/A/B-01/"]').count() == 1
    screenshot(page, "skus")
    page.locator('a[href="/skus/A/B-01/"]').click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/skus/A/B-01/"
    page.fill("input[name=name]", "斜杠商品（新）")
    page.fill("input[name=bin_location]", "C-03")
    screenshot(page, "sku-edit")
    page.locator("form.form button.primary").click()
    page.wait_for_load_state("networkidle")
    assert "A/B-01" in page.locator(".messages").inner_text()
    assert Sku.objects.filter(code="A/B-01").values_list("name", "bin_location").get() == ("斜杠商品（新）", "C-03")

    page.goto(f"{live_server.url}/skus/")
    page.locator('a[href="/skus/TEA-001/"]').click()
    page.wait_for_load_state("networkidle")
    page.fill("input[name=weight_g]", "260")
    page.locator("form.form button.primary").click()
    page.wait_for_load_state("networkidle")
    assert Sku.objects.get(code="TEA-001").weight_g == 260

    page.goto(f"{live_server.url}/stock/stocktake/?warehouse=MAIN")
    assert page.locator('tr[data-sku="A/B-01"]').count() == 1
    page.fill('input[name="count:TEA-001"]', "3")
    page.fill('input[name="count:A/B-01"]', "7")
    screenshot(page, "stocktake")
    page.locator("form[method=post] button.primary").click()
    page.wait_for_load_state("networkidle")
    levels = dict(StockLevel.objects.values_list("sku__code", "on_hand"))
    assert (levels["TEA-001"], levels["A/B-01"], levels["CUP-002"]) == (3, 7, 5)
    assert "盘点" in page.locator(".messages").inner_text()
