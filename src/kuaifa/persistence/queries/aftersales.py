"""After-sales cases as the list shows them."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F


@dataclass(frozen=True, slots=True)
class CaseRow:
    """An after-sales case as the list shows it."""

    id: int
    after_sales_id: str
    shop_name: str
    order_sn: str
    case_type: str
    platform_status: int  # the platform's own status code
    state: str
    refund_amount: int  # fen
    refunded_amount: int  # fen
    outer_id: str
    quantity: int
    reason: str
    expire_time: datetime | None
    return_tracking_number: str


def aftersales_cases(*, states: list[str] | None = None, shop_id: int | None = None, limit: int = 100) -> list[CaseRow]:
    """Cases, the ones whose deadline to act comes first at the top."""
    from kuaifa.persistence.models import AfterSalesCase

    query = AfterSalesCase.objects.all()
    if states:
        query = query.filter(state__in=states)
    if shop_id:
        query = query.filter(shop_id=shop_id)
    return [
        CaseRow(*row)
        for row in query.order_by(F("expire_time").asc(nulls_last=True), "-platform_updated_at").values_list(
            "id",
            "after_sales_id",
            "shop__name",
            "order_sn",
            "case_type",
            "platform_status",
            "state",
            "refund_amount",
            "refunded_amount",
            "outer_id",
            "quantity",
            "reason",
            "expire_time",
            "return_tracking_number",
        )[:limit]
    ]
