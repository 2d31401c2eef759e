"""The read side of platform sync: health per shop (cursor, lag, errors by API and code, rate limits, per-stream
failures, quarantine, backlog) and the quarantine's records."""

from datetime import datetime

from django.db.models import Count

from kuaifa.persistence.models import (
    OutboxEntry,
    PlatformCallFailure,
    PushMessage,
    QuarantinedRecord,
    ShopCredential,
    SyncCursor,
    SyncLog,
)

STREAMS = ("orders", "refunds")


def _last_window_error(shop, stream: str) -> dict | None:
    """The stream's newest window, when it failed: a stage that keeps failing (say after-sales without
    permission) shows here until a window of it succeeds again."""
    last = SyncLog.objects.filter(shop=shop, stream=stream).order_by("-id").first()
    if last is None or not last.error_code:
        return None
    return {"code": last.error_code, "message": last.error, "at": last.created_at}


def sync_health(*, since: datetime) -> list[dict]:
    """Per shop with platform credentials: cursors, last good window, failed calls by API and code since ``since``
    (also those a retry got through), rate limits, failing streams, quarantine, token, outbox and push backlog."""
    out = []
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
            {
                "shop": shop.name,
                "cursor": cursors.get("orders"),
                "cursors": cursors,
                "last_success_at": last_ok.created_at if last_ok else None,
                "last_window_end": last_ok.window_end if last_ok else None,
                "windows": logs.filter(error_code="").count(),
                "errors": dict(
                    logs.exclude(error_code="").values_list("error_code").annotate(n=Count("id")).order_by()
                ),
                "call_errors": by_api,
                "calls_retried": failures.filter(retried=True).count(),
                "rate_limited": failures.filter(rate_limited=True).count(),
                "failing": {s: e for s in STREAMS if (e := _last_window_error(shop, s)) is not None},
                "quarantined": dict(
                    QuarantinedRecord.objects.filter(shop=shop, resolved_at__isnull=True)
                    .values_list("stream")
                    .annotate(n=Count("id"))
                    .order_by()
                ),
                "token_expires_at": cred.access_expires_at,
                "needs_authorization": cred.needs_authorization,
                "outbox": dict(
                    OutboxEntry.objects.filter(shop=shop)
                    .exclude(state=OutboxEntry.State.DONE)
                    .values_list("state")
                    .annotate(n=Count("id"))
                    .order_by()
                ),
                "pushes_pending": PushMessage.objects.filter(shop=shop, handled_at__isnull=True).count(),
            }
        )
    return out


def quarantined_records(*, shop_id: int | None = None, include_resolved: bool = False, limit: int = 200) -> list[dict]:
    """Records set aside, oldest first (what waits longest first), without their raw copy."""
    query = QuarantinedRecord.objects.all()
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    if not include_resolved:
        query = query.filter(resolved_at__isnull=True)
    return list(
        query.order_by("first_seen_at", "id").values(
            "id", "shop__name", "stream", "platform_key", "reason_code", "reason", "source", "first_seen_at",
            "last_seen_at", "attempts", "resolved_at", "resolution",
        )[:limit]
    )  # fmt: skip


__all__ = ["quarantined_records", "sync_health"]
