"""Shipping an order: the parcel left with a known carrier and a verified tracking number.

Every path that ships goes through here (``kuaifa ship``, ``waybill ship``, merged parcels, scan-to-ship, the API),
so none skips a check. First the carrier and the number as the person gave them (``carriers.parcel_number``): the
carrier, by id or code, must be in the catalogue and available; an impossible number (empty, spaces, foreign
characters, too short or long) is refused; one that does not match its carrier's usual shape ships only when the
person confirmed it (``confirm_weak_tracking``), with the warning recorded in the ``shipped`` event, because the shapes
are heuristics. A number the platform issued as an e-waybill is confirmed by its caller (``services.waybills``).

Before that transaction, the platform is asked whether a refund is open right now (``pdd.refund.status.check``): it
knows of a refund before our next sync does. The shop's adapter comes from the factory the composition root provided
(``services.platform_port``). An unreachable platform does not stop the warehouse: the order ships on what Kuaifa
knows, the warning recorded on the ``shipped`` event.

Then one transaction: refuse loudly if, since it was picked, the order was cancelled, got a refund request, entered the
platform's risk review or got ship_hold (拦截) — the parcel must come back to stock instead; refuse a tracking
number another order already uses with the same carrier; then record the shipment, consume the reservations into
``ship`` stock moves, mark the order SHIPPED, and queue the platform upload in the outbox. A second attempt to ship
the same order (a double click, two packing stations) finds the primary shipment and is refused: never shipped twice.

The replacement order of an exchange or resend (``services.aftersales_end.send_replacement``) is not on the
platform; when it ships, the case is told instead (``pdd.refund.exchange.shipping`` on the buyer's original order,
through the outbox), and the shipment's upload state follows that call.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_noop

from kuaifa.domain.aftersales.canonical import CaseType
from kuaifa.domain.carriers.catalog import carrier_by_id
from kuaifa.domain.carriers.tracking import Level, TrackingCheck
from kuaifa.domain.orders.canonical import PlatformRefundStatus
from kuaifa.domain.orders.status import OrderStatus, transition
from kuaifa.domain.platform import PlatformError
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import AfterSalesCase, LogisticsCompany, Order, Shipment, Shop, ShopCredential
from kuaifa.services.audit import event
from kuaifa.services.carriers import parcel_number
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.merging import one_parcel
from kuaifa.services.outbox import enqueue
from kuaifa.services.outbox_calls import ShipReplacement, ShipUpload
from kuaifa.services.platform_port import platform_of
from kuaifa.services.reservations import consume_for_orders


@dataclass(frozen=True)
class Shipped:
    shipment: Shipment
    outbox_entry_id: int | None  # the upload owed to the platform, None when nothing is uploaded
    tracking_warning: Text | None = None  # the number does not look like this carrier's (shipped anyway, recorded)
    refund_check_skipped: str = ""  # why the platform was not asked about refunds: "offline" or its error code


class ShipRefused(DomainError):
    code = "ship.refused"
    template = "Order %(order_sn)s must not ship: %(reason)s"


def uploads_to_platform(order: Order) -> bool:
    """Whether the platform must be told of this order's parcels: PDD orders that came through its API."""
    return order.shop.platform == Shop.Platform.PDD and order.source == Order.Source.API


def replacement_case(order: Order) -> AfterSalesCase | None:
    """The exchange or resend case whose replacement this order is, when the platform must be told it left
    (pdd.refund.exchange.shipping, on the buyer's original order); None for any other order."""
    if order.source != Order.Source.REISSUE or order.shop.platform != Shop.Platform.PDD:
        return None
    kinds = [CaseType.EXCHANGE.value, CaseType.RESEND.value]
    return AfterSalesCase.objects.filter(reissue_order_id=order.id, case_type__in=kinds).first()


def carrier_name(logistics_id: int) -> str:
    """The carrier's name as the platform lists it (built-in table, else the fetched catalogue)."""
    carrier = carrier_by_id(logistics_id)
    if carrier is not None:
        return carrier.name
    fetched = LogisticsCompany.objects.filter(platform="pdd", platform_id=logistics_id).values_list("name", flat=True)
    return fetched.first() or str(logistics_id)


