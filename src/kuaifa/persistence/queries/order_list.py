"""Orders as a list shows them, the count per status, and an order found by its number."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F

from kuaifa.persistence.models import Order


@dataclass(frozen=True, slots=True)
class OrderRow:
    """An order as a list shows it (receiver masked)."""

    id: int
    order_sn: str
    shop_name: str
    status: str
    hold_reasons: list[str]
    ship_by: datetime | None
    pay_amount: int  # fen
    province: str
    receiver_name_mask: str


def orders(*, status: str | None = None, shop_id: int | None = None, limit: int = 50) -> list[OrderRow]:
    query = Order.objects.all()
    if status:
        query = query.filter(status=status)
    if shop_id:
        query = query.filter(shop_id=shop_id)
    return [
        OrderRow(*row)
        for row in query.order_by(F("ship_by").asc(nulls_last=True), "order_sn").values_list(
            "id",
            "order_sn",
            "shop__name",
            "status",
            "hold_reasons",
            "ship_by",
            "pay_amount",
            "province",
            "receiver_name_mask",
        )[:limit]
    ]


def status_counts(*, shop_id: int | None = None) -> dict[str, int]:
    query = Order.objects.all() if shop_id is None else Order.objects.filter(shop_id=shop_id)
    return dict(query.values_list("status").annotate(n=Count("id")).order_by())


def order_by_sn(order_sn: str, shop_id: int | None = None) -> list[Order]:
    query = Order.objects.filter(order_sn=order_sn).select_related("shop")
    return list(query if shop_id is None else query.filter(shop_id=shop_id))
