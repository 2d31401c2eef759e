"""The team's day in a real browser: sign in per role, review / hold / release, map a SKU, upload a file with an
error, forbidden pages; screenshots of the main screens at 1920 px and 360 px under test-artefacts/screens."""

from dataclasses import replace
from pathlib import Path

import pytest

from kuaifa.persistence.models import Order, PlatformSku, ShopCredential
from tests.browser.conftest import screenshot
from tests.factories import make_order
from tests.web.conftest import ingest

pytestmark = pytest.mark.django_db(transaction=True)
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def day(team, stocked):
    """Orders of every kind: accepted, short of stock, a buyer memo, an unmapped listing, one overdue."""
    unmapped = make_order("LISTING-1", ("X", 1))
    unmapped = replace(unmapped, lines=(replace(unmapped.lines[0], outer_id="", goods_id="777", platform_sku_id="888",
                                                goods_name="神秘茶"),))  # fmt: skip
    orders = ingest(stocked, [
        make_order("OK-1", ("TEA-001", 1), ship_in_hours=30),
        make_order("SHORT-1", ("TEA-001", 9), ship_in_hours=5),
        make_order("MEMO-1", ("CUP-002", 1), buyer_memo="请发顺丰", ship_in_hours=20),
        make_order("LATE-1", ("CUP-002", 1), ship_in_hours=-2),
        unmapped,
    ])  # fmt: skip
    return orders


@pytest.mark.parametrize(("role", "landing", "heading"), [
    ("owner", "/dashboard/", "看板"), ("service", "/aftersales/", "售后单"), ("warehouse", "/floor/waves/", "波次拣货"),
    ("finance", "/dashboard/", "看板"),
])  # fmt: skip
def test_each_role_lands_where_its_day_starts(page_for, day, live_server, role, landing, heading):
    page = page_for(role, team_password(role))
    assert page.url == f"{live_server.url}{landing}"
    assert heading in page.inner_text("h1")
    nav = page.inner_text("nav")
    assert ("成员与角色" in nav) is (role == "owner")


def team_password(role: str) -> str:
    from tests.web.conftest import PASSWORDS

    return PASSWORDS[role]


def status_of(order_sn: str) -> str:
    return Order.objects.get(order_sn=order_sn).status


def test_service_holds_releases_and_reviews_an_order(page_for, day, live_server):
    page = page_for("service", team_password("service"))
    page.goto(f"{live_server.url}/orders/")
    row = page.locator('tr[data-order="OK-1"]')
    assert "已审核" in row.inner_text()
    row.locator("input[name=ids]").check()
    page.fill("#bulk input[name=note]", "买家要求改地址")
    page.click('#bulk button[value="hold"]')
    page.wait_for_load_state("networkidle")
    assert status_of("OK-1") == "ON_HOLD"
    page.goto(f"{live_server.url}/orders/holds/")
    page.locator('tr[data-order="OK-1"] input[name=ids]').check()
    page.locator('tr[data-order="OK-1"]').locator("xpath=ancestor::form").locator('button[value="release"]').click()
    page.wait_for_load_state("networkidle")
    assert status_of("OK-1") == "NEW"
    page.goto(f"{live_server.url}/orders/new/")
    page.locator('tr[data-order="OK-1"] input[name=ids]').check()
    page.click('#bulk button[value="review"]')
    page.wait_for_load_state("networkidle")
    assert status_of("OK-1") == "ACCEPTED"
    assert "已审核" in page.locator(".messages").inner_text() or "审核" in page.locator(".messages").inner_text()


def test_the_countdown_is_coloured_by_urgency(page_for, day, live_server):
    page = page_for("service", team_password("service"))
    page.goto(f"{live_server.url}/orders/")
    late = page.locator('tr[data-order="LATE-1"] .urgency')
    assert "u-overdue" in late.get_attribute("class")
    assert "已超时" in late.inner_text()
    assert "u-urgent" in page.locator('tr[data-order="SHORT-1"] .urgency').get_attribute("class")
    assert "剩余" in page.locator('tr[data-order="OK-1"] .urgency').inner_text()


