"""The 预警 pages and 智能客服: each calls its service and shows what it found, the signed-in person acts."""

from datetime import timedelta

import pytest

from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Alert, AlertRoute, Order, OrderEvent, ReplyRule, Wave, WaveOrder, Webhook
from kuaifa.services.alerts import AlertSpec, raise_alerts
from kuaifa.services.sla import sweep
from tests.web.conftest import NOW, ingest, make_order

SETUP = Actor.system("test-setup")


def rows_of(html: str, marker: str) -> list[str]:
    """The values of ``marker="…"`` attributes in page order (one per table row)."""
    import re

    return re.findall(rf'{marker}="([^"]+)"', html)


@pytest.fixture
def queue_orders(stocked):
    """Three packable orders whose deadlines a 1-parcel/hour line cannot all meet, and two platform holds."""
    return ingest(stocked, [
        make_order("LONG", ("TEA-001", 1), ship_in_hours=1.5, paid_minutes_ago=300),
        make_order("SOON", ("TEA-001", 1), ship_in_hours=1, paid_minutes_ago=200),
        make_order("LATER", ("CUP-002", 1), ship_in_hours=2.5, paid_minutes_ago=100),
        make_order("RISK", ("CUP-002", 1), ship_in_hours=-1, risk_control_status=1),
        make_order("PAUSED", ("CUP-002", 1), ship_in_hours=3, ship_hold=True),
    ])  # fmt: skip


def test_the_sla_queue_lists_the_suggested_order_with_countdowns_and_holds_apart(signed_in, queue_orders):
    page = signed_in("warehouse").get("/alerts/sla/?capacity=1")
    assert page.status_code == 200
    html = page.content.decode()
    queue, apart = html.split('id="set-apart"')
    # one parcel an hour saves SOON (1 h) and LATER (2.5 h); LONG cannot be saved and goes last
    assert rows_of(queue, "data-order") == ["SOON", "LATER", "LONG"]
    assert rows_of(apart, "data-order") == ["RISK", "PAUSED"]
    assert 'class="urgency u-urgent"' in queue and "u-platform" in apart and "u-overdue" not in apart
    assert "待打包 3 单，按每小时 1 个包裹：按此顺序将有 1 单延迟发货" in html
    assert "¥3.00" in html and "估算：平台未公开赔付公式" in html


def test_a_capacity_that_is_not_a_number_is_refused_naming_the_field(signed_in, queue_orders):
    page = signed_in("owner").get("/alerts/sla/?capacity=fast")
    assert page.status_code == 400
    assert "capacity" in page.content.decode() and 'data-order="SOON"' not in page.content.decode()


def test_waves_are_created_from_the_suggested_order_by_the_signed_in_person(signed_in, queue_orders):
    response = signed_in("warehouse").post("/alerts/sla/waves/", {"capacity": "1", "horizon_hours": "24",
                                                                  "max_orders": "200"})  # fmt: skip
    assert response.status_code == 302
    waved = sorted(WaveOrder.objects.values_list("order__order_sn", flat=True))
    assert waved == ["LATER", "LONG", "SOON"]
    assert set(Wave.objects.values_list("actor", flat=True)) == {"user:warehouse"}


def test_service_cannot_create_waves_or_see_the_queue(signed_in, queue_orders):
    client = signed_in("service")
    assert client.post("/alerts/sla/waves/", {"capacity": "1"}).status_code == 403
    assert client.get("/alerts/sla/").status_code == 403
    assert not Wave.objects.exists()


@pytest.fixture
def raised(shop):
    sla = ingest(shop, [make_order("LATE-1", ("TEA-001", 1), ship_in_hours=-2)], review=False)["LATE-1"]
    sweep(actor=SETUP, now=NOW)
    raise_alerts([AlertSpec(key="stock:short:CUP-002", kind="stock", severity="warning", title="CUP-002 short")],
                 actor=SETUP, now=NOW)  # fmt: skip
    return sla


