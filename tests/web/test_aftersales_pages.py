"""售后 in the workbench: the queue by the platform's deadline, a case with its timeline and actions, 退货入库 by
scanner — each action through the service the CLI uses, by the signed-in person, refused in one sentence."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.db import transaction

from kuaifa.domain.aftersales.canonical import CanonicalCase, CaseGoods, CaseType
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import AfterSalesCase, Order, OrderEvent, OutboxEntry, StockLevel
from kuaifa.services.aftersales import upsert_cases
from kuaifa.services.shipping import ship_order
from tests.web.conftest import NOW, ingest, make_order

SETUP = Actor.system("test-setup")
RETURN_1, RETURN_3 = "YT9988776655443", "YT1112223334445"


def rows_of(html: str, marker: str = "data-case") -> list[str]:
    import re

    return re.findall(rf'{marker}="([^"]+)"', html)


def platform_case(after_sales_id: str, order_sn: str, kind: CaseType, status: int, hours: float, **fields):
    base = CanonicalCase(
        after_sales_id=after_sales_id, order_sn=order_sn, case_type=kind, platform_status=status,
        refund_amount_fen=1000, created_at=NOW - timedelta(hours=2), updated_at=NOW - timedelta(hours=1),
        expire_time=NOW + timedelta(hours=hours), goods=CaseGoods(outer_id="TEA-001", quantity=1), reason="质量问题",
    )  # fmt: skip
    return replace(base, **fields)


def open_cases(shop, *cases: CanonicalCase) -> None:
    with transaction.atomic():
        upsert_cases(shop, list(cases), actor=Actor.platform(), now=NOW)


def shipped(shop, *order_sns: str) -> dict[str, Order]:
    orders = ingest(shop, [make_order(sn, ("TEA-001", 1)) for sn in order_sns])
    for order in orders.values():
        ship_order(order.id, carrier=85, tracking_number=f"YT{order.id:013d}", actor=SETUP, now=NOW,
                   upload=False)  # fmt: skip
    return orders


@pytest.fixture
def cases(team, stocked):
    """Four cases on shipped orders: a return on its way (due in 5 h), a refund request (30 h), an exchange whose
    parcel comes back (overdue by 1 h), and a refunded one."""
    shipped(stocked, "O1", "O2", "O3", "O4")
    open_cases(
        stocked,
        platform_case("7001", "O1", CaseType.RETURN_REFUND, 3, 5, tracking_number=RETURN_1, shipping_name="圆通快递"),
        platform_case("7002", "O2", CaseType.REFUND_ONLY, 2, 30),
        platform_case("7003", "O3", CaseType.EXCHANGE, 14, -1, refund_amount_fen=0, tracking_number=RETURN_3,
                      shipping_name="圆通快递"),
        platform_case("7004", "O4", CaseType.REFUND_ONLY, 10, 1),
    )  # fmt: skip
    return stocked


def case_id(after_sales_id: str) -> int:
    return AfterSalesCase.objects.get(after_sales_id=after_sales_id).id


def test_the_queue_is_by_the_platforms_deadline_with_live_countdowns_and_filters(signed_in, cases):
    client = signed_in("service")
    page = client.get("/aftersales/").content.decode()
    assert rows_of(page) == ["7003", "7001", "7002"]  # the refunded case is finished: not listed by default
    overdue, soon, later = page.split('data-case="')[1:4]
    assert "u-overdue" in overdue and "已超时" in overdue and "data-deadline" in overdue
    assert "u-urgent" in soon and "剩余" in soon  # 5 h: orange
    assert "u-ok" in later
    assert "换货" in overdue and "退货在途" in soon and "退款待处理" in later

    assert rows_of(client.get("/aftersales/?type=exchange").content.decode()) == ["7003"]
    assert rows_of(client.get("/aftersales/?state=closed").content.decode()) == ["7004"]
    assert rows_of(client.get("/aftersales/?state=RETURN_IN_TRANSIT").content.decode()) == ["7003", "7001"]
    assert rows_of(client.get(f"/aftersales/?q={RETURN_1}").content.decode()) == ["7001"]
    refused = client.get("/aftersales/?type=swap")
    assert refused.status_code == 400 and "不是售后类型" in refused.content.decode()


def test_customer_service_agrees_a_refund_and_the_timeline_names_who_did_what(signed_in, cases):
    client = signed_in("service")
    response = client.post(f"/aftersales/{case_id('7002')}/agree-refund/", {"note": "已拦截"}, follow=True)
    page = response.content.decode()
    assert "已向平台提交“同意退款”，现为“待平台处理”" in page
    entry = OutboxEntry.objects.get(kind="agree_refund")
    assert entry.payload == {"order_sn": "O2", "after_sales_id": "7002", "note": "已拦截"}
    decided = OrderEvent.objects.get(kind="aftersales_decision")
    assert decided.actor == "user:service"
    timeline = page.split('id="timeline"')[1]
    assert rows_of(timeline, "data-event") == ["aftersales", "aftersales_decision"]
    assert "拼多多" in timeline  # the platform opened it
    assert "service" in timeline and "客服" in timeline  # the person, with their role
    assert 'data-action="agree_refund"' not in page  # done: the button is gone


def test_the_warehouse_scans_returns_in_and_inspects_them(signed_in, cases):
    client = signed_in("warehouse")
    assert client.get("/aftersales/").status_code == 403
    page = client.get("/aftersales/returns/").content.decode()
    assert 'class="scan-input"' in page and "autofocus" in page
    assert rows_of(page, "data-return") == [RETURN_3, RETURN_1]  # the nearest platform deadline first

    first = client.post("/aftersales/returns/scan/", {"code": RETURN_1.lower()}).content.decode()
    assert 'data-verdict="right"' in first and f"退货包裹 {RETURN_1} 已签收：售后单 7001" in first
    again = client.post("/aftersales/returns/scan/", {"code": RETURN_1}).content.decode()
    assert 'data-verdict="already"' in again
    unknown = client.post("/aftersales/returns/scan/", {"code": "YT0000000000000"}).content.decode()
    assert 'data-verdict="wrong"' in unknown and "YT0000000000000" in unknown
    assert AfterSalesCase.objects.get(after_sales_id="7001").state == "RECEIVED"

    before = StockLevel.objects.get(sku__code="TEA-001").on_hand
    client.post(f"/aftersales/{case_id('7001')}/inspect/", {"outcome": "ok", "next": "returns"})
    case = AfterSalesCase.objects.get(after_sales_id="7001")
    assert (case.state, case.restocked_units) == ("RESTOCKED", 1)
    assert StockLevel.objects.get(sku__code="TEA-001").on_hand == before + 1
    assert OrderEvent.objects.get(kind="return_inspected").actor == "user:warehouse"
    # the warehouse takes no platform decision
    assert client.post(f"/aftersales/{case_id('7002')}/agree-refund/").status_code == 403
    assert not OutboxEntry.objects.filter(kind="agree_refund").exists()


def test_an_exchange_gets_its_replacement_order_linked_from_the_case(signed_in, cases):
    warehouse = signed_in("warehouse")
    warehouse.post("/aftersales/returns/scan/", {"code": RETURN_3})
    warehouse.post(f"/aftersales/{case_id('7003')}/inspect/", {"outcome": "ok"})
    service = signed_in("service")
    page = service.get(f"/aftersales/{case_id('7003')}/").content.decode()
    assert 'data-action="replace"' in page

    done = service.post(f"/aftersales/{case_id('7003')}/replace/", follow=True).content.decode()

    case = AfterSalesCase.objects.get(after_sales_id="7003")
    assert case.reissue_order is not None and case.reissue_order.order_sn == "O3-AS7003"
    assert 'id="replacement-link"' in done and "O3-AS7003" in done
    assert f'href="/orders/{case.order_id}/"' in done
    assert 'data-action="replace"' not in done


def test_a_refused_action_reads_as_one_chinese_sentence_with_its_code(signed_in, cases):
    response = signed_in("service").post(f"/aftersales/{case_id('7002')}/inspect/", {"outcome": "ok"}, follow=True)
    page = response.content.decode()
    assert "售后单 7002 当前为 退款待处理" in page
    assert '<code class="code">aftersales.decision_not_allowed</code>' in page
    assert AfterSalesCase.objects.get(after_sales_id="7002").restocked_units == 0


def test_finance_sees_the_refunds_and_acts_on_none(signed_in, cases):
    client = signed_in("finance")
    queue = client.get("/aftersales/?state=all").content.decode()
    assert "¥10.00" in queue and "已退款 ¥10.00" in queue
    page = client.get(f"/aftersales/{case_id('7002')}/").content.decode()
    assert "data-action" not in page
    assert client.post(f"/aftersales/{case_id('7002')}/agree-refund/").status_code == 403
    assert client.get("/aftersales/returns/").status_code == 403


def test_a_member_scoped_to_a_shop_sees_and_acts_on_its_cases_only(client, cases):
    from kuaifa.services.catalog import add_shop
    from kuaifa.services.people import add_member

    other = add_shop("别家店", now=NOW)
    shipped(other, "B1")
    open_cases(other, platform_case("8001", "B1", CaseType.RETURN_REFUND, 3, 2, tracking_number="YT7770001112223"))
    member = add_member("scoped", "service", "kuaifa-scoped-2026", shops=["别家店"], actor=SETUP, now=NOW)
    client.force_login(member.user)

    assert rows_of(client.get("/aftersales/").content.decode()) == ["8001"]
    assert client.get(f"/aftersales/{case_id('7001')}/").status_code == 404
    assert client.post(f"/aftersales/{case_id('7002')}/agree-refund/").status_code == 404
    assert not OutboxEntry.objects.filter(kind="agree_refund").exists()
    scan = client.post("/aftersales/returns/scan/", {"code": RETURN_1}).content.decode()
    assert 'data-verdict="wrong"' in scan
    assert AfterSalesCase.objects.get(after_sales_id="7001").state == "RETURN_IN_TRANSIT"
    assert rows_of(client.get("/aftersales/returns/").content.decode(), "data-return") == ["YT7770001112223"]
    # the API with this person's key: the same scope
    from kuaifa.services.people import issue_api_token

    key = issue_api_token("scoped", actor=SETUP, now=NOW)
    listed = client.get("/api/aftersales?state=all", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    assert [c["after_sales_id"] for c in listed["cases"]] == ["8001"]
    assert listed["cases"][0]["time_left_minutes"] == 120
