"""投诉工单 in the workbench: opened from an order's page, moved on, closed with a note, its after-sales cases
linked — through ``services.complaints``, by the signed-in person."""

import pytest

from kuaifa.domain.aftersales.canonical import CaseType
from kuaifa.persistence.models import ComplaintTicket, OrderEvent
from tests.web.conftest import NOW, SETUP
from tests.web.test_aftersales_pages import case_id, open_cases, platform_case, rows_of, shipped


@pytest.fixture
def complained(team, stocked):
    orders = shipped(stocked, "C1", "C2")
    open_cases(stocked, platform_case("7101", "C1", CaseType.RETURN_REFUND, 3, 10))
    return orders


def test_a_ticket_is_opened_from_the_order_moved_on_and_closed_with_a_note(signed_in, complained):
    client = signed_in("service")
    order = complained["C1"]
    detail = client.get(f"/orders/{order.id}/").content.decode()
    assert 'id="open-complaint"' in detail and f'href="/aftersales/{case_id("7101")}/"' in detail

    opened = client.post(f"/orders/{order.id}/complaint/", {"reason": "物流太慢", "note": "买家三次催问"}, follow=True)
    ticket = ComplaintTicket.objects.get()
    assert opened.redirect_chain[-1][0] == f"/complaints/{ticket.id}/"
    page = opened.content.decode()
    assert "物流太慢" in page and "买家三次催问" in page
    assert rows_of(page.split('id="linked"')[1].split("</table>")[0]) == ["7101"]  # the order's case, linked
    assert rows_of(page.split('id="timeline"')[1], "data-event") == ["complaint_opened"]
    assert "客服" in page.split('id="timeline"')[1]

    client.post(f"/complaints/{ticket.id}/move/", {"target": "in_progress", "note": "已联系快递"})
    refused = client.post(f"/complaints/{ticket.id}/move/", {"target": "closed"}, follow=True).content.decode()
    assert "关闭工单时请写明处理结果" in refused
    assert ComplaintTicket.objects.get().status == "in_progress"
    closed = client.post(f"/complaints/{ticket.id}/move/", {"target": "closed", "note": "补偿5元"}, follow=True)
    assert ComplaintTicket.objects.get().resolution == "补偿5元"
    timeline = closed.content.decode().split('id="timeline"')[1]
    assert rows_of(timeline, "data-event") == ["complaint_opened", "complaint_progress", "complaint_closed"]
    assert set(OrderEvent.objects.filter(kind__startswith="complaint_").values_list("actor", flat=True)) == {
        "user:service"
    }
    # the case shows the ticket, and its timeline the ticket's trail
    case_page = client.get(f"/aftersales/{case_id('7101')}/").content.decode()
    assert f'href="/complaints/{ticket.id}/"' in case_page and "complaint_closed" in case_page


def test_the_list_filters_by_status_and_order(signed_in, complained):
    from kuaifa.services.complaints import move_ticket, open_ticket

    first = open_ticket("C1", reason="破损", actor=SETUP, now=NOW)
    open_ticket("C2", reason="少件", actor=SETUP, now=NOW)
    move_ticket(first.id, "closed", note="已补发", actor=SETUP, now=NOW)
    client = signed_in("owner")
    assert len(rows_of(client.get("/complaints/").content.decode(), "data-ticket")) == 1  # closed ones hidden
    assert rows_of(client.get("/complaints/?status=closed").content.decode(), "data-ticket") == [str(first.id)]
    assert len(rows_of(client.get("/complaints/?order=C2").content.decode(), "data-ticket")) == 1
    assert client.get("/complaints/?status=maybe").status_code == 400


def test_only_service_and_the_owner_handle_complaints_and_a_scope_hides_other_shops(signed_in, client, complained):
    from kuaifa.services.catalog import add_shop
    from kuaifa.services.complaints import open_ticket
    from kuaifa.services.people import add_member

    ticket = open_ticket("C1", reason="破损", actor=SETUP, now=NOW)
    warehouse = signed_in("warehouse")
    assert warehouse.get("/complaints/").status_code == 403
    assert warehouse.post(f"/complaints/{ticket.id}/move/", {"target": "in_progress"}).status_code == 403
    assert signed_in("finance").get(f"/complaints/{ticket.id}/").status_code == 403

    add_shop("别家店", now=NOW)
    member = add_member("scoped", "service", "kuaifa-scoped-2026", shops=["别家店"], actor=SETUP, now=NOW)
    client.force_login(member.user)
    assert rows_of(client.get("/complaints/").content.decode(), "data-ticket") == []
    assert client.get(f"/complaints/{ticket.id}/").status_code == 404
    assert client.post(f"/orders/{complained['C2'].id}/complaint/", {"reason": "x"}).status_code == 404
    assert ComplaintTicket.objects.count() == 1
