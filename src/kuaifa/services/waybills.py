"""E-waybills (电子面单): take a carrier's number from the platform for orders, give it back, ship with it
(pdd-reference §3.1, §9: waybill by carrier code → print → ``pdd.logistics.online.send`` by carrier id).

Issue: every order must be ACCEPTED, PICKING or PACKED and not intercepted (``interception_reason``: cancelled,
refund asked, risk review, ship_hold), else the whole request is refused, listing the orders — nothing is taken. An
order that already holds an issued waybill for that carrier reuses it without asking the platform; one holding a
waybill for another carrier is refused (cancel that one first: one live waybill per order). The platform is called
outside any transaction; what it gave is then recorded with an event per order. A number the tracking check calls
impossible is not recorded.

Cancel: only an issued waybill of an order not shipped; the platform is told first, then it is marked cancelled.
An intercepted order's unused number is given back by itself: every issued waybill of an order that was cancelled,
held by a person, or stopped by the platform (refund asked, risk review, ship_hold) is the queue that
``cancel_intercepted_waybills`` works off (the worker runs it every interval; a platform failure leaves the
waybill issued, so the next run tries again).

Ship: :func:`kuaifa.services.shipping.ship_order` with the waybill's carrier id and number (all its checks — the
platform's refund check among them — and the outbox upload), then the waybill is marked used. The number came from
the platform for that carrier, not from a person's hand, so a weak match of the carrier's usual shape needs no one's
confirmation (it is still recorded on the ``shipped`` event). If the order already shipped with exactly this waybill
(a crash between the two steps) the waybill is just marked used.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from kuaifa.domain.carriers.catalog import carrier_by_code
from kuaifa.domain.carriers.tracking import check_tracking_number
from kuaifa.domain.carriers.waybills import IssuedWaybill, WaybillItem, WaybillProvider, WaybillRequest
from kuaifa.domain.orders.review import HoldReason
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.platform import PlatformError
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import Order, Shipment, Shop, Waybill
from kuaifa.services.audit import event
from kuaifa.services.carriers import resolve_carrier
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.shipping import Shipped, interception_reason, ship_order

READY = (OrderStatus.ACCEPTED, OrderStatus.PICKING, OrderStatus.PACKED)


class WaybillRefused(DomainError):
    code = "waybill.refused"
    template = "No waybill: %(reason)s"


@dataclass(frozen=True)
class WaybillIssued:
    order_id: int
    order_sn: str
    carrier_code: str
    logistics_id: int
    waybill_code: str
    reused: bool  # the order already held it; the platform was not asked


def _carrier(carrier_ref: str) -> tuple[str, int]:
    """The waybill code and platform id of the carrier named by id or code (refused when the catalogue does not know
    it, or it has no e-waybill code)."""
    carrier = resolve_carrier(carrier_ref)
    if carrier_by_code(carrier.code) is None:
        raise InvalidInput(
            field="carrier",
            reason=Text("%(carrier_ref)r has no e-waybill code PDD issues numbers for", carrier_ref=carrier_ref),
        )
    return carrier.code, carrier.platform_id


def _request(order: Order) -> WaybillRequest:
    receiver = order.receiver()
    items = tuple(
        WaybillItem(line.goods_name or line.outer_id or line.goods_id or "商品", line.quantity)
        for line in order.lines.all()
    )
    try:
        return WaybillRequest(order.order_sn, receiver, items)
    except ValueError as error:
        raise WaybillRefused(reason=str(error)) from None


def _refusal(order: Order, carrier_code: str, live: Waybill | None) -> Text | None:
    reason = interception_reason(order)
    if reason:
        return Text(reason)
    if order.status not in READY:
        return Text("it is %(status)s, not ready to ship", status=Text(order.status))
    if live is not None and (live.state != Waybill.State.ISSUED or live.carrier_code != carrier_code):
        return Text(
            "it holds waybill %(carrier_code)s %(waybill_code)s (%(state)s): cancel that one first",
            carrier_code=live.carrier_code,
            waybill_code=live.waybill_code,
            state=Text(live.state),
        )
    return None


def issue_waybills(
    order_ids: Sequence[int], carrier_code: str, provider: WaybillProvider, *, actor: Actor, now: datetime
) -> list[WaybillIssued]:
    """A waybill of ``carrier_code`` (or the carrier's id) for each order (in the order given): reused when held,
    else from ``provider``."""
    code, logistics_id = _carrier(carrier_code)
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        raise InvalidInput(field="orders", reason=Text("no order to take a waybill for"))
    orders = {o.id: o for o in Order.objects.filter(id__in=ids).prefetch_related("lines")}
    missing = [i for i in ids if i not in orders]
    if missing:
        raise NotFound(kind="order", key=missing[0])
    live = {w.order_id: w for w in Waybill.objects.filter(order_id__in=ids).exclude(state=Waybill.State.CANCELLED)}
    refused = [
        Text("%(order_sn)s (%(reason)s)", order_sn=orders[i].order_sn, reason=reason)
        for i in ids
        if (reason := _refusal(orders[i], code, live.get(i)))
    ]
    if refused:
        raise WaybillRefused(reason=Text.joined(refused))
    wanted = [orders[i] for i in ids if i not in live]
    got = {w.order_sn: w for w in provider.issue(code, [_request(o) for o in wanted])} if wanted else {}
    for waybill in got.values():
        check = check_tracking_number(code, waybill.waybill_code)
        if check.blocks:
            raise WaybillRefused(
                reason=Text(
                    "the platform gave %(order_sn)s %(waybill_code)s: %(reason)s",
                    order_sn=waybill.order_sn,
                    waybill_code=waybill.waybill_code,
                    reason=check.reason,
                )
            )
    with transaction.atomic():
        for order in wanted:
            issued = got.get(order.order_sn)
            if issued is not None:
                live[order.id] = _record(order, issued, logistics_id, actor=actor, now=now)
    results = [
        WaybillIssued(
            i, orders[i].order_sn, code, logistics_id, live[i].waybill_code, reused=orders[i].order_sn not in got
        )
        for i in ids
        if i in live
    ]
    lost = [orders[i].order_sn for i in ids if i not in live]
    if lost:
        raise WaybillRefused(
            reason=Text("the platform gave no number for %(names)s (the others are recorded)", names=", ".join(lost))
        )
    return results


def _record(order: Order, issued: IssuedWaybill, logistics_id: int, *, actor: Actor, now: datetime) -> Waybill:
    locked = Order.objects.select_for_update().get(id=order.id)
    held = Waybill.objects.filter(order=locked).exclude(state=Waybill.State.CANCELLED).first()
    if held is not None:  # recorded meanwhile by another process: the platform gave the same number
        if held.waybill_code != issued.waybill_code or held.carrier_code != issued.carrier_code:
            raise WaybillRefused(
                reason=Text(
                    "%(order_sn)s got waybill %(waybill_code)s meanwhile",
                    order_sn=order.order_sn,
                    waybill_code=held.waybill_code,
                )
            )
        return held
    waybill = Waybill.objects.create(order=locked, carrier_code=issued.carrier_code, logistics_id=logistics_id,
                                     waybill_code=issued.waybill_code, print_data=issued.print_data,
                                     issued_at=now, actor=actor.stored,
                                     updated_at=now)  # fmt: skip
    event(order.id, "waybill_issued", actor=actor, now=now, carrier_code=issued.carrier_code,
          logistics_id=logistics_id, waybill_code=issued.waybill_code).save()  # fmt: skip
    return waybill


def _issued_waybill(order_id: int) -> tuple[Order, Waybill]:
    order = Order.objects.filter(id=order_id).first()
    if order is None:
        raise NotFound(kind="order", key=order_id)
    waybill = Waybill.objects.filter(order=order).exclude(state=Waybill.State.CANCELLED).first()
    if waybill is None:
        raise WaybillRefused(reason=Text("%(order_sn)s holds no waybill", order_sn=order.order_sn))
    return order, waybill


def cancel_waybill(order_id: int, provider: WaybillProvider, *, actor: Actor, now: datetime) -> Waybill:
    """Give the order's issued waybill back to the platform and mark it cancelled."""
    order, waybill = _issued_waybill(order_id)
    if waybill.state != Waybill.State.ISSUED or order.status == OrderStatus.SHIPPED or order.shipped_at:
        raise WaybillRefused(
            reason=Text(
                "%(order_sn)s shipped with %(waybill_code)s: it cannot be cancelled",
                order_sn=order.order_sn,
                waybill_code=waybill.waybill_code,
            )
        )
    provider.cancel(waybill.carrier_code, waybill.waybill_code)
    with transaction.atomic():
        updated = Waybill.objects.filter(id=waybill.id, state=Waybill.State.ISSUED).update(
            state=Waybill.State.CANCELLED, updated_at=now
        )
        if updated:
            event(order.id, "waybill_cancelled", actor=actor, now=now, carrier_code=waybill.carrier_code,
                  waybill_code=waybill.waybill_code).save()  # fmt: skip
    waybill.refresh_from_db()
    return waybill


def ship_with_waybill(order_id: int, *, actor: Actor, now: datetime) -> Shipped:
    """Ship the order with its issued waybill (carrier id and number), then mark the waybill used."""
    order, waybill = _issued_waybill(order_id)
    if waybill.state != Waybill.State.ISSUED:
        raise WaybillRefused(
            reason=Text(
                "%(order_sn)s: waybill %(waybill_code)s is %(state)s",
                order_sn=order.order_sn,
                waybill_code=waybill.waybill_code,
                state=Text(waybill.state),
            )
        )
    primary = Shipment.objects.filter(order=order, is_primary=True).first()
    if primary is not None and (primary.logistics_id, primary.tracking_number) == (
        waybill.logistics_id,
        waybill.waybill_code,
    ):
        shipped = Shipped(primary, None)  # shipped with it already, the mark was lost: only mark it
    else:
        # the platform issued this number for this carrier: nobody typed it, so nobody is asked to confirm it
        shipped = ship_order(order.id, carrier=waybill.logistics_id, tracking_number=waybill.waybill_code,
                             confirm_weak_tracking=True, actor=actor, now=now)  # fmt: skip
    with transaction.atomic():
        if Waybill.objects.filter(id=waybill.id, state=Waybill.State.ISSUED).update(state=Waybill.State.USED,
                                                                                   updated_at=now):  # fmt: skip
            event(order.id, "waybill_used", actor=actor, now=now, carrier_code=waybill.carrier_code,
                  waybill_code=waybill.waybill_code, shipment_id=shipped.shipment.id).save()  # fmt: skip
    return shipped


def intercepted(order: Order) -> bool:
    """The order will not ship with the number it holds: cancelled, held by a person, or stopped by the platform."""
    return (
        order.status == OrderStatus.CANCELLED
        or (order.status == OrderStatus.ON_HOLD and HoldReason.MANUAL in order.hold_reasons)
        or interception_reason(order) is not None
    )


@dataclass
class WaybillSweep:
    cancelled: list[str] = field(default_factory=list)  # "order_sn carrier number"
    failed: list[str] = field(default_factory=list)  # "order_sn: why" (tried again on the next run)


def cancel_intercepted_waybills(
    provider_for: Callable[[Shop], WaybillProvider], *, shop_id: int | None = None, actor: Actor, now: datetime
) -> WaybillSweep:
    """Give back every unused waybill of an intercepted order (one platform call each, outside any transaction)."""
    live = Waybill.objects.filter(state=Waybill.State.ISSUED, order__shipped_at__isnull=True).select_related(
        "order", "order__shop"
    )
    if shop_id is not None:
        live = live.filter(order__shop_id=shop_id)
    due = [w for w in live.order_by("id") if intercepted(w.order) and w.order.status != OrderStatus.SHIPPED]
    sweep = WaybillSweep()
    providers: dict[int, WaybillProvider] = {}
    for waybill in due:
        shop = waybill.order.shop
        try:
            provider = providers.get(shop.id) or providers.setdefault(shop.id, provider_for(shop))
            cancel_waybill(waybill.order_id, provider, actor=actor, now=now)
        except (PlatformError, DomainError) as error:
            sweep.failed.append(f"{waybill.order.order_sn}: {error}")
            continue
        sweep.cancelled.append(f"{waybill.order.order_sn} {waybill.carrier_code} {waybill.waybill_code}")
    return sweep
