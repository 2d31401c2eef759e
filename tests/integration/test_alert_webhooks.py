"""Alerts posted to chat robots over real HTTP (a local server), signatures checked independently of our code."""

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from django.utils import timezone

from kuaifa.cli.main import cli
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Alert, AlertDelivery, Order, OrderEvent
from kuaifa.services import alerts
from kuaifa.services.catalog import add_shop, ensure_warehouse
from kuaifa.services.errors import NotFound
from kuaifa.services.intake import ingest_orders
from kuaifa.tasks.alerting import post_json
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db(transaction=True)


class Robot:
    """A local robot endpoint: records each request; answers with the queued (status, body) or success."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.answers: list[tuple[int, dict]] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                robot.requests.append((self.path, body))
                status, answer = robot.answers.pop(0) if robot.answers else (200, {"errcode": 0, "code": 0})
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def robot():
    r = Robot()
    yield r
    r.server.shutdown()
    r.server.server_close()


def raise_one(severity: str = "critical", key: str = "sla:T-1h:1") -> Alert:
    spec = alerts.AlertSpec(
        key=key, kind="sla", severity=severity, title="订单 SN1 须在 11-26 11:00 前发货", body="店铺 测试店"
    )
    return alerts.raise_alerts([spec], actor=ACTOR, now=NOW)[0]


def deliver_all(at):
    return [alerts.deliver(i, post_json, now=at).outcome for i in alerts.due_deliveries(now=at)]


def test_dingtalk_gets_a_markdown_message_signed_in_the_query(robot):
    alerts.add_webhook("dd", "dingtalk", f"{robot.url}/robot/send?access_token=tok", secret="SECdd", now=NOW)
    alerts.add_route("仓库", "dd", now=NOW)
    raise_one()
    assert deliver_all(NOW) == ["done"]
    path, body = robot.requests[0]
    query = parse_qs(urlsplit(path).query)
    timestamp = query["timestamp"][0]
    assert timestamp == str(int(NOW.timestamp() * 1000))
    expected = base64.b64encode(hmac.new(b"SECdd", f"{timestamp}\nSECdd".encode(), hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected]
    assert query["access_token"] == ["tok"]
    assert body == {
        "msgtype": "markdown",
        "markdown": {
            "title": "订单 SN1 须在 11-26 11:00 前发货",
            "text": "### 订单 SN1 须在 11-26 11:00 前发货\n店铺 测试店",
        },
    }
    assert AlertDelivery.objects.get().state == AlertDelivery.State.DONE


def test_feishu_gets_timestamp_and_sign_in_the_body(robot):
    alerts.add_webhook("fs", "feishu", f"{robot.url}/open-apis/bot/v2/hook/x", secret="SECfs", markdown=False, now=NOW)
    alerts.add_route("客服", "fs", now=NOW)
    raise_one()
    assert deliver_all(NOW) == ["done"]
    _, body = robot.requests[0]
    seconds = int(NOW.timestamp())
    expected = base64.b64encode(hmac.new(f"{seconds}\nSECfs".encode(), b"", hashlib.sha256).digest()).decode()
    assert body == {
        "timestamp": str(seconds),
        "sign": expected,
        "msg_type": "text",
        "content": {"text": "订单 SN1 须在 11-26 11:00 前发货\n店铺 测试店"},
    }


def test_wecom_gets_markdown_with_the_key_in_the_url_and_no_signature(robot):
    alerts.add_webhook("wx", "wecom", f"{robot.url}/cgi-bin/webhook/send?key=KEY1", now=NOW)
    alerts.add_route("仓库", "wx", now=NOW)
    raise_one()
    deliver_all(NOW)
    path, body = robot.requests[0]
    assert path == "/cgi-bin/webhook/send?key=KEY1"
    assert body == {"msgtype": "markdown", "markdown": {"content": "**订单 SN1 须在 11-26 11:00 前发货**\n店铺 测试店"}}


def test_a_refused_post_is_retried_with_backoff_and_then_delivered_once(robot):
    alerts.add_webhook("wx", "wecom", f"{robot.url}/send?key=K", now=NOW)
    alerts.add_route("仓库", "wx", now=NOW)
    raise_one()
    robot.answers = [(500, {}), (200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    assert deliver_all(NOW) == ["retry"]
    assert deliver_all(NOW + timedelta(seconds=10)) == []  # not due yet: 30 s backoff
    assert deliver_all(NOW + timedelta(seconds=30)) == ["retry"]
    delivery = AlertDelivery.objects.get()
    assert (delivery.attempts, delivery.last_error) == (2, "93000: invalid webhook url")
    assert deliver_all(NOW + timedelta(minutes=2)) == ["done"]
    assert deliver_all(NOW + timedelta(hours=2)) == []
    assert len(robot.requests) == 3


def test_an_unreachable_robot_is_retried_not_lost():
    alerts.add_webhook("gone", "wecom", "http://127.0.0.1:9/send?key=K", now=NOW)
    alerts.add_route("仓库", "gone", now=NOW)
    raise_one()
    assert deliver_all(NOW) == ["retry"]
    assert AlertDelivery.objects.get().last_error.startswith("unreachable")


def test_an_alert_raised_twice_is_stored_and_posted_once(robot):
    alerts.add_webhook("wx", "wecom", f"{robot.url}/send?key=K", now=NOW)
    alerts.add_route("仓库", "wx", now=NOW)
    raise_one()
    assert alerts.raise_alerts([alerts.AlertSpec("sla:T-1h:1", "sla", "critical", "again")], actor=ACTOR, now=NOW) == []
    deliver_all(NOW)
    assert (Alert.objects.count(), len(robot.requests)) == (1, 1)


def test_an_unacknowledged_alert_is_escalated_to_the_escalation_route_only(robot):
    alerts.add_webhook("wx", "wecom", f"{robot.url}/team?key=K", now=NOW)
    alerts.add_webhook("boss", "wecom", f"{robot.url}/boss?key=B", markdown=False, now=NOW)
    alerts.add_route("仓库", "wx", now=NOW)
    alerts.add_route("管理", "boss", on_escalation=True, min_severity="warning", now=NOW)
    raise_one(key="sla:T-1h:1")
    raise_one(severity="info", key="sla:T-24h:1")
    deliver_all(NOW)
    assert alerts.escalate_due(actor=ACTOR, now=NOW + timedelta(minutes=29)) == []
    escalated = alerts.escalate_due(actor=ACTOR, now=NOW + timedelta(minutes=30))
    assert [a.key for a in escalated] == ["sla:T-1h:1", "sla:T-24h:1"]
    deliver_all(NOW + timedelta(minutes=30))
    boss = [body for path, body in robot.requests if path.startswith("/boss")]
    assert boss == [{"msgtype": "text", "text": {"content": "【升级】订单 SN1 须在 11-26 11:00 前发货\n店铺 测试店"}}]
    assert alerts.escalate_due(actor=ACTOR, now=NOW + timedelta(hours=5)) == []


def test_an_acknowledged_alert_is_not_escalated():
    alert = raise_one()
    assert alerts.acknowledge([alert.id], actor=Actor.cli("zhang"), now=NOW + timedelta(minutes=5)) == 1
    assert alerts.escalate_due(actor=ACTOR, now=NOW + timedelta(hours=1)) == []
    stored = Alert.objects.get()
    assert (stored.acknowledged_by, stored.escalated_at) == ("cli:zhang", None)
    assert not OrderEvent.objects.exists()  # this alert names no order


def test_acknowledging_an_unknown_alert_changes_nothing():
    alert = raise_one()
    with pytest.raises(NotFound):
        alerts.acknowledge([alert.id, alert.id + 99], actor=ACTOR, now=NOW)
    assert Alert.objects.get().acknowledged_at is None


def test_the_worker_sweeps_deadlines_and_posts_the_alerts_to_the_robot(robot, monkeypatch):
    # given an order due in 30 minutes of the real clock (the worker reads it) and a robot for the warehouse
    ensure_warehouse()
    shop = add_shop("测试店", now=NOW)
    moment = timezone.now()
    order = replace(
        make_order("DUE", ("TEA-001", 1)),
        last_ship_time=moment + timedelta(minutes=30),
        paid_at=moment - timedelta(hours=1),
    )
    ingest_orders(shop, [order], source=Order.Source.API, actor=ACTOR, now=moment)
    alerts.add_webhook("wx", "wecom", f"{robot.url}/send?key=K", markdown=False, now=NOW)
    alerts.add_route("仓库", "wx", kinds=["sla"], min_severity="critical", now=NOW)
    # when the worker runs once
    result = CliRunner().invoke(cli, ["worker", "--once"], catch_exceptions=False)
    # then the T-1h alert (the only critical one) reached the robot, once
    assert result.exit_code == 0, result.output
    assert sorted(Alert.objects.values_list("details__mark", flat=True)) == ["T-1h", "T-24h", "T-6h"]
    assert [body["text"]["content"].split("\n")[0] for _, body in robot.requests] == [
        Alert.objects.get(details__mark="T-1h").title
    ]
    assert AlertDelivery.objects.get().state == AlertDelivery.State.DONE
