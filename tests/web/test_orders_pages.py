"""The order list, detail, hold queue and bulk actions, through the pages, as the team uses them."""

import io
import re
from dataclasses import replace
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Order, OrderEvent
from tests.web.conftest import NOW, ingest, make_order

SETUP = Actor.system("test-setup")


def with_phone(order, phone_mask: str):
    return replace(order, receiver=replace(order.receiver, phone_mask=phone_mask))


def order_sns(html: str) -> list[str]:
    return re.findall(r'<tr data-order="([^"]+)">', html)


def test_the_list_costs_the_same_few_queries_for_5_or_60_orders(signed_in, stocked):
    client = signed_in("owner")
    ingest(stocked, [make_order(f"A{i:03d}", ("TEA-001", 1), ship_in_hours=i) for i in range(1, 6)])
    with CaptureQueriesContext(connection) as small:
        assert len(order_sns(client.get("/orders/").content.decode())) == 5
    ingest(stocked, [make_order(f"B{i:03d}", ("CUP-002", 1), ship_in_hours=i) for i in range(1, 56)], review=False)
    with CaptureQueriesContext(connection) as large:
        assert len(order_sns(client.get("/orders/").content.decode())) == 50
    # no more for 60: one fewer, as the orders with a deadline fill the page and those without one are not read
    assert len(large.captured_queries) == len(small.captured_queries) - 1
    assert len(small.captured_queries) <= 10


def test_most_urgent_first_and_more_continues_without_gaps_or_repeats(signed_in, stocked):
    client = signed_in("service")
    due = {f"U{i:03d}": (i * 7) % 61 + 1 for i in range(61)}  # deadlines out of insertion order
    ingest(stocked, [make_order(sn, ("TEA-001", 1), ship_in_hours=h) for sn, h in due.items()], review=False)
    first = client.get("/orders/").content.decode()
    cursor = re.search(r"after=([^\"&]+)", first).group(1)
    second = client.get(f"/orders/?after={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in second  # only the rows, appended under the first page
    seen = order_sns(first) + order_sns(second)
    assert seen == sorted(due, key=lambda sn: (due[sn], sn))


def test_filters_by_hold_reason_and_searches_by_phone_tail(signed_in, stocked):
    client = signed_in("service")
    ingest(stocked, [
        make_order("SHORT1", ("TEA-001", 9)),
        make_order("MEMO1", ("CUP-002", 1), buyer_memo="请发顺丰"),
        with_phone(make_order("PHONE1", ("CUP-002", 1)), "138****4321"),
    ])  # fmt: skip
    assert order_sns(client.get("/orders/?reason=stock_insufficient").content.decode()) == ["SHORT1"]
    assert order_sns(client.get("/orders/?reason=buyer_memo").content.decode()) == ["MEMO1"]
    assert order_sns(client.get("/orders/?q=4321").content.decode()) == ["PHONE1"]
    assert order_sns(client.get("/orders/?q=MEMO1").content.decode()) == ["MEMO1"]


def test_hold_then_release_from_the_list_records_the_person(signed_in, stocked):
    client = signed_in("service")
    order = ingest(stocked, [make_order("H1", ("TEA-001", 1))])["H1"]
    assert order.status == "ACCEPTED"
    client.post("/orders/bulk/", {"action": "hold", "ids": [order.id], "note": "买家要改地址"})
    order.refresh_from_db()
    assert (order.status, order.hold_reasons) == ("ON_HOLD", ["manual"])
    client.post("/orders/bulk/", {"action": "release", "ids": [order.id]})
    client.post("/orders/bulk/", {"action": "review", "ids": [order.id]})
    order.refresh_from_db()
    assert order.status == "ACCEPTED"
    kinds = list(OrderEvent.objects.filter(order=order, actor="user:service").values_list("kind", flat=True))
    assert kinds == ["held", "released", "reviewed"]


def test_a_refused_order_in_a_bulk_action_does_not_stop_the_others(signed_in, stocked):
    client = signed_in("owner")
    orders = ingest(stocked, [make_order("C1", ("TEA-001", 1)), make_order("C2", ("TEA-001", 1))])
    client.post("/orders/bulk/", {"action": "cancel", "ids": [orders["C1"].id]})
    response = client.post("/orders/bulk/", {"action": "cancel", "ids": [orders["C1"].id, orders["C2"].id]},
                           follow=True)  # fmt: skip
    assert Order.objects.get(id=orders["C2"].id).status == "CANCELLED"
    assert "order.illegal_transition" in response.content.decode()


def test_warehouse_may_hold_but_not_cancel(signed_in, stocked):
    client = signed_in("warehouse")
    order = ingest(stocked, [make_order("W1", ("TEA-001", 1))])["W1"]
    assert client.post("/orders/bulk/", {"action": "cancel", "ids": [order.id]}).status_code == 403
    assert Order.objects.get(id=order.id).status == "ACCEPTED"


def test_export_writes_the_chosen_orders_to_xlsx(signed_in, stocked):
    orders = ingest(stocked, [make_order("X1", ("TEA-001", 1)), make_order("X2", ("TEA-001", 1))])
    response = signed_in("finance").post("/orders/bulk/", {"action": "export", "ids": [orders["X2"].id]})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4], r[5]) for r in rows] == [("X2", "2026-11-27 10:00", "10.00")]  # Beijing time, yuan