def test_alerts_are_filtered_by_kind_severity_and_acknowledgement(signed_in, raised):
    client = signed_in("service")
    everything = rows_of(client.get("/alerts/").content.decode(), "data-alert")
    assert len(everything) == 5  # four SLA marks + one stock alert
    stock = client.get("/alerts/?kind=stock").content.decode()
    assert rows_of(stock, "data-alert") == [str(Alert.objects.get(kind="stock").id)]
    critical = rows_of(client.get("/alerts/?severity=critical").content.decode(), "data-alert")
    assert sorted(critical) == sorted(
        str(i) for i in Alert.objects.filter(severity="critical").values_list("id", flat=True)
    )
    assert len(critical) == 2
    assert rows_of(client.get("/alerts/?acknowledged=yes").content.decode(), "data-alert") == []
    assert client.get("/alerts/?acknowledged=maybe").status_code == 400


def test_acknowledging_records_the_signed_in_person_as_the_actor(signed_in, raised):
    overdue = Alert.objects.get(details__mark="overdue")
    response = signed_in("service").post("/alerts/ack/", {"ids": [overdue.id], "next": "/alerts/"})
    assert response.status_code == 302
    overdue.refresh_from_db()
    assert overdue.acknowledged_by == "user:service"
    assert OrderEvent.objects.get(kind="alert_acknowledged").actor == "user:service"
    assert Alert.objects.filter(acknowledged_at__isnull=False).count() == 1
    listed = signed_in("owner").get("/alerts/?acknowledged=yes").content.decode()
    assert rows_of(listed, "data-alert") == [str(overdue.id)]
    assert "user:service 于 11-" in listed


def test_an_unknown_alert_acknowledges_nothing(signed_in, raised):
    known = Alert.objects.get(kind="stock").id
    signed_in("service").post("/alerts/ack/", {"ids": [known, 999_999]})
    assert not Alert.objects.filter(acknowledged_at__isnull=False).exists()


def test_an_escalated_alert_says_so(signed_in, raised):
    from kuaifa.services.alerts import escalate_due

    escalate_due(actor=SETUP, now=NOW + timedelta(hours=1))
    assert "已于 11-" in signed_in("owner").get("/alerts/").content.decode()


def test_warehouse_does_not_see_the_alerts_centre(signed_in, raised):
    assert signed_in("warehouse").get("/alerts/").status_code == 403
    assert signed_in("warehouse").post("/alerts/ack/", {"ids": [1]}).status_code == 403
    assert not Alert.objects.filter(acknowledged_at__isnull=False).exists()


def test_only_the_owner_sets_webhooks_and_routes(signed_in, shop):
    owner = signed_in("owner")
    owner.post("/alerts/settings/", {"form": "webhook", "name": "仓库群", "kind": "dingtalk",
                                     "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
                                     "secret": "SEC123", "markdown": "1"})  # fmt: skip
    owner.post("/alerts/settings/", {"form": "route", "role": "warehouse", "webhook": "仓库群",
                                     "kinds": ["sla"], "min_severity": "warning"})  # fmt: skip
    hook = Webhook.objects.get()
    assert (hook.name, hook.kind) == ("仓库群", "dingtalk") and hook.secret != "SEC123"
    route = AlertRoute.objects.get()
    assert (route.role, route.kinds, route.min_severity, route.shop_id) == ("warehouse", ["sla"], "warning", None)
    page = owner.get("/alerts/settings/").content.decode()
    assert "仓库群" in page and "SEC123" not in page
    assert signed_in("service").post("/alerts/settings/", {"form": "webhook", "name": "x", "kind": "wecom",
                                                           "url": "https://x"}).status_code == 403  # fmt: skip
    assert Webhook.objects.count() == 1


def test_a_route_to_an_unknown_role_is_refused_and_nothing_is_stored(signed_in, shop):
    owner = signed_in("owner")
    owner.post("/alerts/settings/", {"form": "webhook", "name": "群", "kind": "wecom",
                                     "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"})  # fmt: skip
    response = owner.post("/alerts/settings/", {"form": "route", "role": "boss", "webhook": "群"}, follow=True)
    assert "role" in response.content.decode()
    assert not AlertRoute.objects.exists()


