"""Task functions (Django Tasks API, database queue). Each is idempotent: running it twice does no harm."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django_tasks import task

from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence import order_counts
from kuaifa.persistence.queries_edges import connected_shop_ids, outbox_due_at, shop_by_id
from kuaifa.services import outbox
from kuaifa.services.shop_sync import sync_shop as sync_whole_shop
from kuaifa.services.waybills import cancel_intercepted_waybills
from kuaifa.tasks.platforms import platform_for, waybill_provider_for

if TYPE_CHECKING:
    from kuaifa.persistence.models import Shop

ACTOR = Actor.worker()


@task()
def deliver_outbox_entry(entry_id: int) -> str:
    """Send one owed platform call; a retryable failure queues the next try for when it is due."""
    delivery = outbox.deliver(entry_id, platform_for, now=timezone.now())
    if delivery.outcome == "retry":
        deliver_outbox_entry.using(run_after=outbox_due_at(entry_id)).enqueue(entry_id)
    return delivery.outcome


@task()
def sweep_outbox() -> int:
    """Deliver everything due (also entries whose worker died mid-call): the safety net behind each enqueue.
    The worker queues this sweep every interval, so it also folds the dashboard's order counts."""
    ids = outbox.due_ids(now=timezone.now())
    for entry_id in ids:  # the clock read per delivery: a lease taken minutes into the sweep must not be stale
        outbox.deliver(entry_id, platform_for, now=timezone.now())
    order_counts.fold()
    return len(ids)


@task()
def fold_order_counts() -> int:
    """Fold the order-count deltas the database wrote since the last fold (``persistence.order_counts``)."""
    return order_counts.fold()


@task()
def give_back_intercepted_waybills() -> dict:
    """Cancel every unused e-waybill of an intercepted order on the platform (what failed is tried next time)."""
    opened = []

    def provider_for(shop: Shop):
        provider = waybill_provider_for(shop)
        opened.append(provider)
        return provider

    try:
        sweep = cancel_intercepted_waybills(provider_for, actor=ACTOR, now=timezone.now())
    finally:
        for provider in opened:
            provider.client.close()
    return {"cancelled": sweep.cancelled, "failed": sweep.failed}


@task()
def sync_shop(shop_id: int) -> dict:
    """Sync a shop until caught up (orders, after-sales, due pushes), then review: ``services.shop_sync``."""
    shop = shop_by_id(shop_id)
    report = sync_whole_shop(shop, platform_for(shop), actor=ACTOR, clock=timezone.now)
    return {"windows": report.orders.windows, "fetched": report.orders.fetched, "created": report.orders.ingest.created,
            "quarantined": report.orders.quarantined + report.cases.quarantined, "accepted": report.review.accepted,
            "held": report.review.held, "errors": {stage: e.code for stage, e in report.errors.items()}}  # fmt: skip


def enqueue_shop_syncs() -> list[int]:
    """Queue a whole-shop sync for every shop with platform credentials (the worker's periodic schedule)."""
    ids = connected_shop_ids()
    for shop_id in ids:
        sync_shop.enqueue(shop_id)
    return ids