def test_mapping_a_listing_in_one_click(page_for, day, live_server):
    page = page_for("warehouse", team_password("warehouse"))
    page.goto(f"{live_server.url}/mapping/")
    row = page.locator('tr[data-goods="777"]')
    row.locator("input[name=sku]").fill("TEA-001")
    row.locator("button").click()
    page.wait_for_load_state("networkidle")
    assert PlatformSku.objects.get(goods_id="777", platform_sku_id="888").sku.code == "TEA-001"
    assert page.locator('tr[data-goods="777"]').count() == 0


def test_uploading_a_file_with_an_error_shows_the_row_and_imports_nothing(page_for, day, live_server):
    before = Order.objects.count()
    page = page_for("warehouse", team_password("warehouse"))
    page.goto(f"{live_server.url}/upload/")
    page.select_option("select[name=kind]", "orders")
    page.set_input_files("input[name=file]", str(FIXTURES / "pdd_export_broken.csv"))
    page.click("button.primary")
    page.wait_for_load_state("networkidle")
    problems = page.locator("table.problems")
    assert "12.3.4" in problems.inner_text()
    assert Order.objects.count() == before
    screenshot(page, "upload-refused")


@pytest.mark.parametrize(("role", "path"), [
    ("warehouse", "/people/"), ("service", "/upload/"), ("finance", "/orders/manual/"), ("service", "/health/"),
])  # fmt: skip
def test_forbidden_pages_say_so(page_for, day, live_server, role, path):
    page = page_for(role, team_password(role))
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 403
    assert "不能" in page.inner_text("main")


@pytest.mark.parametrize("width", [1920, 360])
def test_main_screens_render_at_desktop_and_handheld_widths(page_for, day, live_server, width):
    page = page_for("owner", team_password("owner"), width=width)
    late = Order.objects.get(order_sn="LATE-1")
    for name, path in [("dashboard", "/dashboard/"), ("orders", "/orders/"), ("holds", "/orders/holds/"),
                       ("order-detail", f"/orders/{late.id}/"), ("stock", "/stock/"), ("mapping", "/mapping/"),
                       ("health", "/health/")]:  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways at {width} px"
        assert screenshot(page, name).stat().st_size > 5_000
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_function("document.querySelectorAll('[data-chart] canvas').length === 3")


@pytest.fixture
def sim(settings):
    from kuaifa.platforms.sim.generator import generate_shop
    from kuaifa.platforms.sim.server import serve
    from kuaifa.platforms.sim.shop import ShopConfig
    from kuaifa.platforms.sim.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimState

    state = SimState(generate_shop(ShopConfig(seed=7, orders_per_day=5)), check_timestamp=False)
    server, thread = serve("127.0.0.1", 0, state=state)
    settings.PDD_APP = {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET,
                        "gateway_url": server.base_url, "authorize_url": server.authorize_url}  # fmt: skip
    yield server
    server.stop()
    thread.join(timeout=5)


def test_the_owner_authorises_the_simulated_shop(page_for, team, live_server, sim):
    page = page_for("owner", team_password("owner"))
    page.goto(f"{live_server.url}/shops/")
    page.fill("input[name=name]", "模拟旗舰店")
    page.click("button.primary")
    page.wait_for_load_state("networkidle")
    assert "同意授权" in page.inner_text("body")  # the platform's page
    page.click("#agree")
    page.wait_for_load_state("networkidle")
    assert page.url == f"{live_server.url}/shops/"
    assert "模拟旗舰店 已接入" in page.inner_text(".messages")
    row = page.locator('tr[data-shop="模拟旗舰店"]').inner_text()
    assert "未接入" not in row and "需要重新授权" not in row  # connected, with its token's expiry shown
    assert ShopCredential.objects.filter(shop__name="模拟旗舰店").count() == 1
    screenshot(page, "shops")
