"""Periodic task functions of the alerts centre (run by ``kuaifa worker`` or a scheduler), and the HTTP transport
that posts to the team's chat robots. Each task is idempotent: alerts are keyed, deliveries claimed with a lease."""

from typing import Any

import httpx
from django.utils import timezone
from django_tasks import task

from kuaifa.services import alerts, sla, stock_alerts

ACTOR = "worker"
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
