"""Auto-reply with the order's real details from the database, merchant rules, and the dry run."""

import pytest

from kuaifa.domain.replies.matching import InvalidReplyRule
from kuaifa.persistence.models import Order, ReplyRule
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.replies import add_rule, answer, dry_run
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(shop, catalog):
    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest_orders(
        shop,
        [make_order("WAIT", ("TEA-001", 1), ship_in_hours=26), make_order("SENT", ("TEA-001", 1), ship_in_hours=26)],
        source=Order.Source.API,
        actor=ACTOR,
        now=NOW,
    )
    review_orders(actor=ACTOR, now=NOW)
    ship_order(
        Order.objects.get(order_sn="SENT").id,
        carrier=85,
        tracking_number="YT9876543210987",
        actor=ACTOR,
        now=NOW,
        upload=False,
    )


def test_where_is_my_parcel_names_the_carrier_and_tracking_number(orders):
    reply = answer("我的快递到哪了？", order_sn="SENT")
    assert (reply.rule, reply.intent) == ("default.where_is_parcel", "where_is_parcel")
    assert "圆通" in reply.text and "YT9876543210987" in reply.text and "11月26日 10:00" in reply.text


def test_when_will_it_ship_gives_the_ship_by_in_beijing_time(orders):
    reply = answer("啥时候发货啊", order_sn="WAIT")
    assert reply.text == "亲，您的订单还没有发货，我们会在11月27日 12:00（北京时间）前发出，请耐心等待～"


def test_change_address_after_shipping_is_sent_to_the_carrier(orders):
    assert "地址改不了" in answer("地址写错了能改吗", order_sn="SENT").text
    assert "修改地址" in answer("地址写错了能改吗", order_sn="WAIT").text


def test_a_message_no_rule_knows_gets_no_reply(orders):
    assert answer("这个是正品吗", order_sn="WAIT").rule is None


def test_a_merchant_rule_comes_first_and_fills_the_template(orders, shop):
    add_rule(
        "shop.express",
        "carrier",
        "亲，本店默认发{carrier}，单号 {tracking_number}",
        keywords=["什么 快递"],
        shop_name=shop.name,
        now=NOW,
    )
    reply = answer("发什么快递", order_sn="SENT")
    assert (reply.rule, reply.text) == ("shop.express", "亲，本店默认发圆通快递，单号 YT9876543210987")


def test_bad_rules_are_refused_and_nothing_saved(shop):
    with pytest.raises(InvalidReplyRule):
        add_rule("bad", "x", "{phone}", keywords=["电话"], now=NOW)
    with pytest.raises(InvalidReplyRule):
        add_rule("bad", "x", "hi", now=NOW)
    assert not ReplyRule.objects.exists()


def test_an_unknown_order_or_an_empty_message_is_refused(db):
    with pytest.raises(NotFound):
        answer("到哪了", order_sn="NOPE")
    with pytest.raises(InvalidInput):
        answer("  ")


def test_dry_run_reports_rule_share_and_precision(db):
    report = dry_run([(2, "咋还没到", "where_is_parcel"), (3, "能便宜点吗", "none"), (4, "发了没", "where_is_parcel")])
    assert [(r.line, r.rule) for r in report.rows] == [
        (2, "default.where_is_parcel"),
        (3, None),
        (4, "default.when_ship"),
    ]
    assert (report.answered, report.correct, report.precision, report.in_scope) == (2, 1, 0.5, 2)
