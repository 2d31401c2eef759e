"""The alerts centre: alerts raised once, routed to the team's chat robots, acknowledged, escalated.

- ``record`` (inside the caller's transaction) stores alerts by key: a key already stored raises nothing, so a
  sweep can run every few minutes. Each new alert is owed to the webhooks its routes name (one ``AlertDelivery``
  per alert × webhook × stage) and gets an escalation time from its shop's policy.
- ``acknowledge``: a person has seen it; it will not be escalated.
- ``escalate_due``: alerts nobody acknowledged by their escalation time are marked escalated and owed to the
  ``on_escalation`` routes.
- ``deliver``: claim one delivery with a lease (two workers never post it together), post it outside any
  transaction, record the outcome; a failure is retried with the outbox's backoff until ``MAX_ATTEMPTS``.
  Deliveries have their own table rather than outbox entries: a webhook is no platform call and has no shop.
- A paused webhook receives nothing, and loses nothing: alerts routed to it are still owed to it (a delivery each,
  as for an active one) but held — never claimed — while it is paused. ``resume_webhook`` sends what it held,
  oldest first, or, when the owner says so, discards it: those deliveries are marked failed with who discarded them
  and why, so they stay on the record. Deleting a route stops new alerts along it; what was already owed stays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from kuaifa.domain.alerts import routing, webhooks
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import (
    AccessEvent,
    Alert,
    AlertDelivery,
    AlertRoute,
    OrderEvent,
    Shop,
    ShopSlaPolicy,
    Webhook,
)
from kuaifa.persistence.secrets import seal, unseal
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.outbox import LEASE, MAX_ATTEMPTS, backoff

DEFAULT_ESCALATION = timedelta(minutes=30)

#: posts a JSON body to a URL; returns (HTTP status, decoded JSON answer) or raises OSError when unreachable
Post = Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]]]


@dataclass(frozen=True)
class AlertSpec:
    """An alert to raise. ``key`` names the fact; raising the same key again does nothing."""

    key: str
    kind: str
    severity: str
    title: str
    body: str = ""
    shop_id: int | None = None
    order_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def record(specs: Iterable[AlertSpec], *, actor: Actor, now: datetime) -> list[Alert]:
    """Store the alerts not stored yet (in the caller's transaction) and queue their deliveries; returns the new."""
    specs = list({spec.key: spec for spec in specs}.values())
    if not specs:
        return []
    for spec in specs:
        routing.rank(spec.severity)
    known = set(Alert.objects.filter(key__in=[s.key for s in specs]).values_list("key", flat=True))
    fresh = [spec for spec in specs if spec.key not in known]
    if not fresh:
        return []
    waits = _escalation_waits({spec.shop_id for spec in fresh})
    Alert.objects.bulk_create(
        [
            Alert(
                key=s.key,
                kind=s.kind,
                severity=s.severity,
                shop_id=s.shop_id,
                order_id=s.order_id,
                title=s.title[:200],
                body=s.body,
                details=s.details,
                raised_at=now,
                escalate_at=now + waits.get(s.shop_id, DEFAULT_ESCALATION),
            )
            for s in fresh
        ],
        ignore_conflicts=True,
    )
    stored = list(Alert.objects.filter(key__in=[s.key for s in fresh], raised_at=now).order_by("id"))
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=a.order_id,
            kind="alert_raised",
            actor=actor.stored,
            created_at=now,
            details={"alert": a.id, "key": a.key, "kind": a.kind, "severity": a.severity},
        )
        for a in stored
        if a.order_id is not None
    )
    _queue(stored, stage="raised", now=now)
    return stored


def _escalation_waits(shop_ids: set[int | None]) -> dict[int | None, timedelta]:
    rows = ShopSlaPolicy.objects.filter(shop_id__in=[s for s in shop_ids if s is not None])
    return {row.shop_id: timedelta(minutes=row.escalate_after_minutes) for row in rows}


def _routes() -> list[routing.Route]:
    """Every route, to active and paused webhooks alike: a paused one's deliveries are held, not skipped."""
    return [
        routing.Route(r.id, r.webhook_id, r.shop_id, frozenset(r.kinds), r.min_severity, r.on_escalation)
        for r in AlertRoute.objects.order_by("id")
    ]


