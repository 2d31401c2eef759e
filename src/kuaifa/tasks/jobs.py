"""Task functions (Django Tasks API, database queue). Each is idempotent: running it twice does no harm."""

from django.utils import timezone
from django_tasks import task

from kuaifa.persistence.models import OutboxEntry, Shop
from kuaifa.services import outbox
from kuaifa.services.review import review_orders
from kuaifa.services.sync import sync_orders
from kuaifa.services.waybills import cancel_intercepted_waybills
from kuaifa.tasks.platforms import platform_for, waybill_provider_for

ACTOR = "worker"


@task()
def deliver_outbox_entry(entry_id: int) -> str:
    """Send one owed platform call; a retryable failure queues the next try for when it is due."""
    delivery = outbox.deliver(entry_id, platform_for, now=timezone.now())
    if delivery.outcome == "retry":
        due = OutboxEntry.objects.values_list("next_attempt_at", flat=True).get(id=entry_id)
        deliver_outbox_entry.using(run_after=due).enqueue(entry_id)
    return delivery.outcome


@task()
def sweep_outbox() -> int:
    """Deliver everything due (also entries whose worker died mid-call): the safety net behind each enqueue."""
    ids = outbox.due_ids(now=timezone.now())
    for entry_id in ids:  # the clock read per delivery: a lease taken minutes into the sweep must not be stale
        outbox.deliver(entry_id, platform_for, now=timezone.now())
    return len(ids)


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
    """Sync a shop's orders until caught up, then review what came in."""
    shop = Shop.objects.get(id=shop_id)
    platform = platform_for(shop)
    platform.calibrate()  # windows must end before the platform's clock, not ours
    report = sync_orders(shop, platform, actor=ACTOR, clock=timezone.now)
    reviewed = review_orders(actor=ACTOR, now=timezone.now(), shop_id=shop_id)
    return {"windows": report.windows, "fetched": report.fetched, "created": report.ingest.created,
            "accepted": reviewed.accepted, "held": reviewed.held}  # fmt: skip