def test_stock_warnings_list_the_short_sku_and_the_orders_waiting(signed_in, stocked):
    ingest(stocked, [make_order("CUPS", ("CUP-002", 7), ship_in_hours=5)])
    html = signed_in("warehouse").get("/alerts/stock/").content.decode()
    assert rows_of(html, "data-sku") == ["CUP-002"]
    assert rows_of(html, "data-waiting") == ["CUPS"]
    assert "等待到货" in html and "u-urgent" in html


def test_stalled_parcels_show_masked_buyers_and_a_ready_notice(signed_in, stocked, monkeypatch):
    from kuaifa.services.shipping import ship_order

    order = ingest(stocked, [make_order("P1", ("TEA-001", 1))])["P1"]
    ship_order(order.id, carrier=85, tracking_number="YT5550001112223", actor=SETUP, now=NOW,
               upload=False)  # fmt: skip
    client = signed_in("service")
    quiet = client.get("/alerts/stalled/").content.decode()  # shipped just now: nothing stalled yet
    assert rows_of(quiet, "data-order") == []
    monkeypatch.setenv("KUAIFA_NOW", (NOW + timedelta(hours=60)).isoformat())
    html = client.get("/alerts/stalled/?hours=48").content.decode()
    assert rows_of(html, "data-order") == ["P1"]
    assert "张**" in html and "浙江省" in html
    assert "亲，您的包裹（圆通快递 YT5550001112223）在途中耽搁了" in html
    assert signed_in("warehouse").get("/alerts/stalled/").status_code == 403


def test_trying_a_message_shows_the_reply_and_the_rule(signed_in, stocked):
    ingest(stocked, [make_order("Q1", ("TEA-001", 1), ship_in_hours=10)])
    client = signed_in("service")
    found = client.post("/replies/", {"message": "什么时候发货呀", "order_sn": "Q1"}).content.decode()
    assert 'id="reply"' in found and "when_ship" in found
    none = client.post("/replies/", {"message": "你们老板是谁", "order_sn": "Q1"}).content.decode()
    assert "没有匹配的规则" in none and "没有匹配的规则" not in found
    missing = client.post("/replies/", {"message": "发货了吗", "order_sn": "NOPE"})
    assert missing.status_code == 400 and "NOPE" in missing.content.decode()


def test_a_reply_rule_added_on_the_page_answers_next(signed_in, stocked):
    client = signed_in("service")
    client.post("/replies/rules/", {"name": "发票", "intent": "when_ship", "keywords": "发票",
                                    "template": "订单 {order_sn} 的发票会随包裹寄出", "priority": "200"})  # fmt: skip
    assert list(ReplyRule.objects.values_list("name", "keywords", "priority")) == [("发票", ["发票"], 200)]
    ingest(stocked, [make_order("Q2", ("TEA-001", 1))])
    html = client.post("/replies/", {"message": "要发票", "order_sn": "Q2"}).content.decode()
    assert "订单 Q2 的发票会随包裹寄出" in html
    assert signed_in("warehouse").post("/replies/rules/", {"name": "x"}).status_code == 403


def test_a_dry_run_upload_shows_the_answered_share(signed_in, shop):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = "什么时候发货\n快递到哪了\n你们老板是谁\n怎么退货\n".encode()
    page = signed_in("service").post("/replies/dry-run/", {"file": SimpleUploadedFile("past.txt", text)})
    html = page.content.decode()
    assert page.status_code == 200
    assert "past.txt：4 条中回答了 3 条（75.0%）。" in html
    bad = signed_in("service").post("/replies/dry-run/", {"file": SimpleUploadedFile("past.pdf", b"x")})
    assert bad.status_code == 400 and "past.pdf" in bad.content.decode()


