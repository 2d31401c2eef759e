"""Review reads the orders of a chunk by primary key and keeps those still new or held."""

import pytest
from django.db import transaction

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order
from kuaifa.persistence.review_rows import orders_to_review
from kuaifa.services.intake import ingest_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def test_only_orders_still_new_or_held_are_read_for_review(shop, catalog):
    ingest_orders(shop, [make_order(f"261202-{n:06d}", ("TEA-001", 1)) for n in range(5)], source="api", actor=ACTOR,
                  now=NOW)  # fmt: skip
    ids = list(Order.objects.order_by("id").values_list("id", flat=True))
    statuses = [OrderStatus.ON_HOLD, OrderStatus.ACCEPTED, OrderStatus.NEW, OrderStatus.CANCELLED, OrderStatus.NEW]
    for order_id, status in zip(ids, statuses, strict=True):
        Order.objects.filter(id=order_id).update(status=status)

    with transaction.atomic():
        read = orders_to_review([ids[4], ids[3], ids[2], ids[1], ids[0], 10**9])  # any order, an id that is gone

    assert [(row.id, row.status) for row in read] == [(ids[0], "ON_HOLD"), (ids[2], "NEW"), (ids[4], "NEW")]
    assert orders_to_review([]) == []
