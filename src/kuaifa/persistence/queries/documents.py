"""What labels and slips print of an order, the carriers' names, and the print log."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from kuaifa.persistence.models import Order


@dataclass(frozen=True, slots=True)
class DocumentOrder:
    """What a label or slip prints of one order. Receiver fields: the platform's masks, and for manual orders
    (``receiver_is_plaintext``) the plaintext the merchant entered."""

    id: int
    order_sn: str
    status: str
    source: str
    shop_name: str
    sender_name: str
    sender_mobile: str
    sender_province: str
    sender_city: str
    sender_district: str
    sender_detail: str
    province: str
    city: str
    town: str
    receiver_name: str
    receiver_phone: str
    receiver_address: str
    receiver_name_mask: str
    receiver_phone_mask: str
    receiver_address_mask: str
    receiver_is_plaintext: bool
    buyer_memo: str
    logistics_id: int | None
    tracking_number: str


_DOCUMENT_FIELDS = (
    "id", "order_sn", "status", "source", "shop__name", "shop__sender_name", "shop__sender_mobile",
    "shop__sender_province", "shop__sender_city", "shop__sender_district", "shop__sender_detail", "province", "city",
    "town", "receiver_name", "receiver_phone", "receiver_address", "receiver_name_mask", "receiver_phone_mask",
    "receiver_address_mask", "receiver_is_plaintext", "buyer_memo", "logistics_id", "tracking_number",
)  # fmt: skip


def document_orders(order_ids: Iterable[int]) -> dict[int, DocumentOrder]:
    """Per order what a label or slip prints: shop, receiver fields (masks and, for manual orders, plaintext),
    memo, and the carrier and tracking number of its primary shipment (else what the platform reported)."""
    from kuaifa.persistence.models import Shipment, Waybill

    order_ids = list(order_ids)
    rows = {
        row[0]: DocumentOrder(*row) for row in Order.objects.filter(id__in=order_ids).values_list(*_DOCUMENT_FIELDS)
    }
    # not shipped yet but holding an e-waybill (取号 before printing): the label carries that number
    for order_id, logistics_id, code in Waybill.objects.filter(
        order_id__in=order_ids, state=Waybill.State.ISSUED
    ).values_list("order_id", "logistics_id", "waybill_code"):
        if not rows[order_id].tracking_number:
            rows[order_id] = replace(rows[order_id], logistics_id=logistics_id, tracking_number=code)
    for order_id, logistics_id, tracking_number in Shipment.objects.filter(
        order_id__in=order_ids, is_primary=True
    ).values_list("order_id", "logistics_id", "tracking_number"):
        rows[order_id] = replace(rows[order_id], logistics_id=logistics_id, tracking_number=tracking_number)
    return rows


def logistics_company_names() -> dict[int, str]:
    """The carrier names fetched from the platform (platform id → name), for ids the built-in table lacks."""
    from kuaifa.persistence.models import LogisticsCompany

    return dict(LogisticsCompany.objects.filter(platform="pdd").values_list("platform_id", "name"))


def printed_before(kind: str, *, order_ids: Iterable[int] = (), wave_id: int | None = None) -> set[int]:
    """Orders (or, with ``wave_id`` and no orders, the wave itself as {wave_id}) already printed as ``kind``."""
    from kuaifa.persistence.models import PrintLog

    if order_ids:
        return set(PrintLog.objects.filter(kind=kind, order_id__in=list(order_ids)).values_list("order_id", flat=True))
    if wave_id is not None and PrintLog.objects.filter(kind=kind, wave_id=wave_id, order__isnull=True).exists():
        return {wave_id}
    return set()


@dataclass(frozen=True, slots=True)
class PrintLogRow:
    kind: str
    order_sn: str | None  # None: a print of the whole wave
    wave_code: str | None
    reprint: bool
    actor: str  # as stored
    at: datetime


def print_logs(*, order_id: int | None = None, wave_id: int | None = None) -> list[PrintLogRow]:
    from kuaifa.persistence.models import PrintLog

    query = PrintLog.objects.all()
    if order_id is not None:
        query = query.filter(order_id=order_id)
    if wave_id is not None:
        query = query.filter(wave_id=wave_id)
    return [
        PrintLogRow(*row)
        for row in query.order_by("at", "id").values_list(
            "kind", "order__order_sn", "wave__code", "reprint", "actor", "at"
        )
    ]
