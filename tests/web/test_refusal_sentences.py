"""The workbench (and the API, which uses the same renderer) shows a refusal in Chinese throughout: the reason a
rule gives is translated inside the sentence. Each refusal is raised by the code that owns the rule and rendered by
:func:`kuaifa.web.feedback.sentence` in zh-hans."""

import re
from datetime import timedelta

import pytest
from django.utils import translation

from kuaifa.domain.alerts.webhooks import check as check_webhook
from kuaifa.domain.carriers.choice import ChoiceRules
from kuaifa.domain.fulfilment.boxes import Box
from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.fulfilment.weighing import WeighTolerance
from kuaifa.domain.inventory.shortage import assess_sku
from kuaifa.domain.orders.review import parse_rules
from kuaifa.domain.replies.answers import check_template
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.domain.sla.alerts import PenaltyPolicy
from kuaifa.persistence.models import Order
from kuaifa.services.catalog import add_shop
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import adjust_stock, receive_stock
from kuaifa.services.people import add_member
from kuaifa.services.shipping import ship_order
from kuaifa.services.waybills import cancel_waybill
from kuaifa.web.feedback import sentence
from tests.factories import NOW, make_order

ENGLISH_RUN = re.compile(r"[A-Za-z]+(?:[\s,;:'-]+[A-Za-z]+){2,}")
ACTOR = Actor.system("test")


def refusal(act) -> DomainError:
    with pytest.raises(DomainError) as caught:
        act()
    return caught.value


def held_order_id(shop) -> int:
    ingest_orders(shop, [make_order("W1", ("TEA-001", 1))], source=Order.Source.API, actor=ACTOR, now=NOW)
    return Order.objects.get(order_sn="W1").id


DOMAIN = [
    ("box", lambda: Box("B1", 0, 10, 10, 100), "箱型 B1：内尺寸必须是正数毫米"),
    ("weighing", lambda: WeighTolerance(absolute_g=None, percent=None), None),
    ("sla-penalty", lambda: PenaltyPolicy(min_fen=300, max_fen=100), None),
    ("wave-rule", lambda: WaveRule(horizon=timedelta(hours=-1)), None),
    ("review-rule", lambda: parse_rules([{"code": "nope"}]), None),
    ("reply-template", lambda: check_template("r1", "{tracking_number"), None),
    ("webhook-url", lambda: check_webhook("wecom", "ftp://example.com/hook"), None),
    ("carrier-choice", lambda: ChoiceRules(min_on_time_percent=101), None),
    (
        "stock-alert",
        lambda: assess_sku("TEA-001", available=1, waiting=(), shipped_recently=0, window_days=0, horizon_days=3),
        None,
    ),
    ("actor", lambda: Actor.parse("robot:x"), None),
]


@pytest.mark.parametrize(("act", "expected"), [c[1:] for c in DOMAIN], ids=[c[0] for c in DOMAIN])
def test_a_rule_refusal_reads_as_one_chinese_sentence(act, expected):
    error = refusal(act)

    with translation.override("zh-hans"):
        shown = sentence(error)

    assert isinstance(error.params["reason"], Text)
    assert ENGLISH_RUN.findall(shown) == []
    assert re.search(r"[\u4e00-\u9fff]", shown)
    if expected is not None:
        assert shown == expected


SERVICES = [
    ("stock-receipt", lambda shop: receive_stock("TEA-001", 0, actor=ACTOR, now=NOW),
     "数量：入库数量必须是正整数（填写的是 0）"),
    ("stock-adjust", lambda shop: adjust_stock("TEA-001", 0, actor=ACTOR, now=NOW), None),
    ("shop-twice", lambda shop: add_shop(shop.name, now=NOW), None),
    ("person-language", lambda shop: add_member("", "owner", "a-Long-pass-9", actor=ACTOR, now=NOW),
     None),
    ("waybill-none", lambda shop: cancel_waybill(held_order_id(shop), None, actor=ACTOR, now=NOW), None),
    ("tracking-too-short", lambda shop: ship_order(held_order_id(shop), carrier=85, tracking_number="AB12",
                                                   actor=ACTOR, now=NOW),
     "运单号：运单号 AB12：4 位太短（至少 6 位）。"),
    ("tracking-charset", lambda shop: ship_order(held_order_id(shop), carrier=85, tracking_number="YT12345/678",
                                                 actor=ACTOR, now=NOW),
     "运单号：运单号 YT12345/678：运单号只能由英文字母、数字和连字符（-）组成。"),
]  # fmt: skip


@pytest.mark.parametrize(("act", "expected"), [c[1:] for c in SERVICES], ids=[c[0] for c in SERVICES])
def test_a_service_refusal_reads_as_one_chinese_sentence(shop, catalog, act, expected):
    error = refusal(lambda: act(shop))

    with translation.override("zh-hans"):
        shown = sentence(error)

    assert isinstance(error.params["reason"], Text)
    assert ENGLISH_RUN.findall(shown) == []
    if expected is not None:
        assert shown == expected


def test_a_reason_stays_english_for_an_english_reader():
    error = refusal(lambda: Box("B1", 0, 10, 10, 100))

    with translation.override("en"):
        shown = sentence(error)

    assert "inner dimensions must be positive millimetres" in shown
