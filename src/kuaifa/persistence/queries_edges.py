"""Small reads of the command line and the task worker that no page shares: connected shops, an after-sales case
by the platform's number, return-to-stock tasks, when an outbox entry is due, whose shop a shipment is."""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model

from kuaifa.persistence.models import AfterSalesCase, OutboxEntry, ReturnToStockTask, Shipment, Shop, ShopCredential


def connected_shops() -> list[Shop]:
    """Shops with platform credentials, by name."""
    return list(Shop.objects.filter(credential__isnull=False).order_by("name"))


def connected_shop_ids() -> list[int]:
    """Ids of the shops with platform credentials, in the order they were added."""
    return list(Shop.objects.filter(credential__isnull=False).order_by("id").values_list("id", flat=True))


def shop_by_id(shop_id: int) -> Shop:
    return Shop.objects.get(id=shop_id)


def has_credentials(shop: Shop) -> bool:
    return ShopCredential.objects.filter(shop=shop).exists()


def shipment_shop(shipment_id: int) -> Shop:
    return Shipment.objects.select_related("order__shop").get(id=shipment_id).order.shop


def outbox_due_at(entry_id: int) -> datetime:
    return OutboxEntry.objects.values_list("next_attempt_at", flat=True).get(id=entry_id)


def case_id(after_sales_id: str, shop_id: int | None = None) -> int | None:
    """Our id of the platform's after-sales case (in that shop, when given)."""
    query = AfterSalesCase.objects.filter(after_sales_id=after_sales_id)
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    return query.values_list("id", flat=True).first()


def return_tasks(*, include_done: bool) -> list[dict[str, Any]]:
    """Return-to-stock tasks, oldest first: the open ones, or all of them."""
    query = ReturnToStockTask.objects.all() if include_done else ReturnToStockTask.objects.filter(done_at__isnull=True)
    fields = ("id", "order__order_sn", "from_status", "reason", "created_at", "done_at", "done_by")
    return list(query.order_by("created_at", "id").values(*fields))


def person_exists(username: str) -> bool:
    return get_user_model().objects.filter(username=username).exists()
