"""Auto-reply (智能客服): answer a buyer's message from the rules and the order's real state.

The merchant's own rules (``ReplyRule``, highest priority first) are tried with the built-in ones
(``domain.replies.answers.DEFAULT_RULES``); a merchant rule renders its template with the order's fields, a
built-in rule gives the state-aware default reply. Messages are segmented with jieba, taught the rules' keywords
and told to split the words that hide them (``domain.replies.matching.HIDING_WORDS``).

``answer`` reads one order; ``dry_run`` classifies a file of past messages without any order and reports which rule
answered each, which went unanswered, the answered share and — when the file carries the expected intent of each
message — the precision (answers with the right intent / answers). Nothing here writes except ``add_rule``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import jieba
from django.db import transaction

from kuaifa.domain.carriers.catalog import carrier_by_id
from kuaifa.domain.replies.answers import (
    ASK_ORDER,
    DEFAULT_RULES,
    Intent,
    OrderFacts,
    check_template,
    default_reply,
    render,
)
from kuaifa.domain.replies.matching import HIDING_WORDS, Match, Rule, match, normalise
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import AfterSalesCase, LogisticsCompany, Order, ReplyRule, Shipment, Shop
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.tracking import latest_trace

jieba.setLogLevel(logging.WARNING)
_taught: set[str] = set()
_lock = threading.Lock()


def _segmenter(rules: Sequence[Rule]) -> Callable[[str], list[str]]:
    """jieba, taught every rule keyword once (a process-wide dictionary) and told to split the hiding words."""
    with _lock:
        if not _taught:
            for word in HIDING_WORDS:
                jieba.del_word(word)
        for rule in rules:
            for group in rule.keyword_groups:
                for keyword in group:
                    word = normalise(keyword).replace(" ", "")
                    if len(word) > 1 and word not in _taught:
                        jieba.add_word(word)
                        _taught.add(word)
    cut: Callable[[str], list[str]] = jieba.lcut
    return cut


def _rules(shop_id: int | None) -> list[Rule]:
    custom = ReplyRule.objects.filter(active=True).order_by("-priority", "id")
    custom = (
        custom.filter(shop_id=shop_id) | custom.filter(shop__isnull=True)
        if shop_id
        else custom.filter(shop__isnull=True)
    )
    return [_rule(r) for r in custom] + list(DEFAULT_RULES)


def _rule(row: ReplyRule) -> Rule:
    return Rule(
        row.name, row.intent, tuple(tuple(k.split()) for k in row.keywords), row.pattern, (), row.priority, row.template
    )


@dataclass(frozen=True)
class Reply:
    rule: str | None  # None: no rule
    intent: str | None
    text: str | None


def _reply(found: Match | None, facts: OrderFacts | None) -> Reply:
    if found is None:
        return Reply(None, None, None)
    rule = found.rule
    if rule.template:
        text = render(rule.template, facts) if facts else ASK_ORDER
    else:
        text = default_reply(Intent(rule.intent), facts)
    return Reply(rule.name, rule.intent, text)


def answer(message: str, *, order_sn: str | None = None, shop_name: str | None = None) -> Reply:
    """The reply to ``message`` about ``order_sn`` (or, without an order, a request for it)."""
    if not message.strip():
        raise InvalidInput(field="message", reason=Text("the message is empty"))
    order = _order(order_sn, shop_name) if order_sn else None
    rules = _rules(order.shop_id if order else None)
    found = match(message, rules, _segmenter(rules))
    return _reply(found, facts_of(order) if order else None)


def _order(order_sn: str, shop_name: str | None) -> Order:
    query = Order.objects.filter(order_sn=order_sn)
    if shop_name:
        query = query.filter(shop__name=shop_name)
    found = list(query[:2])
    if not found:
        raise NotFound(kind="order", key=order_sn)
    if len(found) > 1:
        raise InvalidInput(
            field="--shop", reason=Text("%(order_sn)s exists in several shops; name the shop", order_sn=order_sn)
        )
    return found[0]


def facts_of(order: Order) -> OrderFacts:
    """What a reply may say about the order: its state, deadline, parcel and after-sales."""
    shipment = Shipment.objects.filter(order=order, is_primary=True).first()
    logistics_id = shipment.logistics_id if shipment else order.logistics_id
    tracking = shipment.tracking_number if shipment else order.tracking_number
    carrier = carrier_by_id(logistics_id) if logistics_id else None
    name = (
        carrier.name
        if carrier
        else LogisticsCompany.objects.filter(platform_id=logistics_id).values_list("name", flat=True).first() or ""
    )
    trace, trace_at = latest_trace(order.id)
    case = AfterSalesCase.objects.filter(order=order).order_by("-id").values_list("state", flat=True).first()
    return OrderFacts(
        order_sn=order.order_sn,
        status=order.status,
        ship_by=order.ship_by,
        carrier=name,
        tracking_number=tracking,
        shipped_at=shipment.shipped_at if shipment else order.shipped_at,
        latest_trace=trace,
        latest_trace_at=trace_at,
        refund_status=order.refund_status,
        after_sales_state=case or "",
    )


@dataclass(frozen=True)
class DryRunRow:
    line: int
    message: str
    rule: str | None
    intent: str | None
    expected: str | None


@dataclass(frozen=True)
class DryRun:
    rows: list[DryRunRow]

    @property
    def answered(self) -> int:
        return sum(1 for r in self.rows if r.rule)

    @property
    def share(self) -> float:
        return self.answered / len(self.rows) if self.rows else 0.0

    @property
    def labelled(self) -> bool:
        return any(r.expected is not None for r in self.rows)

    @property
    def in_scope(self) -> int:
        """Messages a rule should answer (expected intent other than ``none``)."""
        return sum(1 for r in self.rows if r.expected not in (None, "", "none"))

    @property
    def correct(self) -> int:
        return sum(1 for r in self.rows if r.rule and r.intent == r.expected)

    @property
    def precision(self) -> float | None:
        return self.correct / self.answered if self.labelled and self.answered else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.in_scope if self.labelled and self.in_scope else None


def dry_run(messages: Iterable[tuple[int, str, str | None]], *, shop_name: str | None = None) -> DryRun:
    """Classify past messages ``(line, message, expected intent or None)`` without answering anyone."""
    shop_id = None
    if shop_name:
        shop = Shop.objects.filter(name=shop_name).first()
        if shop is None:
            raise NotFound(kind="shop", key=shop_name)
        shop_id = shop.id
    rules = _rules(shop_id)
    segment = _segmenter(rules)
    rows = []
    for line, message, expected in messages:
        found = match(message, rules, segment)
        rows.append(
            DryRunRow(line, message, found.rule.name if found else None, found.rule.intent if found else None, expected)
        )
    return DryRun(rows)


@transaction.atomic(durable=True)
def add_rule(
    name: str,
    intent: str,
    template: str,
    *,
    keywords: Sequence[str] = (),
    pattern: str = "",
    shop_name: str | None = None,
    priority: int = 100,
    now: datetime,
) -> ReplyRule:
    """A merchant's rule: keyword groups ("退款 到账" = both words) or a pattern → a template with order fields."""
    if ReplyRule.objects.filter(name=name).exists():
        raise InvalidInput(field="name", reason=Text("a reply rule named %(name)r already exists", name=name))
    groups = [k.strip() for k in keywords if k.strip()]
    Rule(name, intent, tuple(tuple(g.split()) for g in groups), pattern, (), priority, template)
    check_template(name, template)
    shop = None
    if shop_name:
        shop = Shop.objects.filter(name=shop_name).first()
        if shop is None:
            raise NotFound(kind="shop", key=shop_name)
    return ReplyRule.objects.create(
        shop=shop,
        name=name,
        intent=intent,
        keywords=groups,
        pattern=pattern,
        template=template,
        priority=priority,
        created_at=now,
    )
