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
from django.utils import translation
from django.utils.translation import gettext as _

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
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.models import Alert, Order, OrderEvent, ParcelTrace, Shipment
from kuaifa.services import alerts

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
    shop_id: int = 0
    order_id: int = 0
    carrier_code: str = ""
    silent_since: datetime | None = None  # its latest event, or its shipment when it has none


def stalled_parcels(
    *, now: datetime, rule: StallRule | None = None, shop_scope: frozenset[int] = frozenset()
) -> list[StalledParcel]:
    """Parcels silent past their carrier × province limit, grouped by carrier and province, longest silent first.
    ``shop_scope``: only these shops' parcels (empty: every shop)."""
    rule = rule or StallRule()
    rows = Shipment.objects.filter(is_primary=True, order__status=OrderStatus.SHIPPED).select_related(
        "order", "order__shop", "trace"
    )
    if shop_scope:
        rows = rows.filter(order__shop_id__in=shop_scope)
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
                s.order.shop_id,
                s.order_id,
                code,
                (trace.last_event_at if trace else None) or s.shipped_at,
            )
        )
    return sorted(found, key=lambda p: (p.carrier, p.province, -p.silent.total_seconds(), p.order_sn))


#: how many orders a stall alert names (the 物流异常 page lists them all)
ALERT_NAMES = 20


def stall_alert_specs(parcels: list[StalledParcel], *, now: datetime, rule: StallRule) -> list[alerts.AlertSpec]:
    """One alert per shop × carrier × province with parcels stalled, keyed by the China day.

    A group rather than a parcel: a stall is most often a carrier's hub or a province's roads (weather, a closure),
    which stops many parcels at once; one message per group tells the team what is happening and which buyers to
    tell, where one per parcel would bury the chat group (and run into the robots' rate limits: 钉钉 takes 20
    messages a minute). Per shop, so the routes and a person's shop scope apply. Keyed by day: polling again the
    same day raises nothing; a group still stalled the next day is raised once more, naming the parcels then.
    """
    day = now.astimezone(CHINA).strftime("%Y%m%d")
    groups: dict[tuple[int, str, str], list[StalledParcel]] = {}
    for p in parcels:
        groups.setdefault((p.shop_id, p.carrier_code, p.province), []).append(p)
    specs = []
    with translation.override("zh-hans"):
        for (shop_id, code, province), members in sorted(groups.items()):
            first = members[0]
            limit = rule.limit(code, province)
            hours = f"{limit.total_seconds() / 3600:g}"
            lost = any(p.silent >= 2 * limit for p in members)  # silent twice its limit: likely lost
            title = _("%(carrier)s × %(province)s: %(n)s parcel(s) with no trace update for %(hours)s hours") % {
                "carrier": first.carrier, "province": province or "—", "n": len(members), "hours": hours}  # fmt: skip
            named = ", ".join(f"{p.order_sn} ({p.tracking_number})" for p in members[:ALERT_NAMES])
            more = len(members) - ALERT_NAMES
            body = _("Shop %(shop)s · %(parcels)s") % {"shop": first.shop, "parcels": named} + (
                " " + _("and %(n)s more") % {"n": more} if more > 0 else "")  # fmt: skip
            specs.append(
                alerts.AlertSpec(
                    key=f"stalled:{shop_id}:{code}:{province}:{day}",
                    kind="stalled",
                    severity="critical" if lost else "warning",
                    title=title,
                    body=body,
                    shop_id=shop_id or None,
                    details={
                        "carrier": code,
                        "province": province,
                        "hours": float(hours),
                        "orders": [p.order_sn for p in members],
                        "tracking_numbers": [p.tracking_number for p in members],
                    },
                )
            )
    return specs


@transaction.atomic(durable=True)
def raise_stall_alerts(*, actor: Actor, now: datetime, rule: StallRule | None = None) -> list[Alert]:
    """Raise today's stall alerts not raised yet (:func:`stall_alert_specs`), through the alerts centre: routed to
    the team's webhooks like every alert, escalated when nobody acknowledges them."""
    rule = rule or StallRule()
    specs = stall_alert_specs(stalled_parcels(now=now, rule=rule), now=now, rule=rule)
    return alerts.record(specs, actor=actor, now=now)


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
