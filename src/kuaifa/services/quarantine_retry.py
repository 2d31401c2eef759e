"""Retrying the quarantine after a fix: each waiting record is mapped again from its stored raw copy, and stored
through the same upserts as sync when it now maps (newest copy still wins); one transaction per record."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F

from kuaifa.domain.platform import RecordUnreadable, SalesPlatform
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Order, QuarantinedRecord, Shop
from kuaifa.services.aftersales import REFUNDS, upsert_cases
from kuaifa.services.errors import NotFound
from kuaifa.services.intake import upsert_orders


@dataclass
class RetryReport:
    resolved: list[int] = field(default_factory=list)
    still_unreadable: dict[int, str] = field(default_factory=dict)  # row id → the reason it still gives


def retry_quarantined(
    ids: Sequence[int], mapper_for: Callable[[Shop], SalesPlatform], *, actor: Actor, now: datetime,
    shop_id: int | None = None,
) -> RetryReport:  # fmt: skip
    """Map the waiting records ``ids`` (all waiting ones when empty, of ``shop_id`` if given) again; store and
    resolve those that now map, record the new reason of those that do not. An id that is not waiting is refused
    before anything changes."""
    query = QuarantinedRecord.objects.filter(resolved_at__isnull=True).select_related("shop").order_by("id")
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    if ids:
        query = query.filter(id__in=ids)
        missing = sorted(set(ids) - set(query.values_list("id", flat=True)))
        if missing:
            raise NotFound(kind="quarantined record", key=", ".join(map(str, missing)))
    report = RetryReport()
    platforms: dict[int, SalesPlatform] = {}
    for row in query:
        platform = platforms.setdefault(row.shop_id, mapper_for(row.shop))
        with transaction.atomic(durable=True):
            held = QuarantinedRecord.objects.select_for_update().filter(id=row.id, resolved_at__isnull=True).first()
            if held is None:
                continue  # resolved meanwhile (a newer copy came in)
            try:
                if held.stream == REFUNDS:
                    upsert_cases(row.shop, [platform.map_case(held.raw)], actor=actor, now=now)
                else:
                    upsert_orders(row.shop, [platform.map_order(held.raw)], source=Order.Source.API, actor=actor,
                                  now=now)  # fmt: skip
            except RecordUnreadable as still:
                QuarantinedRecord.objects.filter(id=held.id).update(
                    reason_code=still.record.code, reason=still.record.message, last_seen_at=now,
                    attempts=F("attempts") + 1,
                )  # fmt: skip
                report.still_unreadable[held.id] = still.record.message
                continue
            QuarantinedRecord.objects.filter(id=held.id).update(resolved_at=now, resolution="retried")
            report.resolved.append(held.id)
    return report
