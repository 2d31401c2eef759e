"""Push messages (PMC) are triggers, never the source of truth.

A message is recorded (deduplicated on shop, topic and business key while one is pending) and ACKed; only after
the configured delay (10 minutes by default: the platform's API lags its messages, and asking earlier gets
"order not found") is the order or case fetched and stored through the same upserts as sync. An order the platform
still does not know is asked for again after another delay; after a few tries the message is closed and the next
incremental sync, which covers every order anyway, is relied upon. A record that cannot be mapped is set aside in
the quarantine (``services.quarantine``) with the message closed as "quarantined", never dropped.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F

from kuaifa.domain.aftersales.canonical import CanonicalCase
from kuaifa.domain.orders.canonical import CanonicalOrder
from kuaifa.domain.platform import PlatformError, RecordUnreadable, SalesPlatform
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Order, PushMessage, Shop
from kuaifa.services.aftersales import REFUNDS, case_key, upsert_cases
from kuaifa.services.intake import upsert_orders
from kuaifa.services.quarantine import resolve_mapped, set_aside
from kuaifa.services.review import review_chunk
from kuaifa.services.sync import ORDERS, order_key

DELAY = timedelta(minutes=10)
MAX_TRIES = 3


def record_push(
    shop: Shop, *, topic: str, business_key: str, order_sn: str, message_id: str, now: datetime,
    delay: timedelta = DELAY,
) -> bool:  # fmt: skip
    """Record a message to act on later; False when the same trigger is already pending (a duplicate)."""
    try:
        with transaction.atomic(durable=True):
            PushMessage.objects.create(
                shop=shop, topic=topic, business_key=business_key, order_sn=order_sn, message_id=message_id,
                received_at=now, fetch_after=now + delay,
            )  # fmt: skip
    except IntegrityError:
        return False
    return True


@dataclass
class PushReport:
    handled: int = 0
    postponed: int = 0
    gave_up: int = 0
    quarantined: int = 0


def process_due_pushes(shop: Shop, platform: SalesPlatform, *, actor: Actor, now: datetime,
                       delay: timedelta = DELAY) -> PushReport:  # fmt: skip
    report = PushReport()
    due = list(PushMessage.objects.filter(shop=shop, handled_at__isnull=True, fetch_after__lte=now).order_by("id"))
    for message in due:
        stream = REFUNDS if message.topic.startswith("pdd_refund_") else ORDERS
        cases: list[CanonicalCase] = []
        orders: list[CanonicalOrder] = []
        try:
            if stream == REFUNDS:
                case = platform.case(message.order_sn, message.business_key)
                cases = [case] if case is not None else []
            else:
                order = platform.order(message.order_sn)
                orders = [order] if order is not None else []
        except RecordUnreadable as unreadable:
            with transaction.atomic(durable=True):
                set_aside(shop, stream, [unreadable.record], source="push", now=now)
                PushMessage.objects.filter(id=message.id).update(
                    handled_at=now, result=f"quarantined: [{unreadable.record.code}]"[:200]
                )
            report.quarantined += 1
            continue
        except PlatformError as error:
            if error.retryable:
                report.postponed += 1
                continue
            # this message cannot be acted on; say why on it and go on with the others (sync still covers it)
            with transaction.atomic(durable=True):
                PushMessage.objects.filter(id=message.id).update(
                    handled_at=now, result=f"[{error.code}] {error.message}"[:200]
                )
            report.gave_up += 1
            continue
        with transaction.atomic(durable=True):
            if not (cases or orders) and message.attempts + 1 < MAX_TRIES:
                PushMessage.objects.filter(id=message.id).update(fetch_after=now + delay, attempts=F("attempts") + 1)
                report.postponed += 1
                continue
            if not (cases or orders):
                result = "not visible yet; left to incremental sync"
                report.gave_up += 1
            elif cases:
                upsert_cases(shop, cases, actor=actor, now=now)
                resolve_mapped(shop, stream, [case_key(case) for case in cases], now=now)
                result = "case stored"
            else:
                stored = upsert_orders(shop, orders, source=Order.Source.API, actor=actor, now=now)
                resolve_mapped(shop, stream, [order_key(order) for order in orders], now=now)
                if stored.changed:  # reviewed in the same transaction: accepted or held the moment it is known
                    review_chunk(stored.order_ids, actor=actor, now=now, durable=False)
                result = "order stored"
            PushMessage.objects.filter(id=message.id).update(handled_at=now, result=result)
            report.handled += 1
    return report
