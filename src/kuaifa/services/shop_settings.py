"""A shop's settings from the workbench: the ship-by promise, the sender, the review rules — and a dry run.

The dry run reviews the shop's recent orders with the pure review rules twice, with the stored rules and with the
changed ones, and lists the orders whose verdict would change. It writes nothing. Stock is decided by allocation,
not by the rules, so it is the same on both sides and left out of the comparison.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from kuaifa.domain.orders.review import HoldReason, parse_rules, review
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import AccessEvent, Order, OrderLine, Shop
from kuaifa.persistence.review_rows import LineToReview, OrderToReview
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.review import _subject as review_subject
from kuaifa.services.senders import LIMITS, validate_sender

#: a promise the platform accepts: from 1 hour to 15 days after payment
SHIP_BY_HOURS = range(1, 361)
MAX_DAYS = 90
MAX_LISTED = 200
CHUNK = 2000


@dataclass(frozen=True)
class VerdictChange:
    order_id: int
    order_sn: str
    status: str
    before: tuple[HoldReason, ...]  # rule holds with the stored rules (empty: passes to allocation)
    after: tuple[HoldReason, ...]  # the same with the changed rules


@dataclass(frozen=True)
class DryRun:
    days: int
    examined: int
    changed: int
    changes: list[VerdictChange]  # the first MAX_LISTED, oldest first


def dry_run_rules(shop_id: int, rules: list[Mapping[str, Any]], *, days: int, now: datetime) -> DryRun:
    """Which of the shop's orders of the last ``days`` days would the changed ``rules`` hold or pass differently."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            field="days", reason=Text("between 1 and %(max_days)s days, not %(days)s", max_days=MAX_DAYS, days=days)
        )
    shop = Shop.objects.filter(id=shop_id).first()
    if shop is None:
        raise NotFound(kind="shop", key=shop_id)
    before_rules, after_rules = parse_rules(shop.review_rules), parse_rules(rules)
    ids = list(
        Order.objects.filter(shop_id=shop_id, created_at__gte=now - timedelta(days=days))
        .order_by("id")
        .values_list("id", flat=True)
    )
    examined, changed = 0, 0
    listed: list[VerdictChange] = []
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        lines: dict[int, list[LineToReview]] = {}
        for values in OrderLine.objects.filter(order_id__in=part).order_by("id").values_list(*LineToReview._fields):
            line = LineToReview(*values)
            lines.setdefault(line.order_id, []).append(line)
        for values in Order.objects.filter(id__in=part).order_by("id").values_list(*OrderToReview._fields):
            row = OrderToReview(*values)
            subject = review_subject(row, lines.get(row.id, []))
            before = review(subject, before_rules, explain=False).reasons
            after = review(subject, after_rules, explain=False).reasons
            examined += 1
            if before != after:
                changed += 1
                if len(listed) < MAX_LISTED:
                    listed.append(VerdictChange(row.id, row.order_sn, row.status, before, after))
    return DryRun(days, examined, changed, listed)


@transaction.atomic(durable=True)
def save_shop_settings(
    shop_id: int,
    *,
    ship_by_hours: int,
    rules: list[Mapping[str, Any]],
    sender: Mapping[str, str],
    actor: Actor,
    now: datetime,
) -> Shop:
    """Store the promise, the sender and the rules together, or none of them; the change is audited with the
    person and the values before and after."""
    if ship_by_hours not in SHIP_BY_HOURS:
        raise InvalidInput(
            field="ship_by_hours",
            reason=Text("between 1 and 360 hours, not %(ship_by_hours)s", ship_by_hours=ship_by_hours),
        )
    parse_rules(rules)
    checked = validate_sender(**sender)
    shop = Shop.objects.select_for_update().filter(id=shop_id).first()
    if shop is None:
        raise NotFound(kind="shop", key=shop_id)
    before = {"ship_by_hours": shop.ship_by_hours, "review_rules": shop.review_rules,
              "sender": {key: getattr(shop, f"sender_{key}") for key in LIMITS}}  # fmt: skip
    new_rules = [dict(r) for r in rules]
    new_sender: dict[str, str] = {key: getattr(checked, key) for key in LIMITS}
    after = {"ship_by_hours": ship_by_hours, "review_rules": new_rules, "sender": new_sender}
    Shop.objects.filter(id=shop.id).update(
        ship_by_hours=ship_by_hours,
        review_rules=new_rules,
        **{f"sender_{key}": value for key, value in new_sender.items()},
    )
    AccessEvent.objects.create(
        kind="shop_settings_changed",
        actor=actor.stored,
        details={"shop_id": shop.id, "shop": shop.name, "before": before, "after": after},
        created_at=now,
    )
    shop.refresh_from_db()
    return shop
