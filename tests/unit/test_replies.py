"""Auto-reply matching and state-aware replies, without a database (jieba as the segmenter)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import jieba
import pytest

from kuaifa.domain.replies.answers import (
    ASK_ORDER,
    DEFAULT_RULES,
    Intent,
    OrderFacts,
    check_template,
    default_reply,
    render,
)
from kuaifa.domain.replies.matching import HIDING_WORDS, InvalidReplyRule, Rule, contains, match, normalise

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SHIP_BY = datetime(2026, 11, 12, 4, 30, tzinfo=UTC)  # 12:30 in Beijing


@pytest.fixture(scope="module")
def segment():
    for word in HIDING_WORDS:
        jieba.del_word(word)
    for rule in DEFAULT_RULES:
        for group in rule.keyword_groups:
            for keyword in group:
                if len(keyword) > 1:
                    jieba.add_word(normalise(keyword))
    return jieba.lcut


def intent_of(message: str, segment) -> str:
    found = match(message, DEFAULT_RULES, segment)
    return found.rule.intent if found else "none"


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("啥时候发😭", Intent.WHEN_SHIP),
        ("咋还没到！！", Intent.WHERE_IS_PARCEL),
        ("ＷＨＥＲＥ is my parcel", Intent.WHERE_IS_PARCEL),
        ("退款什么时候到账", Intent.REFUND_PROGRESS),
        ("地趾写错了", Intent.CHANGE_ADDRESS),
        ("不想要了 怎么退", Intent.HOW_TO_RETURN),
        ("能发顺丰吗", "none"),
        ("可以开发票吗", "none"),
    ],
)
def test_variants_typos_emoji_and_width_meet_the_same_rule(message, intent, segment) -> None:
    assert intent_of(message, segment) == intent


def test_a_keyword_matches_whole_words_not_inside_another_word() -> None:
    assert contains(("退出", "登录"), "退") is False
    assert contains(("退", "出"), "退") is True
    assert contains(("发", "货"), "发货") is True  # split by the segmenter, still the keyword


def test_a_higher_priority_rule_wins_over_a_more_specific_one(segment) -> None:
    mine = Rule("mine", "custom", (("快递",),), priority=50, template="我们用{carrier}")
    assert match("快递到哪了", (mine, *DEFAULT_RULES), segment).rule.name == "mine"


def test_a_veto_word_stops_a_rule(segment) -> None:
    assert intent_of("能发韵达吗", segment) == "none"


def test_labelled_buyer_messages_reach_the_documented_precision_and_share(segment) -> None:
    rows = list(csv.DictReader((FIXTURES / "buyer_messages.csv").open(encoding="utf-8")))
    assert len(rows) >= 200
    got = [(intent_of(r["message"], segment), r["expected"]) for r in rows]
    answered = [(g, e) for g, e in got if g != "none"]
    correct = sum(1 for g, e in answered if g == e)
    # numbers in docs/auto-reply.md; the rules were written against this set, see the held-out set below
    assert (len(rows), len(answered), correct) == (210, 175, 175)


def test_held_out_messages_written_after_the_rules(segment) -> None:
    rows = list(csv.DictReader((FIXTURES / "buyer_messages_holdout.csv").open(encoding="utf-8")))
    got = [(intent_of(r["message"], segment), r["expected"]) for r in rows]
    answered = [(g, e) for g, e in got if g != "none"]
    correct = sum(1 for g, e in answered if g == e)
    assert (len(rows), len(answered), correct) == (59, 36, 33)


def test_not_shipped_orders_get_their_ship_by_in_beijing_time() -> None:
    facts = OrderFacts("SN1", "ACCEPTED", ship_by=SHIP_BY)
    assert (
        default_reply(Intent.WHEN_SHIP, facts)
        == "亲，您的订单还没有发货，我们会在11月12日 12:30（北京时间）前发出，请耐心等待～"
    )


def test_shipped_orders_get_carrier_tracking_and_trace() -> None:
    facts = OrderFacts(
        "SN1",
        "SHIPPED",
        carrier="圆通快递",
        tracking_number="YT123",
        shipped_at=SHIP_BY,
        latest_trace="【杭州】已揽收",
        latest_trace_at=SHIP_BY,
    )
    assert default_reply(Intent.WHERE_IS_PARCEL, facts) == (
        "亲，您的包裹已于11月12日 12:30由圆通快递发出，运单号 YT123。最新物流：11月12日 12:30 【杭州】已揽收。"
    )
    assert "地址改不了" in default_reply(Intent.CHANGE_ADDRESS, facts)


@pytest.mark.parametrize(("refund_status", "expected"), [(4, "退款已经成功"), (3, "退款中"), (1, "没有退款申请")])
def test_refund_progress_follows_the_platform_refund_status(refund_status, expected) -> None:
    assert expected in default_reply(Intent.REFUND_PROGRESS, OrderFacts("SN1", "SHIPPED", refund_status=refund_status))


def test_without_an_order_the_reply_asks_for_it() -> None:
    assert default_reply(Intent.WHERE_IS_PARCEL, None) == ASK_ORDER


def test_templates_fill_real_fields_and_refuse_unknown_ones() -> None:
    facts = OrderFacts("SN9", "SHIPPED", tracking_number="SF1", carrier="顺丰速运")
    assert render("{carrier} {tracking_number}", facts) == "顺丰速运 SF1"
    with pytest.raises(InvalidReplyRule):
        check_template("r", "{buyer_phone}")
    with pytest.raises(InvalidReplyRule):
        check_template("r", "{carrier")
    with pytest.raises(InvalidReplyRule):
        Rule("r", "x")
    with pytest.raises(InvalidReplyRule):
        Rule("r", "x", pattern="(")