def interception_reason(order: Order) -> str | None:
    """Why a packed parcel must not leave (the platform changed its mind since picking), or None."""
    if order.status == OrderStatus.CANCELLED:
        return gettext_noop("the order was cancelled")
    if order.refund_status in (PlatformRefundStatus.IN_PROGRESS, PlatformRefundStatus.REFUNDING,
                               PlatformRefundStatus.REFUNDED):  # fmt: skip
        return gettext_noop("the buyer asked for a refund")
    if order.risk_control_status == 1:
        return gettext_noop("the platform is reviewing the order (risk control)")
    if order.ship_hold:
        return gettext_noop("the platform put the order on ship_hold")
    return None


def live_refund_check(order_ids: list[int], *, check_platform: bool = True) -> str:
    """Ask the platform whether any of these orders has a refund open right now; refuse to ship them if so.

    Only orders uploaded to a connected platform are asked about. Returns why the platform could not be asked (its
    error code; the parcel ships on what Kuaifa knows, recorded on the event), "offline" when the person said it is
    unreachable (``check_platform=False``), "" when it was asked.
    """
    orders = [o for o in Order.objects.select_related("shop").filter(id__in=order_ids) if uploads_to_platform(o)]
    if not orders or not ShopCredential.objects.filter(shop=orders[0].shop).exists():
        return ""
    if not check_platform:
        return "offline"
    try:
        open_refunds = platform_of(orders[0].shop).orders_with_open_refund([o.order_sn for o in orders])
    except PlatformError as error:
        return error.code
    if open_refunds:
        raise ShipRefused(order_sn=",".join(sorted(open_refunds)), reason=Text("the platform reports a refund request"))
    return ""


def ship_order(
    order_id: int, *, carrier: str | int, tracking_number: str, confirm_weak_tracking: bool = False, actor: Actor,
    now: datetime, upload: bool = True, check_platform: bool = True,
) -> Shipped:  # fmt: skip
    """Ship one order with the carrier named by id or code and the tracking number, as the person gave them."""
    if not tracking_number.strip():
        raise InvalidInput(field="tracking_number", reason=Text("a shipment needs a tracking number"))
    parcel = parcel_number(carrier, tracking_number, confirm_weak_tracking=confirm_weak_tracking)
    logistics_id, tracking_number, check = parcel.logistics_id, parcel.tracking_number, parcel.check
    refund_warning = live_refund_check([order_id], check_platform=check_platform) if upload else ""
    try:
        with transaction.atomic(durable=True):
            return _ship(order_id, logistics_id, tracking_number, actor=actor, now=now, upload=upload, check=check,
                         refund_warning=refund_warning)  # fmt: skip
    except IntegrityError:
        order_sn = Order.objects.filter(id=order_id).values_list("order_sn", flat=True).first()
        raise ShipRefused(order_sn=order_sn, reason=Text("it was shipped meanwhile (a second attempt)")) from None