def _queue(alerts: list[Alert], *, stage: str, now: datetime) -> int:
    routes = _routes()
    rows = [
        AlertDelivery(alert=a, webhook_id=hook, stage=stage, next_attempt_at=now, created_at=now)
        for a in alerts
        for hook in routing.webhooks_for(
            routes, kind=a.kind, severity=a.severity, shop_id=a.shop_id, escalated=stage == "escalated"
        )
    ]
    AlertDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic(durable=True)
def raise_alerts(specs: Iterable[AlertSpec], *, actor: Actor, now: datetime) -> list[Alert]:
    """Raise alerts as one use case (``record`` in a transaction of its own)."""
    return record(specs, actor=actor, now=now)


@transaction.atomic(durable=True)
def acknowledge(alert_ids: Iterable[int], *, actor: Actor, now: datetime) -> int:
    """A person has seen these alerts: they will not be escalated. Unknown ids are refused, nothing is changed."""
    ids = sorted(set(alert_ids))
    found = set(Alert.objects.filter(id__in=ids).values_list("id", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(kind="alert", key=missing[0])
    changed = Alert.objects.filter(id__in=ids, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=actor.stored
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=order_id, kind="alert_acknowledged", actor=actor.stored, created_at=now, details={"alert": i}
        )
        for i, order_id in Alert.objects.filter(id__in=ids, acknowledged_by=actor.stored, acknowledged_at=now)
        .exclude(order_id__isnull=True)
        .values_list("id", "order_id")
    )
    return changed


@transaction.atomic(durable=True)
def escalate_due(*, actor: Actor, now: datetime) -> list[Alert]:
    """Alerts unacknowledged past their escalation time are escalated and owed to the escalation routes."""
    due = list(
        Alert.objects.select_for_update()
        .filter(acknowledged_at__isnull=True, escalated_at__isnull=True, escalate_at__lte=now)
        .order_by("id")
    )
    if not due:
        return []
    Alert.objects.filter(id__in=[a.id for a in due]).update(escalated_at=now)
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=a.order_id, kind="alert_escalated", actor=actor.stored, created_at=now, details={"alert": a.id}
        )
        for a in due
        if a.order_id is not None
    )
    _queue(due, stage="escalated", now=now)
    return due


# --- configuration -----------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def add_webhook(name: str, kind: str, url: str, *, secret: str = "", markdown: bool = True, now: datetime) -> Webhook:
    """Register a chat robot; the secret (钉钉 / 飞书 signing key) is sealed at rest."""
    if not name.strip():
        raise InvalidInput(field="name", reason=Text("a webhook needs a name"))
    webhooks.check(kind, url)
    if Webhook.objects.filter(name=name).exists():
        raise InvalidInput(field="name", reason=Text("a webhook named %(name)r already exists", name=name))
    return Webhook.objects.create(name=name, kind=kind, url=url, secret=seal(secret), markdown=markdown, created_at=now)


@transaction.atomic(durable=True)
def add_route(
    role: str,
    webhook_name: str,
    *,
    shop_name: str | None = None,
    kinds: Iterable[str] = (),
    min_severity: str = "info",
    on_escalation: bool = False,
    now: datetime,
) -> AlertRoute:
    """Send a role's alerts (of some kinds, from a severity up, for one shop or all) to a webhook."""
    if not role.strip():
        raise InvalidInput(field="role", reason=Text("a route needs a role"))
    routing.rank(min_severity)
    hook = Webhook.objects.filter(name=webhook_name).first()
    if hook is None:
        raise NotFound(kind="webhook", key=webhook_name)
    shop = None
    if shop_name is not None:
        shop = Shop.objects.filter(name=shop_name).first()
        if shop is None:
            raise NotFound(kind="shop", key=shop_name)
    return AlertRoute.objects.create(
        role=role,
        shop=shop,
        kinds=sorted(set(kinds)),
        min_severity=min_severity,
        on_escalation=on_escalation,
        webhook=hook,
        created_at=now,
    )


def _webhook(name: str) -> Webhook:
    hook = Webhook.objects.select_for_update().filter(name=name).first()
    if hook is None:
        raise NotFound(kind="webhook", key=name)
    return hook


def _record(kind: str, actor: Actor, now: datetime, **details: object) -> None:
    AccessEvent.objects.create(kind=kind, actor=actor.stored, details=details, created_at=now)


