"""The 预警 and auto-reply API: the same services as the pages, acting as the key's owner."""

import pytest

from kuaifa.domain.access import Role
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Alert, OrderEvent
from kuaifa.services.people import issue_api_token
from kuaifa.services.sla import sweep
from tests.web.conftest import NOW, ingest, make_order
from tests.web.test_api import call

SETUP = Actor.system("test-setup")


@pytest.fixture
def keys(team):
    return {role.value: issue_api_token(role.value, actor=SETUP, now=NOW) for role in Role}


def test_reply_gives_the_reply_and_its_rule_or_no_rule(client, keys, stocked):
    ingest(stocked, [make_order("R1", ("TEA-001", 1), ship_in_hours=10)])
    found = call(client, "POST", "/reply", keys["service"], {"message": "啥时候发货", "order_sn": "R1"}).json()
    assert (found["matched"], found["intent"]) == (True, "when_ship")
    assert found["rule"] and found["reply"]
    none = call(client, "POST", "/reply", keys["service"], {"message": "你们老板是谁", "order_sn": "R1"}).json()
    assert none == {"matched": False, "rule": None, "intent": None, "reply": None}
    missing = call(client, "POST", "/reply", keys["service"], {"message": "发货了吗", "order_sn": "NOPE"})
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_the_sla_queue_comes_in_the_suggested_order(client, keys, stocked):
    ingest(stocked, [
        make_order("LONG", ("TEA-001", 1), ship_in_hours=1.5, paid_minutes_ago=300),
        make_order("SOON", ("TEA-001", 1), ship_in_hours=1, paid_minutes_ago=200),
        make_order("LATER", ("CUP-002", 1), ship_in_hours=2.5, paid_minutes_ago=100),
        make_order("RISK", ("CUP-002", 1), ship_in_hours=-1, risk_control_status=1),
    ])  # fmt: skip
    body = call(client, "GET", "/sla/queue?capacity=1", keys["warehouse"]).json()
    assert [(r["order_sn"], r["saved"]) for r in body["queue"]] == [("SOON", True), ("LATER", True), ("LONG", False)]
    assert (body["late"], body["late_if_fifo"]) == (1, 2)
    assert [(r["order_sn"], r["reason"]) for r in body["set_apart"]] == [("RISK", "platform_risk")]
    assert "does not publish" in body["penalty_note"]
    bad = call(client, "GET", "/sla/queue?capacity=0", keys["warehouse"])
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_input"  # refused by the schema, named


def test_alerts_are_listed_and_acknowledged_as_the_keys_owner(client, keys, shop):
    ingest(shop, [make_order("LATE", ("TEA-001", 1), ship_in_hours=-2)], review=False)
    sweep(actor=SETUP, now=NOW)
    listed = call(client, "GET", "/alerts?severity=critical", keys["service"]).json()
    assert sorted(a["key"].split(":")[1] for a in listed) == ["T-1h", "overdue"]
    target = listed[0]["id"]
    done = call(client, "POST", f"/alerts/{target}/ack", keys["service"]).json()
    assert done == {"acknowledged": 1}
    assert Alert.objects.get(id=target).acknowledged_by == "user:service"
    assert OrderEvent.objects.get(kind="alert_acknowledged").actor == "user:service"
    again = call(client, "POST", f"/alerts/{target}/ack", keys["owner"]).json()
    assert again == {"acknowledged": 0} and Alert.objects.get(id=target).acknowledged_by == "user:service"
    acknowledged = call(client, "GET", "/alerts?acknowledged=yes", keys["owner"]).json()
    assert [a["id"] for a in acknowledged] == [target]
    assert call(client, "POST", "/alerts/999999/ack", keys["owner"]).status_code == 404
    assert call(client, "POST", f"/alerts/{listed[1]['id']}/ack", keys["warehouse"]).status_code == 403
    assert Alert.objects.filter(acknowledged_at__isnull=False).count() == 1


def test_a_nul_character_is_refused_before_any_view_on_both_databases(client, keys, stocked):
    in_body = call(client, "POST", "/reply", keys["service"], {"message": "发货\x00了吗", "order_sn": "R1"})
    in_query = call(client, "GET", "/alerts?kind=%00", keys["service"])

    for refused in (in_body, in_query):
        assert refused.status_code == 422
        assert refused.json() == {"code": "invalid_input", "message": "请求中含有空字符（\\0），请去掉后重新发送。"}