def _ship(
    order_id: int,
    logistics_id: int,
    tracking_number: str,
    *,
    actor: Actor,
    now: datetime,
    upload: bool,
    check: TrackingCheck | None = None,
    refund_warning: str = "",
) -> Shipped:
    order = Order.objects.select_for_update().select_related("shop").filter(id=order_id).first()
    if order is None:
        raise NotFound(kind="order", key=order_id)
    if Shipment.objects.filter(order=order, is_primary=True).exists() or order.status == OrderStatus.SHIPPED:
        raise ShipRefused(order_sn=order.order_sn, reason=Text("it has already shipped"))
    reason = interception_reason(order)
    if reason:
        raise ShipRefused(order_sn=order.order_sn, reason=Text(reason))
    if order.status not in (OrderStatus.ACCEPTED, OrderStatus.PICKING, OrderStatus.PACKED):
        raise ShipRefused(
            order_sn=order.order_sn, reason=Text("it is %(status)s, not ready to ship", status=Text(order.status))
        )
    holders = dict(
        Shipment.objects.filter(logistics_id=logistics_id, tracking_number=tracking_number).values_list(
            "order_id", "order__order_sn"
        )
    )
    # a number serves one order, or the orders of one merged parcel (合单: same shop and destination)
    used = [] if not holders or one_parcel([order.id, *holders]) else sorted(holders.values())
    if used:
        raise ShipRefused(
            order_sn=order.order_sn,
            reason=Text(
                "tracking number %(tracking_number)s is already used by %(used)s",
                tracking_number=tracking_number,
                used=used[0],
            ),
        )
    target = transition(OrderStatus(order.status), OrderStatus.SHIPPED, order_sn=order.order_sn)
    case = replacement_case(order) if upload else None
    needs_upload = (upload and uploads_to_platform(order)) or case is not None
    shipment = Shipment.objects.create(
        order=order, logistics_id=logistics_id, tracking_number=tracking_number, shipped_at=now, actor=actor.stored,
        upload_state=Shipment.Upload.PENDING if needs_upload else Shipment.Upload.NOT_NEEDED,
    )  # fmt: skip
    consumed = consume_for_orders([order.id], actor=actor, now=now, note=f"{logistics_id}:{tracking_number}")
    Order.objects.filter(id=order.id).update(
        status=target, shipped_at=now, logistics_id=logistics_id, tracking_number=tracking_number,
        version=F("version") + 1, updated_at=now,
    )  # fmt: skip
    warning = check.reason if check is not None and check.level is Level.WARNING else None
    flagged = {"tracking_check": check.code.value, "tracking_warning": str(warning)} if warning and check else {}
    if refund_warning:
        flagged["refund_check_skipped"] = refund_warning
    event(order.id, "shipped", actor=actor, now=now, from_status=order.status, to_status=target,
          logistics_id=logistics_id, tracking_number=tracking_number, units=consumed, **flagged).save()  # fmt: skip
    entry = None
    if case is not None:  # the replacement of an exchange or resend: the case is told, on the original order
        entry = enqueue(
            order.shop, f"exchange:{order.shop_id}:{case.after_sales_id}:{logistics_id}:{tracking_number}",
            ShipReplacement(case.order_sn, case.after_sales_id, logistics_id, carrier_name(logistics_id),
                            tracking_number, shipment.id),
            now=now,
        )  # fmt: skip
    elif needs_upload:
        entry = enqueue(
            order.shop, f"ship:{order.shop_id}:{order.order_sn}:{logistics_id}:{tracking_number}",
            ShipUpload(order.order_sn, logistics_id, tracking_number, shipment.id),
            now=now,
        )  # fmt: skip
    return Shipped(shipment, entry.id if entry else None, warning, refund_warning)


def ship_merged_parcel(
    order_ids: list[int], *, carrier: str | int, tracking_number: str, confirm_weak_tracking: bool = False,
    actor: Actor, now: datetime, check_platform: bool = True,
) -> list[Shipped]:  # fmt: skip
    """Ship several orders as one parcel (合单) with one tracking number, all or none: every order is checked as
    if shipped alone, the orders must be one parcel (one shop, one destination, all mergeable), and each order's
    shipment is uploaded with the same number."""
    if len(set(order_ids)) < 2:
        raise InvalidInput(field="orders", reason=Text("a merged parcel needs two or more orders"))
    if not tracking_number.strip():
        raise InvalidInput(field="tracking_number", reason=Text("a shipment needs a tracking number"))
    parcel = parcel_number(carrier, tracking_number, confirm_weak_tracking=confirm_weak_tracking)
    logistics_id, tracking_number, check = parcel.logistics_id, parcel.tracking_number, parcel.check
    if not one_parcel(order_ids):
        raise InvalidInput(
            field="orders",
            reason=Text(
                "these orders are not one parcel: different shops, destinations, "
                "or platform handling that forbids merging"
            ),
        )
    refund_warning = live_refund_check(order_ids, check_platform=check_platform)
    try:
        with transaction.atomic(durable=True):
            return [
                _ship(
                    i,
                    logistics_id,
                    tracking_number,
                    actor=actor,
                    now=now,
                    upload=True,
                    check=check,
                    refund_warning=refund_warning,
                )
                for i in order_ids
            ]
    except IntegrityError:
        raise ShipRefused(
            order_sn=",".join(map(str, order_ids)), reason=Text("one of them shipped meanwhile")
        ) from None