@transaction.atomic(durable=True)
def edit_webhook(
    name: str,
    *,
    new_name: str | None = None,
    kind: str | None = None,
    url: str | None = None,
    secret: str | None = None,
    markdown: bool | None = None,
    actor: Actor,
    now: datetime,
) -> Webhook:
    """Change a robot's name, kind, URL, signing secret (``""`` removes it) or format; what is not given stays.
    The kind and URL are checked together, as when it was added; deliveries owed to it go to the new address."""
    hook = _webhook(name)
    changed: list[str] = []
    if new_name is not None and new_name.strip() != hook.name:
        new_name = new_name.strip()
        if not new_name:
            raise InvalidInput(field="name", reason=Text("a webhook needs a name"))
        if Webhook.objects.filter(name=new_name).exclude(id=hook.id).exists():
            raise InvalidInput(field="name", reason=Text("a webhook named %(name)r already exists", name=new_name))
        hook.name, changed = new_name, [*changed, "name"]
    if kind is not None and kind != hook.kind:
        hook.kind, changed = kind, [*changed, "kind"]
    if url is not None and url.strip() != hook.url:
        hook.url, changed = url.strip(), [*changed, "url"]
    webhooks.check(hook.kind, hook.url)
    if secret is not None:
        hook.secret, changed = seal(secret.strip()), [*changed, "secret"]
    if markdown is not None and markdown != hook.markdown:
        hook.markdown, changed = markdown, [*changed, "markdown"]
    hook.save()
    _record("webhook_edited", actor, now, webhook=hook.id, name=hook.name, changed=changed)  # never the secret
    return hook


@dataclass(frozen=True)
class WebhookState:
    name: str
    active: bool
    held: int  # deliveries waiting for it (held while paused)
    discarded: int = 0  # held deliveries discarded on resume


@transaction.atomic(durable=True)
def pause_webhook(name: str, *, actor: Actor, now: datetime) -> WebhookState:
    """Stop posting to a robot (a chat group muted, a URL being replaced). Alerts routed to it meanwhile are held
    for it, not dropped."""
    hook = _webhook(name)
    if hook.active:
        Webhook.objects.filter(id=hook.id).update(active=False)
        _record("webhook_paused", actor, now, webhook=hook.id, name=hook.name)
    return WebhookState(hook.name, False, _held(hook))


@transaction.atomic(durable=True)
def resume_webhook(name: str, *, actor: Actor, now: datetime, discard_held: bool = False) -> WebhookState:
    """Post to a robot again. What it held is sent, oldest first — or, with ``discard_held``, marked failed
    ("discarded on resume", with who did it), so the alerts list still shows it was never posted."""
    hook = _webhook(name)
    if hook.active:  # not paused: nothing was held, nothing is discarded
        return WebhookState(hook.name, True, _held(hook))
    discarded = 0
    if discard_held:
        discarded = AlertDelivery.objects.filter(webhook=hook, state=AlertDelivery.State.PENDING).update(
            state=AlertDelivery.State.FAILED,
            claimed_until=None,
            last_error=f"discarded on resume by {actor.stored} at {now.isoformat()}: the webhook was paused",
        )
    Webhook.objects.filter(id=hook.id).update(active=True)
    _record("webhook_resumed", actor, now, webhook=hook.id, name=hook.name, discarded=discarded)
    return WebhookState(hook.name, True, _held(hook), discarded)


def _held(hook: Webhook) -> int:
    return AlertDelivery.objects.filter(webhook=hook, state=AlertDelivery.State.PENDING).count()


@transaction.atomic(durable=True)
def delete_route(route_id: int, *, actor: Actor, now: datetime) -> None:
    """Remove a route: new alerts no longer go along it. Deliveries already owed to its webhook stay owed."""
    route = AlertRoute.objects.select_related("webhook", "shop").filter(id=route_id).first()
    if route is None:
        raise NotFound(kind="route", key=route_id)
    _record("route_deleted", actor, now, route=route.id, role=route.role, webhook=route.webhook.name,
            shop=route.shop.name if route.shop else None, kinds=route.kinds, min_severity=route.min_severity,
            on_escalation=route.on_escalation)  # fmt: skip
    route.delete()


# --- delivery -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    delivery_id: int
    outcome: str  # done | retry | failed | skipped | superseded
    detail: str = ""


