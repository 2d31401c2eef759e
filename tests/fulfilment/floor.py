"""Setting up the floor for the fulfilment tests: accepted orders through the real intake and review services."""

from kuaifa.persistence.models import Order
from kuaifa.services.intake import ingest_orders
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW

TEA_BARCODE = "6901234567892"
CUP_BARCODE = "6901234567908"


def accept(shop, *orders, source=Order.Source.API) -> dict[str, int]:
    """Ingest and review ``orders``; returns order_sn → id."""
    ingest_orders(shop, list(orders), source=source, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    return dict(Order.objects.values_list("order_sn", "id"))


def status_of(order_sn: str) -> str:
    return Order.objects.get(order_sn=order_sn).status