def test_each_role_sees_its_part_of_the_warnings_in_the_navigation(signed_in, shop):
    def links(role):
        html = signed_in(role).get("/orders/" if role != "finance" else "/dashboard/").content.decode()
        return [path for path in ("/alerts/sla/", "/alerts/stalled/", "/alerts/stock/", "/alerts/\"",
                                  "/alerts/settings/", "/replies/") if f'href="{path}' in html]  # fmt: skip

    assert links("service") == ["/alerts/stalled/", '/alerts/"', "/replies/"]
    assert links("warehouse") == ["/alerts/sla/", "/alerts/stock/"]
    assert links("owner") == ["/alerts/sla/", "/alerts/stalled/", "/alerts/stock/", "/alerts/\"",
                              "/alerts/settings/", "/replies/"]  # fmt: skip
    assert links("finance") == []


def test_a_member_scoped_to_one_shop_sees_and_acknowledges_only_its_alerts(client, stocked):
    from kuaifa.services.catalog import add_shop
    from kuaifa.services.people import add_member

    other = add_shop("别的店", now=NOW)
    ingest(stocked, [make_order("MINE", ("TEA-001", 1), ship_in_hours=-2)], review=False)
    ingest(other, [make_order("THEIRS", ("TEA-001", 1), ship_in_hours=-2)], review=False)
    sweep(actor=SETUP, now=NOW)
    member = add_member("scoped", "service", "kuaifa-scoped-2026", shops=[stocked.name], actor=SETUP, now=NOW)
    client.force_login(member.user)
    listed = rows_of(client.get("/alerts/").content.decode(), "data-alert")
    assert sorted(listed) == sorted(
        str(i) for i in Alert.objects.filter(order__order_sn="MINE").values_list("id", flat=True)
    )
    theirs = Alert.objects.filter(order__order_sn="THEIRS").first()
    client.post("/alerts/ack/", {"ids": [theirs.id]})
    assert not Alert.objects.filter(acknowledged_at__isnull=False).exists()
    asked = client.post("/replies/", {"message": "发货了吗", "order_sn": "THEIRS"})
    assert asked.status_code == 400 and 'id="reply"' not in asked.content.decode()


@pytest.fixture
def two_shops(team, stocked):
    """Orders at risk, short of stock and shipped in two shops; a warehouse member and a service member scoped to
    the second, each with an API key."""
    from kuaifa.services.catalog import add_shop
    from kuaifa.services.people import add_member, issue_api_token
    from kuaifa.services.shipping import ship_order

    other = add_shop("别的店", now=NOW)
    ingest(stocked, [make_order("A-SOON", ("TEA-001", 1), ship_in_hours=2), make_order("A-SENT", ("TEA-001", 1)),
                     make_order("A-SHORT", ("CUP-002", 9), ship_in_hours=5)])  # fmt: skip
    ingest(other, [make_order("B-SOON", ("TEA-001", 1), ship_in_hours=3), make_order("B-SENT", ("TEA-001", 1)),
                   make_order("B-SHORT", ("CUP-002", 8), ship_in_hours=6)])  # fmt: skip
    for n, sn in enumerate(("A-SENT", "B-SENT")):
        ship_order(Order.objects.get(order_sn=sn).id, carrier=85, tracking_number=f"YT555000111222{n}",
                   actor=SETUP, now=NOW, upload=False)  # fmt: skip
    for name, role in (("wh-b", "warehouse"), ("cs-b", "service")):
        add_member(name, role, f"kuaifa-{name}-2026", shops=["别的店"], actor=SETUP, now=NOW)
    return {name: issue_api_token(name, actor=SETUP, now=NOW) for name in ("wh-b", "cs-b")}


def test_a_member_scoped_to_a_shop_sees_only_its_warnings(client, two_shops, monkeypatch):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    client.force_login(users.get(username="wh-b"))
    queue = client.get("/alerts/sla/?capacity=10").content.decode()
    assert rows_of(queue.split('id="sla-queue"')[1].split("</table>")[0], "data-order") == ["B-SOON"]
    stock = client.get("/alerts/stock/").content.decode()
    assert rows_of(stock, "data-sku") == ["CUP-002"]  # shared stock: short for both shops' orders together …
    assert rows_of(stock, "data-waiting") == ["B-SHORT"]  # … but only this shop's order is named
    api_queue = client.get("/api/sla/queue?capacity=10", HTTP_AUTHORIZATION=f"Bearer {two_shops['wh-b']}").json()
    assert [row["order_sn"] for row in api_queue["queue"]] == ["B-SOON"]

    monkeypatch.setenv("KUAIFA_NOW", (NOW + timedelta(hours=60)).isoformat())
    client.force_login(users.get(username="cs-b"))
    assert rows_of(client.get("/alerts/stalled/").content.decode(), "data-order") == ["B-SENT"]
    stalled = client.get("/api/stalled", HTTP_AUTHORIZATION=f"Bearer {two_shops['cs-b']}").json()
    assert [row["order_sn"] for row in stalled] == ["B-SENT"]