def due_deliveries(*, now: datetime, limit: int = 100) -> list[int]:
    """Deliveries due to active webhooks (a paused webhook's are held until it resumes)."""
    query = AlertDelivery.objects.filter(
        Q(state=AlertDelivery.State.PENDING, next_attempt_at__lte=now)
        | Q(state=AlertDelivery.State.SENDING, claimed_until__lt=now),
        webhook__active=True,
    )
    return list(query.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])


def _claim(delivery_id: int, *, now: datetime) -> int | None:
    with transaction.atomic(durable=True):
        taken = (
            AlertDelivery.objects.filter(id=delivery_id, webhook__active=True)
            .filter(
                Q(state=AlertDelivery.State.PENDING, next_attempt_at__lte=now)
                | Q(state=AlertDelivery.State.SENDING, claimed_until__lt=now)
            )
            .update(state=AlertDelivery.State.SENDING, claimed_until=now + LEASE, attempts=F("attempts") + 1)
        )
        return AlertDelivery.objects.values_list("attempts", flat=True).get(id=delivery_id) if taken else None


def message_for(alert: Alert, *, stage: str) -> webhooks.Message:
    prefix = "【升级】" if stage == "escalated" else ""
    return webhooks.Message(f"{prefix}{alert.title}", alert.body or alert.title)


def deliver(delivery_id: int, post: Post, *, now: datetime) -> DeliveryOutcome:
    """Claim one delivery, post it to its robot, record the outcome."""
    token = _claim(delivery_id, now=now)
    if token is None:
        return DeliveryOutcome(delivery_id, "skipped", "not due or held by another worker")
    delivery = AlertDelivery.objects.select_related("alert", "webhook").get(id=delivery_id)
    hook = delivery.webhook
    message = message_for(delivery.alert, stage=delivery.stage)
    unix_ms = int(now.timestamp() * 1000)
    request = webhooks.build(hook.kind, hook.url, unseal(hook.secret), message, markdown=hook.markdown, unix_ms=unix_ms)
    try:
        status, answer = post(request.url, request.body)
        ok, complaint = webhooks.accepted(hook.kind, status, answer)
    except OSError as error:
        ok, complaint = False, f"unreachable: {error}"
    return DeliveryOutcome(delivery_id, _finish(delivery_id, token, ok=ok, complaint=complaint, now=now), complaint)


def _finish(delivery_id: int, token: int, *, ok: bool, complaint: str, now: datetime) -> str:
    with transaction.atomic(durable=True):
        mine = AlertDelivery.objects.filter(id=delivery_id, state=AlertDelivery.State.SENDING, attempts=token)
        if ok:
            moved = mine.update(state=AlertDelivery.State.DONE, done_at=now, claimed_until=None, last_error="")
            return "done" if moved else "superseded"
        if token < MAX_ATTEMPTS:
            moved = mine.update(
                state=AlertDelivery.State.PENDING,
                next_attempt_at=now + backoff(token),
                claimed_until=None,
                last_error=complaint[:2000],
            )
            return "retry" if moved else "superseded"
        moved = mine.update(state=AlertDelivery.State.FAILED, claimed_until=None, last_error=complaint[:2000])
        return "failed" if moved else "superseded"


# --- reading ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRow:
    id: int
    kind: str
    severity: str
    title: str
    shop: str
    order_sn: str
    raised_at: datetime
    acknowledged_by: str
    escalated: bool
    deliveries: dict[str, int]


def list_alerts(*, include_acknowledged: bool = False, kind: str | None = None, limit: int = 100) -> list[AlertRow]:
    query = Alert.objects.select_related("shop", "order").prefetch_related("deliveries").order_by("-raised_at", "-id")
    if not include_acknowledged:
        query = query.filter(acknowledged_at__isnull=True)
    if kind:
        query = query.filter(kind=kind)
    rows = []
    for a in query[:limit]:
        states: dict[str, int] = {}
        for d in a.deliveries.all():
            states[d.state] = states.get(d.state, 0) + 1
        rows.append(
            AlertRow(
                a.id,
                a.kind,
                a.severity,
                a.title,
                a.shop.name if a.shop else "",
                a.order.order_sn if a.order else "",
                a.raised_at,
                a.acknowledged_by,
                a.escalated_at is not None,
                states,
            )
        )
    return rows
