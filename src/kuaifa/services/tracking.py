"""Parcel tracking after shipment: poll traces through a ``TracePort``, mark signed orders DELIVERED, list stalled
parcels with their (masked) buyers, and draft delay notices to send before the buyer asks.

``poll`` calls the port outside any transaction (it is a network call) and stores the result in one transaction
with the order's move to DELIVERED and its event. Polling backs off by stage and stops at a final stage
(``domain.carriers.traces``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from kuaifa.domain.carriers.catalog import carrier_by_id
from kuaifa.domain.carriers.traces import (
    Stage,
    StallRule,
    TraceEvent,
    TracePort,
    current_stage,
    next_poll,
    normalise,
    stalled,
)
from kuaifa.domain.orders.status import OrderStatus, transition
from kuaifa.domain.platform import PlatformError
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Order, OrderEvent, ParcelTrace, Shipment

RETRY_AFTER_ERROR = timedelta(hours=1)
DELAY_NOTICE = (
    "亲，您的包裹（{carrier} {tracking_number}）在途中耽搁了，最新物流：{latest_trace}。我们已在催促快递，请放心～"
)


def due_shipments(*, now: datetime, limit: int = 200) -> list[int]:
    """Primary shipments of shipped orders whose trace is due (or never polled)."""
    query = Shipment.objects.filter(is_primary=True, order__status=OrderStatus.SHIPPED).filter(
        Q(trace__isnull=True) | Q(trace__next_poll_at__lte=now)
    )
    return list(query.order_by("shipped_at", "id").values_list("id", flat=True)[:limit])


@dataclass(frozen=True)
class Polled:
    shipment_id: int
    stage: str
    new_events: int
    delivered: bool
    error: str = ""


def poll(shipment_id: int, port: TracePort, *, actor: Actor, now: datetime) -> Polled:
    """Ask the port for one parcel's trace and store what is new."""
    shipment = Shipment.objects.select_related("order").get(id=shipment_id)
    carrier = carrier_by_id(shipment.logistics_id)
    try:
        raw = port.traces(carrier.code if carrier else str(shipment.logistics_id), shipment.tracking_number)
    except PlatformError as error:
        ParcelTrace.objects.update_or_create(
            shipment=shipment,
            defaults={
                "polled_at": now,
                "next_poll_at": now + RETRY_AFTER_ERROR,
                "last_error": f"[{error.code}] {error.message}",
            },
        )
        return Polled(shipment_id, "", 0, False, error.code)
    return _store(shipment, normalise(raw), actor=actor, now=now)


@transaction.atomic(durable=True)
def _store(shipment: Shipment, events: list[TraceEvent], *, actor: Actor, now: datetime) -> Polled:
    trace, _ = ParcelTrace.objects.select_for_update().get_or_create(shipment=shipment)
    before = len(trace.events)
    stage = current_stage(events)
    trace.events = [{"at": e.at.isoformat(), "stage": e.stage.value, "text": e.text} for e in events]
    trace.stage = stage.value
    trace.last_event_at = events[-1].at if events else None
    trace.polled_at = now
    trace.next_poll_at = next_poll(stage, now=now)
    trace.last_error = ""
    trace.save()
    delivered = False
    order = Order.objects.select_for_update().get(id=shipment.order_id)
    if stage.value == "signed" and order.status == OrderStatus.SHIPPED:
        target = transition(OrderStatus.SHIPPED, OrderStatus.DELIVERED, order_sn=order.order_sn)
        signed_at = events[-1].at
        Order.objects.filter(id=order.id).update(
            status=target, received_at=signed_at, updated_at=now, version=order.version + 1
        )
        OrderEvent.objects.create(
            order=order,
            kind="delivered",
            from_status=OrderStatus.SHIPPED,
            to_status=target,
            actor=actor.stored,
            created_at=now,
            details={"signed_at": signed_at.isoformat(), "tracking_number": shipment.tracking_number},
        )
        delivered = True
    return Polled(shipment.id, stage.value, max(len(events) - before, 0), delivered)


@dataclass(frozen=True)
class StalledParcel:
    order_sn: str
    shop: str
    carrier: str
    province: str
    tracking_number: str
    buyer: str  # masked name
    phone: str  # masked phone
    silent: timedelta
    latest: str


def stalled_parcels(*, now: datetime, rule: StallRule | None = None) -> list[StalledParcel]:
    """Parcels silent past their carrier × province limit, grouped by carrier and province, longest silent first."""
    rule = rule or StallRule()
    rows = Shipment.objects.filter(is_primary=True, order__status=OrderStatus.SHIPPED).select_related(
        "order", "order__shop", "trace"
    )
    found = []
    for s in rows:
        trace = getattr(s, "trace", None)
        carrier = carrier_by_id(s.logistics_id)
        code = carrier.code if carrier else str(s.logistics_id)
        silent = stalled(
            stage=_stage(trace),
            last_event_at=trace.last_event_at if trace else None,
            shipped_at=s.shipped_at,
            carrier=code,
            province=s.order.province,
            now=now,
            rule=rule,
        )
        if silent is None:
            continue
        latest = trace.events[-1]["text"] if trace and trace.events else ""
        found.append(
            StalledParcel(
                s.order.order_sn,
                s.order.shop.name,
                carrier.name if carrier else code,
                s.order.province,
                s.tracking_number,
                s.order.receiver_name_mask or "***",
                s.order.receiver_phone_mask or "***",
                silent,
                latest,
            )
        )
    return sorted(found, key=lambda p: (p.carrier, p.province, -p.silent.total_seconds(), p.order_sn))


def _stage(trace: ParcelTrace | None) -> Stage:
    return Stage(trace.stage) if trace else Stage.NONE


def delay_notices(parcels: list[StalledParcel], template: str = DELAY_NOTICE) -> list[tuple[str, str]]:
    """One message per affected buyer (order number, text), for the merchant to send before the buyer asks."""
    return [
        (
            p.order_sn,
            template.format(
                carrier=p.carrier,
                tracking_number=p.tracking_number,
                latest_trace=p.latest or "暂无更新",
                order_sn=p.order_sn,
            ),
        )
        for p in parcels
    ]


def latest_trace(order_id: int) -> tuple[str, datetime | None]:
    """The latest event of an order's parcel, for replies: (text, time), or ("", None)."""
    trace = ParcelTrace.objects.filter(shipment__order_id=order_id, shipment__is_primary=True).first()
    if trace is None or not trace.events:
        return "", None
    last = trace.events[-1]
    return last["text"], datetime.fromisoformat(last["at"])
