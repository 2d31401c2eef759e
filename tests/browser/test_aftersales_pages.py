"""售后 in a real browser, at a desk (1920 px) and on a handheld (360 px): the queue by the platform's deadline →
a case → an action; the warehouse scanning a return in and inspecting it; a complaint opened on an order and
closed. Screenshots under test-artefacts/screens."""

import pytest

from kuaifa.persistence.models import AfterSalesCase, ComplaintTicket, OutboxEntry
from tests.browser.conftest import screenshot
from tests.web.conftest import PASSWORDS
from tests.web.test_aftersales_pages import RETURN_1
from tests.web.test_aftersales_pages import cases as cases  # the fixture

pytestmark = pytest.mark.django_db(transaction=True)

RED, ORANGE = "rgb(207, 19, 34)", "rgb(212, 107, 8)"


def no_sideways_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # tables scroll inside their frame; the page itself never scrolls sideways


@pytest.mark.parametrize("width", [1920, 360])
def test_customer_service_goes_from_the_queue_to_a_case_and_agrees_the_refund(page_for, cases, live_server, width):
    page = page_for("service", PASSWORDS["service"], width)
    page.goto(f"{live_server.url}/aftersales/")
    order = page.eval_on_selector_all("#cases tbody tr[data-case]", "rows => rows.map(r => r.dataset.case)")
    assert order == ["7003", "7001", "7002"]
    overdue = page.locator('tr[data-case="7003"] .urgency')
    assert overdue.inner_text().startswith("已超时")
    assert overdue.evaluate("el => getComputedStyle(el).color") == RED
    assert page.locator('tr[data-case="7001"] .urgency').evaluate("el => getComputedStyle(el).color") == ORANGE
    no_sideways_scroll(page)
    screenshot(page, "aftersales-queue")

    page.click('tr[data-case="7002"] a[href^="/aftersales/"]')
    page.wait_for_load_state("networkidle")
    assert page.locator("#case").inner_text().startswith("7002")
    page.fill('form:has([data-action="agree_refund"]) input[name=note]', "已核实")
    page.click('[data-action="agree_refund"]')
    page.wait_for_load_state("networkidle")
    assert "已向平台提交“同意退款”" in page.locator(".messages").inner_text()
    last = page.locator("#timeline li").last
    assert "同意退款" in last.inner_text() and "客服" in last.inner_text()
    assert OutboxEntry.objects.filter(kind="agree_refund").count() == 1
    assert page.locator('[data-action="agree_refund"]').count() == 0
    page.click("#order-link")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text().startswith("O2")
    page.go_back()
    no_sideways_scroll(page)
    assert screenshot(page, "aftersales-case").stat().st_size > 10_000


@pytest.mark.parametrize("width", [1920, 360])
def test_the_warehouse_scans_a_return_in_and_inspects_it(page_for, cases, live_server, width):
    page = page_for("warehouse", PASSWORDS["warehouse"], width)
    page.goto(f"{live_server.url}/aftersales/returns/")
    scan = page.locator("#scan")
    assert page.evaluate("document.activeElement.id") == "scan"  # the scanner types here
    scan.type(RETURN_1)
    scan.press("Enter")
    page.wait_for_selector('#answer [data-verdict="right"]')
    assert page.evaluate("document.body.dataset.lastTone") == "right"
    assert page.evaluate("document.activeElement.id") == "scan"
    scan.type(RETURN_1)
    scan.press("Enter")
    page.wait_for_selector('#answer [data-verdict="already"]')
    scan.type("YT0000000000000")
    scan.press("Enter")
    page.wait_for_selector('#answer [data-verdict="wrong"]')
    assert page.evaluate("document.body.dataset.lastTone") == "wrong"
    no_sideways_scroll(page)
    screenshot(page, "returns-in")

    page.click('tr[data-case="7001"] [data-action="inspect_ok"]')
    page.wait_for_load_state("networkidle")
    assert "售后单 7001：1 件已退回可售库存。" in page.locator(".messages").inner_text()
    assert AfterSalesCase.objects.get(after_sales_id="7001").state == "RESTOCKED"
    assert page.locator('tr[data-case="7001"]').count() == 0


@pytest.mark.parametrize("width", [1920, 360])
def test_a_complaint_is_opened_on_an_order_and_closed(page_for, cases, live_server, width):
    order = AfterSalesCase.objects.get(after_sales_id="7001").order
    page = page_for("service", PASSWORDS["service"], width)
    page.goto(f"{live_server.url}/orders/{order.id}/")
    page.click("#open-complaint summary")
    page.fill("#open-complaint input[name=reason]", "包装破损")
    page.fill("#open-complaint textarea[name=note]", "买家发来照片")
    page.click("#open-complaint button.primary")
    page.wait_for_load_state("networkidle")
    assert page.locator("#ticket").get_attribute("data-status") == "open"
    assert page.locator('#linked tr[data-case="7001"]').count() == 1
    page.click('[data-action="progress"]')
    page.wait_for_load_state("networkidle")
    assert page.locator("#ticket").get_attribute("data-status") == "in_progress"
    page.fill('form:has([data-action="close"]) input[name=note]', "补发新品")
    page.click('[data-action="close"]')
    page.wait_for_load_state("networkidle")
    assert page.locator("#ticket").get_attribute("data-status") == "closed"
    assert ComplaintTicket.objects.get().resolution == "补发新品"
    events = page.eval_on_selector_all("#timeline li", "items => items.map(i => i.dataset.event)")
    assert events == ["complaint_opened", "complaint_progress", "complaint_closed"]
    no_sideways_scroll(page)
    assert screenshot(page, "complaint").stat().st_size > 10_000