def test_a_form_cannot_send_people_to_another_site(signed_in, stocked):
    order = ingest(stocked, [make_order("R1", ("TEA-001", 1))])["R1"]
    client = signed_in("service")
    response = client.post("/orders/bulk/", {"action": "hold", "ids": [order.id], "next": "//evil.example/x"})
    assert response["Location"] == "/orders/"
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_detail_explains_masks_and_times_the_deadline(signed_in, stocked):
    order = ingest(stocked, [make_order("D1", ("TEA-001", 9), ship_in_hours=3)])["D1"]
    html = signed_in("service").get(f"/orders/{order.id}/").content.decode()
    assert "TEA-001" in html and "张**" in html
    assert 'class="urgency u-urgent"' in html  # 3 h left: orange
    assert str(int((NOW + timedelta(hours=3)).timestamp())) in html


def test_revealing_a_manual_orders_address_is_recorded_and_platform_orders_have_none(signed_in, stocked):
    client = signed_in("owner")
    response = client.post("/orders/manual/", {"shop": stocked.id, "name": "王小明", "phone": "13900001234",
                                               "province": "浙江省", "city": "杭州市", "address": "文三路 100 号",
                                               "lines": "TEA-001 1 19.90"})  # fmt: skip
    manual = Order.objects.get(source="manual")
    assert response["Location"] == f"/orders/{manual.id}/"
    list_html = client.get("/orders/").content.decode()
    assert "13900001234" not in list_html and "王小明" not in list_html
    revealed = client.post(f"/orders/{manual.id}/reveal/").content.decode()
    assert "13900001234" in revealed and "文三路 100 号" in revealed
    assert OrderEvent.objects.filter(order=manual, kind="address_revealed", actor="user:owner").count() == 1
    platform = ingest(stocked, [make_order("P1", ("TEA-001", 1))], review=False)["P1"]
    refused = client.post(f"/orders/{platform.id}/reveal/").content.decode()
    assert "invalid_input" in refused
    assert not OrderEvent.objects.filter(order=platform, kind="address_revealed").exists()


def test_a_member_scoped_to_one_shop_sees_only_its_orders(client, stocked):
    from kuaifa.services.catalog import add_shop
    from kuaifa.services.people import add_member

    other = add_shop("别的店", now=NOW)
    mine = ingest(stocked, [make_order("MINE", ("TEA-001", 1))], review=False)["MINE"]
    theirs = ingest(other, [make_order("THEIRS", ("TEA-001", 1))], review=False)["THEIRS"]
    member = add_member("scoped", "service", "kuaifa-scoped-2026", shops=[stocked.name], actor=SETUP, now=NOW)
    client.force_login(member.user)
    assert order_sns(client.get("/orders/").content.decode()) == ["MINE"]
    assert client.get(f"/orders/{theirs.id}/").status_code == 404
    assert client.get(f"/orders/{mine.id}/").status_code == 200
    client.post("/orders/bulk/", {"action": "hold", "ids": [theirs.id]})
    assert Order.objects.get(id=theirs.id).status == "NEW"


def test_hold_queue_groups_by_reason(signed_in, stocked):
    ingest(stocked, [make_order("S1", ("TEA-001", 9)), make_order("M1", ("CUP-002", 1), buyer_memo="急")])
    html = signed_in("service").get("/orders/holds/").content.decode()
    sections = html.split('<section class="group">')[1:]
    groups = {re.search(r"<h2>(.*?) <span", part).group(1): order_sns(part) for part in sections}
    assert groups == {"库存不足": ["S1"], "买家留言": ["M1"]}


def test_a_reissue_from_the_detail_copies_the_lines_and_is_reviewed(signed_in, stocked):
    original = ingest(stocked, [make_order("ORIG-1", ("TEA-001", 2))])["ORIG-1"]
    response = signed_in("service").post(f"/orders/{original.id}/reissue/", {"note": "包裹丢失"})
    reissue = Order.objects.get(reissue_of=original)
    assert response["Location"] == f"/orders/{reissue.id}/"
    assert (reissue.order_sn, reissue.source, reissue.pay_amount) == ("ORIG-1-R1", "reissue", 0)
    assert [(line.sku.code, line.quantity) for line in reissue.lines.all()] == [("TEA-001", 2)]
    assert signed_in("finance").post(f"/orders/{original.id}/reissue/").status_code == 403
    assert Order.objects.filter(reissue_of=original).count() == 1


def test_the_detail_of_a_shipped_order_with_a_case_costs_at_most_10_queries(signed_in, stocked):
    from kuaifa.domain.aftersales.canonical import CanonicalCase, CaseGoods, CaseType
    from kuaifa.services.aftersales import upsert_cases
    from kuaifa.services.shipping import ship_order

    client = signed_in("owner")
    order = ingest(stocked, [make_order("DET-1", ("TEA-001", 2), ("CUP-002", 1))])["DET-1"]
    ship_order(order.id, carrier=85, tracking_number="YT5550001112277", actor=SETUP, now=NOW,
               check_platform=False)  # fmt: skip
    upsert_cases(stocked, [CanonicalCase(
        after_sales_id="AS-77", order_sn="DET-1", case_type=CaseType.RETURN_REFUND, platform_status=3,
        refund_amount_fen=1000, created_at=NOW, updated_at=NOW, goods=CaseGoods(outer_id="TEA-001", quantity=1),
    )], actor=SETUP, now=NOW)  # fmt: skip

    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/orders/{order.id}/").content.decode()

    assert len(queries.captured_queries) <= 10, "\n".join(q["sql"][:120] for q in queries.captured_queries)
    for shown in ("YT5550001112277", "AS-77", "TEA-001", "CUP-002", "MAIN", "shipped"):
        assert shown in page
    assert page.count("已出库") + page.count("consumed") == 2  # both reservations, consumed by the shipment