def test_the_owner_edits_pauses_and_resumes_a_robot_and_nothing_owed_is_lost(signed_in, shop):
    from kuaifa.persistence.models import AccessEvent, AlertDelivery
    from kuaifa.persistence.secrets import unseal
    from kuaifa.services.alerts import add_route, add_webhook, due_deliveries

    hook = add_webhook(
        "仓库群", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=a", secret="S1", now=NOW
    )
    route = add_route("warehouse", "仓库群", now=NOW)
    owner = signed_in("owner")
    owner.post(f"/alerts/settings/webhooks/{hook.id}/edit/", {"name": "仓库二群", "kind": "dingtalk", "url": "",
                                                                "secret": "", "markdown": "1"})  # fmt: skip
    hook.refresh_from_db()
    assert (hook.name, hook.url) == ("仓库二群", "https://oapi.dingtalk.com/robot/send?access_token=a")
    assert unseal(hook.secret) == "S1"  # an empty secret field keeps the one stored
    edit = f"/alerts/settings/webhooks/{hook.id}/edit/"
    bad = owner.post(edit, {"name": "仓库二群", "kind": "wecom", "url": "qyapi.weixin.qq.com/x"}, follow=True)
    assert "alert.invalid_webhook" in bad.content.decode()
    assert Webhook.objects.get().kind == "dingtalk"  # refused: nothing changed

    page = owner.post(f"/alerts/settings/webhooks/{hook.id}/pause/", follow=True).content.decode()
    assert "已暂停机器人 仓库二群" in page
    raise_alerts([AlertSpec(key="stock:short:X", kind="stock", severity="warning", title="X short")], actor=SETUP,
                 now=NOW)  # fmt: skip
    held = AlertDelivery.objects.get()
    assert held.state == "pending" and due_deliveries(now=NOW + timedelta(hours=1)) == []  # held, not posted
    assert 'data-waiting="1"' in owner.get("/alerts/settings/").content.decode()

    owner.post(f"/alerts/settings/webhooks/{hook.id}/resume/")
    assert due_deliveries(now=NOW + timedelta(hours=1)) == [held.id]  # sent now
    owner.post(f"/alerts/settings/webhooks/{hook.id}/pause/")
    raise_alerts([AlertSpec(key="stock:short:Y", kind="stock", severity="warning", title="Y short")], actor=SETUP,
                 now=NOW)  # fmt: skip
    owner.post(f"/alerts/settings/webhooks/{hook.id}/resume/", {"discard_held": "1"})
    discarded = AlertDelivery.objects.get(alert__key="stock:short:Y")
    assert discarded.state == "failed" and discarded.last_error.startswith("discarded on resume by user:owner")
    kinds = list(AccessEvent.objects.filter(kind__startswith="webhook_").order_by("id").values_list("kind", flat=True))
    assert kinds == ["webhook_edited", "webhook_paused", "webhook_resumed", "webhook_paused", "webhook_resumed"]

    service = signed_in("service")
    assert service.post(f"/alerts/settings/routes/{route.id}/delete/").status_code == 403
    assert service.post(f"/alerts/settings/webhooks/{hook.id}/pause/").status_code == 403
    signed_in("owner").post(f"/alerts/settings/routes/{route.id}/delete/")
    assert not AlertRoute.objects.exists()
    assert AccessEvent.objects.filter(kind="route_deleted", actor="user:owner").exists()
