"""Parcels after the first: extra parcels of a shipped order (拆单 / 补发 / 赠品) and corrected shipments.

An order's first parcel is its primary shipment (services.shipping). Further parcels are recorded as non-primary
shipments and uploaded with ``pdd.order.upload.extra.logistics`` (shown to the buyer); a wrong tracking number on
the primary shipment is corrected with ``redelivery_type = 2``, which overwrites the platform's record. Both go
through the outbox like every platform write, and a tracking number serves one order per carrier. Carriers are
named by id or code and numbers checked as for the first parcel (``carriers.parcel_number``): an impossible number is
refused, a weakly matching one is taken only when the person confirmed it.
"""

from collections.abc import Sequence
from datetime import datetime
from enum import IntEnum

from django.db import transaction

from kuaifa.domain.orders.status import AFTER_SHIPMENT
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import Order, Shipment
from kuaifa.services.audit import event
from kuaifa.services.carriers import parcel_number
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.outbox import enqueue
from kuaifa.services.outbox_calls import ExtraParcels, ShipUpload
from kuaifa.services.shipping import uploads_to_platform


class ExtraKind(IntEnum):
    SPLIT = 1  # 分包发货
    RESEND = 2  # 补发商品
    GIFT = 3  # 发放赠品


def _shipped_order(order_id: int) -> Order:
    order = Order.objects.select_for_update().select_related("shop").filter(id=order_id).first()
    if order is None:
        raise NotFound(kind="order", key=order_id)
    if order.status not in AFTER_SHIPMENT:
        raise InvalidInput(
            field="order",
            reason=Text(
                "%(order_sn)s has not shipped yet (%(status)s)", order_sn=order.order_sn, status=Text(order.status)
            ),
        )
    return order


def _number_free(order: Order, logistics_id: int, tracking_number: str) -> None:
    taken = (
        Shipment.objects.filter(logistics_id=logistics_id, tracking_number=tracking_number)
        .exclude(order=order)
        .values_list("order__order_sn", flat=True)
        .first()
    )
    if taken:
        raise InvalidInput(
            field="tracking_number",
            reason=Text(
                "%(tracking_number)s is already used by %(taken)s", tracking_number=tracking_number, taken=taken
            ),
        )


@transaction.atomic(durable=True)
def ship_extra_parcels(
    order_id: int, parcels: Sequence[tuple[str | int, str]], *, kind: ExtraKind = ExtraKind.SPLIT,
    confirm_weak_tracking: bool = False, actor: Actor, now: datetime,
) -> list[Shipment]:  # fmt: skip
    """Record more parcels of a shipped order — each a carrier (id or code) and a tracking number — and queue their
    upload as extra logistics."""
    if not parcels or any(not number.strip() for _, number in parcels):
        raise InvalidInput(field="parcels", reason=Text("each extra parcel needs a carrier id and a tracking number"))
    checked = [parcel_number(carrier, number, confirm_weak_tracking=confirm_weak_tracking, field="parcels")
               for carrier, number in parcels]  # fmt: skip
    order = _shipped_order(order_id)
    state = Shipment.Upload.PENDING if uploads_to_platform(order) else Shipment.Upload.NOT_NEEDED
    created = []
    for parcel in checked:
        logistics_id, number = parcel.logistics_id, parcel.tracking_number
        _number_free(order, logistics_id, number)
        shipment, _ = Shipment.objects.get_or_create(
            order=order, logistics_id=logistics_id, tracking_number=number,
            defaults={"is_primary": False, "shipped_at": now, "actor": actor.stored,
                      "upload_state": state},
        )  # fmt: skip
        created.append(shipment)
    if uploads_to_platform(order):
        numbers = ",".join(f"{s.logistics_id}:{s.tracking_number}" for s in created)
        enqueue(order.shop, f"extra:{order.shop_id}:{order.order_sn}:{int(kind)}:{numbers}",
                ExtraParcels(order.order_sn, int(kind), tuple((s.logistics_id, s.tracking_number) for s in created),
                             tuple(s.id for s in created)), now=now)  # fmt: skip
    event(order.id, "extra_parcels", actor=actor, now=now, extra_kind=int(kind),
          parcels=[[s.logistics_id, s.tracking_number] for s in created]).save()  # fmt: skip
    return created


@transaction.atomic(durable=True)
def correct_shipment(
    order_id: int, *, carrier: str | int, tracking_number: str, confirm_weak_tracking: bool = False, actor: Actor,
    now: datetime,
) -> Shipment:  # fmt: skip
    """The primary parcel's carrier (id or code) or number was wrong: fix it here and overwrite it on the platform."""
    if not tracking_number.strip():
        raise InvalidInput(field="tracking_number", reason=Text("a correction needs the right tracking number"))
    parcel = parcel_number(carrier, tracking_number, confirm_weak_tracking=confirm_weak_tracking)
    logistics_id, tracking_number = parcel.logistics_id, parcel.tracking_number
    order = _shipped_order(order_id)
    shipment = Shipment.objects.filter(order=order, is_primary=True).first()
    if shipment is None:
        raise InvalidInput(
            field="order",
            reason=Text("%(order_sn)s has no shipment recorded in Kuaifa to correct", order_sn=order.order_sn),
        )
    _number_free(order, logistics_id, tracking_number)
    before = (shipment.logistics_id, shipment.tracking_number)
    Shipment.objects.filter(id=shipment.id).update(
        logistics_id=logistics_id, tracking_number=tracking_number,
        upload_state=Shipment.Upload.PENDING if uploads_to_platform(order) else Shipment.Upload.NOT_NEEDED,
    )  # fmt: skip
    Order.objects.filter(id=order.id).update(logistics_id=logistics_id, tracking_number=tracking_number, updated_at=now)
    if uploads_to_platform(order):
        enqueue(order.shop, f"ship-fix:{order.shop_id}:{order.order_sn}:{logistics_id}:{tracking_number}",
                ShipUpload(order.order_sn, logistics_id, tracking_number, shipment.id, correction=True),
                now=now)  # fmt: skip
    event(order.id, "shipment_corrected", actor=actor, now=now, before=list(before),
          after=[logistics_id, tracking_number]).save()  # fmt: skip
    shipment.refresh_from_db()
    return shipment
