"""Quarantine: a platform record that cannot be mapped is kept raw with its reason, never dropped, never blocking.

One unreadable order (a bad amount, a non-numeric quantity) must not stop its window: the rest of the window is
stored and the cursor advances in the same transaction, while the record itself waits here (one open row per shop,
stream and platform key, counting how often it was seen). A copy of the same record that maps, at least as new as
the quarantined one, resolves the row; so does a retry that maps the stored raw record after a fix
(:mod:`kuaifa.services.quarantine_retry`). The functions here run inside the caller's transaction.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Count, F

from kuaifa.domain.platform import Unmapped
from kuaifa.persistence.models import QuarantinedRecord, Shop
from kuaifa.persistence.statements import Select


def set_aside(shop: Shop, stream: str, records: Iterable[Unmapped], *, source: str, now: datetime) -> int:
    """Keep each record raw with its reason; a record already waiting gets the newer raw copy and one more sighting.
    Returns how many records were set aside."""
    count = 0
    for record in records:
        count += 1
        held = (
            QuarantinedRecord.objects.select_for_update()
            .filter(shop=shop, stream=stream, platform_key=record.key, resolved_at__isnull=True)
            .first()
        )
        if held is None:
            QuarantinedRecord.objects.create(
                shop=shop, stream=stream, platform_key=record.key, raw=record.raw, reason_code=record.code,
                reason=record.message, source=source, platform_updated_at=record.updated_at, first_seen_at=now,
                last_seen_at=now,
            )  # fmt: skip
            continue
        newer = held.platform_updated_at is None or (
            record.updated_at and record.updated_at >= held.platform_updated_at
        )
        values: dict[str, Any] = {"last_seen_at": now, "attempts": F("attempts") + 1}
        if newer:
            values |= {"raw": record.raw, "reason_code": record.code, "reason": record.message,
                       "platform_updated_at": record.updated_at or held.platform_updated_at}  # fmt: skip
        QuarantinedRecord.objects.filter(id=held.id).update(**values)
    return count


class _One(NamedTuple):
    one: int


_ANY_WAITING = Select(
    _One,
    "SELECT 1 FROM kuaifa_quarantinedrecord WHERE shop_id = %s AND stream = %s AND resolved_at IS NULL LIMIT 1",
)


def resolve_mapped(
    shop: Shop, stream: str, copies: Iterable[tuple[str, datetime | None]], *, now: datetime, resolution: str = "mapped"
) -> int:
    """Resolve open rows of which a copy mapped: ``copies`` are (platform key, updated_at) of records just stored.
    A copy older than the quarantined one does not resolve it (the newer, unreadable version still waits)."""
    newest: dict[str, datetime | None] = {}
    for key, updated_at in copies:
        newest[key] = updated_at if key not in newest or _later(updated_at, newest[key]) else newest[key]
    if not newest:
        return 0
    if len(newest) > 1 and _ANY_WAITING.first(shop.id, stream) is None:  # the usual case: nothing waits
        return 0
    waiting = QuarantinedRecord.objects.filter(shop=shop, stream=stream, resolved_at__isnull=True)
    resolved = []
    open_rows = waiting.filter(platform_key__in=list(newest)).values_list("id", "platform_key", "platform_updated_at")
    for row_id, key, held_at in open_rows:
        mapped_at = newest[key]
        if held_at is None or mapped_at is None or mapped_at >= held_at:
            resolved.append(row_id)
    return QuarantinedRecord.objects.filter(id__in=resolved).update(resolved_at=now, resolution=resolution)


def _later(one: datetime | None, other: datetime | None) -> bool:
    return other is None or (one is not None and one > other)


def open_counts(shop: Shop) -> dict[str, int]:
    """Records waiting in quarantine, by stream."""
    return dict(
        QuarantinedRecord.objects.filter(shop=shop, resolved_at__isnull=True)
        .values_list("stream")
        .annotate(n=Count("id"))
        .order_by()
    )
