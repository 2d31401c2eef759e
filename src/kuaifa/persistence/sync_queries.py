"""The read side of platform sync: health per shop (cursor, lag, errors by API and code, rate limits, per-stream
failures, quarantine, backlog) and the quarantine's records."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from kuaifa.persistence.models import (
    OutboxEntry,
    PlatformCallFailure,
    PushMessage,
    QuarantinedRecord,
    Shop,
    ShopCredential,
    SyncCursor,
    SyncLog,
)

STREAMS = ("orders", "refunds")


@dataclass(frozen=True, slots=True)
class WindowFailure:
    code: str
    message: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SyncHealth:
    """One shop's sync health. Counts by key: ``errors`` failed windows by code, ``call_errors`` failed calls by API
    then code, ``quarantined`` waiting records by stream, ``outbox`` unfinished entries by state."""

    shop: str
    cursor: datetime | None  # the orders stream's
    cursors: dict[str, datetime]
    last_success_at: datetime | None
    last_window_end: datetime | None
    windows: int
    errors: dict[str, int]
    call_errors: dict[str, dict[str, int]]
    calls_retried: int
    rate_limited: int
    failing: dict[str, WindowFailure]  # stream → why its newest window failed
    quarantined: dict[str, int]
    token_expires_at: datetime | None
    needs_authorization: bool
    outbox: dict[str, int]
    pushes_pending: int


def _last_window_error(shop: Shop, stream: str) -> WindowFailure | None:
    """The stream's newest window, when it failed: a stage that keeps failing (say after-sales without
    permission) shows here until a window of it succeeds again."""
    last = SyncLog.objects.filter(shop=shop, stream=stream).order_by("-id").first()
    if last is None or not last.error_code:
        return None
    return WindowFailure(last.error_code, last.error, last.created_at)


def sync_health(*, since: datetime) -> list[SyncHealth]:
    """Per shop with platform credentials: cursors, last good window, failed calls by API and code since ``since``
    (also those a retry got through), rate limits, failing streams, quarantine, token, outbox and push backlog."""
    out: list[SyncHealth] = []
    for cred in ShopCredential.objects.select_related("shop").order_by("shop__name"):
        shop = cred.shop
        logs = SyncLog.objects.filter(shop=shop, created_at__gte=since)
        last_ok = SyncLog.objects.filter(shop=shop, stream="orders", error_code="").order_by("-id").first()
        failures = PlatformCallFailure.objects.filter(shop=shop, occurred_at__gte=since)
        by_api: dict[str, dict[str, int]] = {}
        for api, code, n in failures.values_list("api", "code").annotate(n=Count("id")).order_by("api", "code"):
            by_api.setdefault(api, {})[code] = n
        cursors = dict(SyncCursor.objects.filter(shop=shop).values_list("stream", "position"))
        out.append(
            SyncHealth(
                shop=shop.name,
                cursor=cursors.get("orders"),
                cursors=cursors,
                last_success_at=last_ok.created_at if last_ok else None,
                last_window_end=last_ok.window_end if last_ok else None,
                windows=logs.filter(error_code="").count(),
                errors=dict(logs.exclude(error_code="").values_list("error_code").annotate(n=Count("id")).order_by()),
                call_errors=by_api,
                calls_retried=failures.filter(retried=True).count(),
                rate_limited=failures.filter(rate_limited=True).count(),
                failing={s: e for s in STREAMS if (e := _last_window_error(shop, s)) is not None},
                quarantined=dict(
                    QuarantinedRecord.objects.filter(shop=shop, resolved_at__isnull=True)
                    .values_list("stream")
                    .annotate(n=Count("id"))
                    .order_by()
                ),
                token_expires_at=cred.access_expires_at,
                needs_authorization=cred.needs_authorization,
                outbox=dict(
                    OutboxEntry.objects.filter(shop=shop)
                    .exclude(state=OutboxEntry.State.DONE)
                    .values_list("state")
                    .annotate(n=Count("id"))
                    .order_by()
                ),
                pushes_pending=PushMessage.objects.filter(shop=shop, handled_at__isnull=True).count(),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    """A record set aside, without its raw copy."""

    id: int
    shop_name: str
    stream: str
    platform_key: str
    reason_code: str
    reason: str
    source: str
    first_seen_at: datetime
    last_seen_at: datetime
    attempts: int
    resolved_at: datetime | None
    resolution: str


def quarantined_records(
    *, shop_id: int | None = None, include_resolved: bool = False, limit: int = 200
) -> list[QuarantineRow]:
    """Records set aside, oldest first (what waits longest first), without their raw copy."""
    query = QuarantinedRecord.objects.all()
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    if not include_resolved:
        query = query.filter(resolved_at__isnull=True)
    return [
        QuarantineRow(*row)
        for row in query.order_by("first_seen_at", "id").values_list(
            "id", "shop__name", "stream", "platform_key", "reason_code", "reason", "source", "first_seen_at",
            "last_seen_at", "attempts", "resolved_at", "resolution",
        )[:limit]
    ]  # fmt: skip


__all__ = ["quarantined_records", "sync_health"]
