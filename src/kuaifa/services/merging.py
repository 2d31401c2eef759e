"""Merged parcels (合单): orders of one shop going to one buyer at one address ship as one parcel.

The destination key is PDD's ``open_address_id`` when present, else the normalised receiver (see
``kuaifa.domain.fulfilment.merge``; a masked address is never a key). Never across shops; never for orders whose
platform handling forbids combining them (consolidated shipping to 新疆/西藏, store pickup, same-city delivery).
"""

from typing import Any

from kuaifa.domain.fulfilment.merge import MergeCandidate, MergeGroup, address_key, find_merge_groups
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order

#: platform tags (order_tag_list) under which an order travels its own way
NOT_MERGEABLE_TAGS = frozenset({"conso_order", "self_contained", "same_city_distribution", "ship_hold"})
_FIELDS = ("id", "order_sn", "shop_id", "ship_by", "open_address_id", "province", "city", "town", "receiver_address",
           "receiver_name", "receiver_phone", "status", "tags")  # fmt: skip


def candidate(row: dict[str, Any]) -> MergeCandidate:
    return MergeCandidate(
        order_id=row["id"], order_sn=row["order_sn"], shop_id=row["shop_id"], ship_by=row["ship_by"],
        open_address_id=row["open_address_id"], province=row["province"], city=row["city"], town=row["town"],
        address=row["receiver_address"], receiver_name=row["receiver_name"], receiver_phone=row["receiver_phone"],
        ready=row["status"] in (OrderStatus.ACCEPTED, OrderStatus.PICKING),
        mergeable=not (set(row["tags"] or ()) & NOT_MERGEABLE_TAGS),
    )  # fmt: skip


def merge_groups(*, shop_id: int | None = None) -> tuple[MergeGroup, ...]:
    """Orders that can go out together now (and same-address orders not ready yet), most urgent group first."""
    query = Order.objects.filter(status__in=[OrderStatus.ACCEPTED, OrderStatus.PICKING, OrderStatus.ON_HOLD],
                                 ship_by__isnull=False)  # fmt: skip
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    return find_merge_groups(candidate(row) for row in query.values(*_FIELDS))


def one_parcel(order_ids: list[int]) -> bool:
    """True when all these orders may travel in one parcel: one shop, one destination key, all mergeable."""
    rows = list(Order.objects.filter(id__in=order_ids).values(*_FIELDS))
    candidates = [candidate(row) for row in rows]
    keys = {(c.shop_id, address_key(c)) for c in candidates}
    return (
        len(rows) == len(set(order_ids))
        and len(keys) == 1
        and None not in {k for _, k in keys}
        and all(c.mergeable for c in candidates)
    )
