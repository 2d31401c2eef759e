"""预警 in a real browser: the at-risk queue at a desk (1920 px) and on a handheld (360 px), and 客服
acknowledging an alert; screenshots under test-artefacts/screens."""

import pytest

from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Alert
from kuaifa.services.sla import sweep
from tests.browser.conftest import screenshot
from tests.factories import make_order
from tests.web.conftest import NOW, PASSWORDS, ingest

SETUP = Actor.system("test-setup")

pytestmark = pytest.mark.django_db(transaction=True)

ORANGE, GREY, RED = "rgb(212, 107, 8)", "rgb(140, 140, 140)", "rgb(207, 19, 34)"


@pytest.fixture
def at_risk(team, stocked):
    return ingest(stocked, [
        make_order("LONG", ("TEA-001", 1), ship_in_hours=1.5, paid_minutes_ago=300),
        make_order("SOON", ("TEA-001", 1), ship_in_hours=1, paid_minutes_ago=200),
        make_order("LATER", ("CUP-002", 1), ship_in_hours=2.5, paid_minutes_ago=100),
        make_order("RISK", ("CUP-002", 1), ship_in_hours=-1, risk_control_status=1),
    ])  # fmt: skip


@pytest.mark.parametrize("width", [1920, 360])
def test_the_sla_queue_reads_at_a_desk_and_on_a_handheld(page_for, at_risk, live_server, width):
    page = page_for("warehouse", PASSWORDS["warehouse"], width)
    page.goto(f"{live_server.url}/alerts/sla/")
    page.fill("input[name=capacity]", "1")
    page.click("form.filters >> text=排序")
    page.wait_for_load_state("networkidle")
    order = page.eval_on_selector_all("#sla-queue tbody tr", "rows => rows.map(r => r.dataset.order)")
    assert order == ["SOON", "LATER", "LONG"]
    soon = page.locator('#sla-queue tr[data-order="SOON"] .urgency')
    assert soon.inner_text().startswith("剩余") or "小时" in soon.inner_text()
    assert soon.evaluate("el => getComputedStyle(el).color") == ORANGE
    held = page.locator('#set-apart tr[data-order="RISK"] .urgency')
    assert held.evaluate("el => getComputedStyle(el).color") == GREY
    assert "估算：平台未公开赔付公式" in page.inner_text("main")
    late = page.locator('#sla-queue tr[data-order="LONG"]').inner_text()
    assert "延迟" in late
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # the table scrolls inside its frame; the page itself never scrolls sideways
    assert page.locator("text=按此顺序生成波次").is_visible()
    assert screenshot(page, "sla-queue").stat().st_size > 10_000


def test_customer_service_acknowledges_an_alert(page_for, team, shop, live_server):
    ingest(shop, [make_order("LATE-1", ("TEA-001", 1), ship_in_hours=-2)], review=False)
    sweep(actor=SETUP, now=NOW)
    overdue = Alert.objects.get(details__mark="overdue")
    page = page_for("service", PASSWORDS["service"])
    page.goto(f"{live_server.url}/alerts/?severity=critical")
    row = page.locator(f'tr[data-alert="{overdue.id}"]')
    assert row.locator(".sev-critical").evaluate("el => getComputedStyle(el).color") == RED
    row.locator("input[name=ids]").check()
    page.click('button[value="ack"]')
    page.wait_for_load_state("networkidle")
    overdue.refresh_from_db()
    assert overdue.acknowledged_by == "user:service"
    assert page.locator(f'tr[data-alert="{overdue.id}"]').count() == 0  # gone from the unacknowledged list
    page.goto(f"{live_server.url}/alerts/?acknowledged=yes")
    assert "user:service 于" in page.locator(f'tr[data-alert="{overdue.id}"] [data-state]').inner_text()
    screenshot(page, "alerts-acknowledged")
