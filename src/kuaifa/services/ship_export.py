"""The batch-ship file (批量发货) for the PDD back office: for merchants without open-platform (API) access.

Such a merchant imports orders from the back-office export and ships in Kuaifa; the platform learns of the parcels
when the merchant uploads this file in the back office. One row per shipped order: 订单号, 快递公司, 快递单号, with
the carrier's name as PDD spells it (the carrier table of ``pdd.logistics.companies.get``).

Which shipments: primary shipments of orders that exist on PDD (PDD shops; not manual orders or reissues, which
the platform does not know) and that the API has not delivered and will not deliver — ``upload_state`` "not needed"
(export-file orders) or "failed" (the file is the fallback). Narrowed to some orders, or to those shipped since a
moment. A shipment whose carrier has no known name is refused: the back office would reject the row.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from kuaifa.domain.shared.errors import DomainError
from kuaifa.persistence.models import Order, Shipment, Shop
from kuaifa.persistence.queries import logistics_company_names
from kuaifa.services.labels import carrier_name

HEADER = ("订单号", "快递公司", "快递单号")


class UnknownCarrier(DomainError):
    code = "ship_export.unknown_carrier"
    template = (
        "Carrier id %(logistics_id)s of order %(order_sn)s has no known name; refresh the carrier list from the "
        "platform or correct the shipment."
    )


@dataclass(frozen=True)
class BatchShipRow:
    order_sn: str
    carrier_name: str
    tracking_number: str

    def cells(self) -> tuple[str, str, str]:
        return (self.order_sn, self.carrier_name, self.tracking_number)


def batch_ship_rows(order_ids: Iterable[int] | None = None, *, since: datetime | None = None) -> list[BatchShipRow]:
    """Rows for the batch-ship file, oldest shipment first."""
    query = Shipment.objects.filter(
        is_primary=True,
        upload_state__in=[Shipment.Upload.NOT_NEEDED, Shipment.Upload.FAILED],
        order__shop__platform=Shop.Platform.PDD,
        order__source__in=[Order.Source.API, Order.Source.EXPORT],
    )
    if order_ids is not None:
        query = query.filter(order_id__in=list(order_ids))
    if since is not None:
        query = query.filter(shipped_at__gte=since)
    fetched = logistics_company_names()
    rows = []
    for order_sn, logistics_id, tracking_number in query.order_by("shipped_at", "id").values_list(
        "order__order_sn", "logistics_id", "tracking_number"
    ):
        name = carrier_name(logistics_id, fetched)
        if not name:
            raise UnknownCarrier(logistics_id=logistics_id, order_sn=order_sn)
        rows.append(BatchShipRow(order_sn, name, tracking_number))
    return rows
