"""``kuaifa sla``, ``stock-alerts``, ``alerts`` and ``reply`` end to end: what the merchant types and sees."""

import json

import pytest
from click.testing import CliRunner

from kuaifa.cli.main import cli
from kuaifa.persistence.models import Alert, Order, Webhook
from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kuaifa(monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", NOW.isoformat())
    monkeypatch.setenv("KUAIFA_LANG", "en")
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result

    return run


@pytest.fixture
def day():
    from kuaifa.domain.inventory.catalog import SkuSpec

    ensure_warehouse()
    shop = add_shop("茶叶店", now=NOW)
    upsert_skus([SkuSpec("TEA-001", name="绿茶")], now=NOW)
    receive_stock("TEA-001", 2, actor=ACTOR, now=NOW)
    ingest_orders(
        shop,
        [
            make_order("SOON", ("TEA-001", 1), ship_in_hours=0.5),
            make_order("LATER", ("TEA-001", 1), ship_in_hours=30),
            make_order("SHORT", ("TEA-001", 1), ship_in_hours=5),
        ],
        source=Order.Source.API,
        actor=ACTOR,
        now=NOW,
    )
    review_orders(actor=ACTOR, now=NOW)
    return shop


def test_sla_queue_sweep_and_alerts(kuaifa, day):
    # review gave the two units to SOON (due in 30 min) and SHORT (5 h); LATER waits for stock
    queue = json.loads(kuaifa("sla", "--capacity", "1", "--json").output)
    assert [(row["order_sn"], row["saved"]) for row in queue["queue"]] == [("SHORT", True), ("SOON", False)]
    assert (queue["late"], queue["late_if_earliest_deadline_first"], queue["late_if_fifo"]) == (1, 1, 1)
    assert "does not publish" in queue["penalty_note"]

    first = json.loads(kuaifa("sla", "sweep", "--json").output)
    assert (first["watched"], first["raised"]) == (3, 5)  # SOON: T-24h, T-6h, T-1h; SHORT: T-24h, T-6h
    again = json.loads(kuaifa("sla", "sweep", "--json").output)
    assert again["raised"] == 0

    listed = json.loads(kuaifa("alerts", "list", "--json").output)
    assert len(listed) == Alert.objects.count() == 5
    out = kuaifa("alerts", "ack", listed[0]["id"]).output
    assert "1 alert(s) acknowledged." in out
    assert len(json.loads(kuaifa("alerts", "list", "--json").output)) == 4
    kuaifa("alerts", "ack", "999999", ok=False)


def test_stock_alerts_list_the_waiting_order(kuaifa, day):
    out = kuaifa("stock-alerts").output
    assert "TEA-001: 0 available, 1 waiting — 1 short, needed by 2026-11-27 16:00" in out
    assert "LATER needs 1, breaches ship-by at 2026-11-27 16:00 if nothing arrives" in out


def test_webhook_and_route_setup_refuses_bad_input(kuaifa, day):
    kuaifa(
        "alerts",
        "webhook",
        "add",
        "ops",
        "--kind",
        "dingtalk",
        "--url",
        "https://oapi.dingtalk.com/robot/send?access_token=x",
        "--secret",
        "SEC",
    )
    assert Webhook.objects.get().secret not in ("", "SEC")  # sealed at rest
    kuaifa("alerts", "route", "add", "仓库", "ops", "--kind", "sla")
    kuaifa("alerts", "webhook", "add", "bad", "--kind", "wecom", "--url", "ftp://x", ok=False)
    kuaifa("alerts", "route", "add", "仓库", "nope", ok=False)


def test_a_webhook_is_edited_paused_and_resumed_and_a_route_deleted_from_the_cli(kuaifa, day):
    from kuaifa.persistence.models import AlertDelivery, AlertRoute
    from kuaifa.persistence.secrets import unseal

    kuaifa("alerts", "webhook", "add", "ops", "--kind", "wecom", "--url", "https://qyapi.weixin.qq.com/x?key=1")
    route = json.loads(kuaifa("alerts", "route", "add", "仓库", "ops", "--json").output)
    kuaifa("alerts", "webhook", "edit", "ops", "--name", "ops2", "--kind", "dingtalk", "--url",
           "https://oapi.dingtalk.com/robot/send?access_token=x", "--secret", "SEC", "--text")  # fmt: skip
    hook = Webhook.objects.get()
    assert (hook.name, hook.kind, unseal(hook.secret), hook.markdown) == ("ops2", "dingtalk", "SEC", False)
    paused = json.loads(kuaifa("alerts", "webhook", "pause", "ops2", "--json").output)
    assert paused == {"name": "ops2", "active": False, "held": 0, "discarded": 0}
    kuaifa("sla", "sweep")  # alerts raised while it is paused are held for it
    held = AlertDelivery.objects.filter(webhook=hook, state="pending").count()
    assert held > 0
    resumed = json.loads(kuaifa("alerts", "webhook", "resume", "ops2", "--discard-held", "--json").output)
    assert resumed == {"name": "ops2", "active": True, "held": 0, "discarded": held}
    kuaifa("alerts", "webhook", "edit", "ops2", "--clear-secret")
    assert unseal(Webhook.objects.get().secret) == ""
    kuaifa("alerts", "route", "delete", str(route["id"]))
    assert not AlertRoute.objects.exists()
    kuaifa("alerts", "route", "delete", str(route["id"]), ok=False)
    kuaifa("alerts", "webhook", "pause", "nope", ok=False)


def test_reply_prints_the_reply_and_the_rule_or_no_rule(kuaifa, day, tmp_path):
    out = kuaifa("reply", "啥时候发货", "--order", "LATER").output
    assert "11月27日 16:00" in out and "default.when_ship" in out
    assert kuaifa("reply", "能便宜点吗").output.strip() == "no rule"
    messages = tmp_path / "past.txt"
    messages.write_text("咋还没到\n能便宜点吗\n\n怎么退货\n", encoding="utf-8")
    report = json.loads(kuaifa("reply", "--dry-run", messages, "--json").output)
    assert (report["messages"], report["answered"], report["precision"]) == (3, 2, None)
    assert [row["message"] for row in report["rows"]] == ["能便宜点吗"]


def test_tracking_stalled_lists_the_silent_parcel_with_a_notice(kuaifa, day, monkeypatch):
    from datetime import timedelta

    from kuaifa.services.shipping import ship_order

    ship_order(
        Order.objects.get(order_sn="SOON").id,
        carrier=85,
        tracking_number="YT5550001112223",
        actor=ACTOR,
        now=NOW,
        upload=False,
    )
    assert json.loads(kuaifa("tracking", "stalled", "--json").output) == []
    monkeypatch.setenv("KUAIFA_NOW", (NOW + timedelta(hours=49)).isoformat())
    (row,) = json.loads(kuaifa("tracking", "stalled", "--notices", "--json").output)
    assert (row["order_sn"], row["carrier"], row["buyer"], row["silent_hours"]) == ("SOON", "圆通快递", "张**", 49.0)
    assert "YT5550001112223" in row["notice"]
