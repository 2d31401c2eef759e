"""Periodic task functions of the alerts centre (run by ``kuaifa worker`` or a scheduler), and the HTTP transport
that posts to the team's chat robots. Each task is idempotent: alerts are keyed, deliveries claimed with a lease."""

from typing import Any

import httpx
from django.utils import timezone
from django_tasks import task

from kuaifa.domain.shared.actor import Actor
from kuaifa.services import alerts, sla, stock_alerts, tracking

ACTOR = Actor.worker()
TIMEOUT = httpx.Timeout(10.0)


def post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST ``body`` as JSON; a network failure is an OSError (retried by the delivery rules)."""
    try:
        response = httpx.post(url, json=body, timeout=TIMEOUT)
    except httpx.TransportError as error:
        raise ConnectionError(str(error) or type(error).__name__) from error
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    return response.status_code, answer if isinstance(answer, dict) else {}


def deliver_due() -> dict[str, int]:
    """Post every alert delivery that is due; the clock is read per delivery so a lease is never stale."""
    outcomes: dict[str, int] = {}
    for delivery_id in alerts.due_deliveries(now=timezone.now()):
        outcome = alerts.deliver(delivery_id, post_json, now=timezone.now()).outcome
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


@task()
def sweep_sla() -> dict:
    """Raise deadline and stock alerts, escalate the ones nobody acknowledged, and post what is owed."""
    report = sla.sweep(actor=ACTOR, now=timezone.now())
    stock = stock_alerts.raise_stock_alerts(actor=ACTOR, now=timezone.now())
    escalated = alerts.escalate_due(actor=ACTOR, now=timezone.now())
    return {
        "watched": report.watched,
        "raised": report.raised,
        "stock_alerts": len(stock),
        "escalated": len(escalated),
        "delivered": deliver_due(),
    }


@task()
def deliver_alerts() -> dict[str, int]:
    """Post the alert deliveries that are due (also ones whose worker died mid-post)."""
    return deliver_due()


def poll_due_traces() -> dict[str, int]:
    """Poll every parcel whose trace is due, through its shop's PDD client (shops without one are skipped), then
    raise an alert for each group of parcels that stalled (every shop's, polled or not: a parcel never traced
    stalls from its shipment) and post what is owed."""
    from kuaifa.persistence.queries_edges import has_credentials, shipment_shop
    from kuaifa.platforms.pdd.ordertrace import PddTraces
    from kuaifa.tasks.platforms import pdd_client

    counts = {"polled": 0, "delivered": 0, "errors": 0}
    ports: dict[int, PddTraces] = {}
    for shipment_id in tracking.due_shipments(now=timezone.now()):
        shop = shipment_shop(shipment_id)
        if shop.id not in ports and not has_credentials(shop):
            continue
        if shop.id not in ports:
            ports[shop.id] = PddTraces(pdd_client(shop))
        polled = tracking.poll(shipment_id, ports[shop.id], actor=ACTOR, now=timezone.now())
        counts["polled"] += 1
        counts["delivered"] += polled.delivered
        counts["errors"] += bool(polled.error)
    counts["stall_alerts"] = len(tracking.raise_stall_alerts(actor=ACTOR, now=timezone.now()))
    if counts["stall_alerts"]:
        deliver_due()
    return counts


@task()
def poll_traces() -> dict[str, int]:
    """Poll due parcel traces (PDD ``pdd.logistics.ordertrace.get``); signed parcels become DELIVERED."""
    return poll_due_traces()
