"""Reads for the 预警 pages: the alerts centre filtered and scoped, its webhooks and routes, the reply rules."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from kuaifa.persistence.models import Alert, AlertDelivery, AlertRoute, Order, ReplyRule, Webhook


@dataclass(frozen=True)
class AlertFilter:
    kind: str = ""
    severity: str = ""
    shop_id: int | None = None
    acknowledged: str = "no"  # no | yes | all
    scope: frozenset[int] = frozenset()


def _scoped(query: QuerySet[Alert], scope: frozenset[int]) -> QuerySet[Alert]:
    """A member scoped to some shops sees their alerts and the shop-less ones (stock), never another shop's."""
    return query.filter(Q(shop_id__in=scope) | Q(shop_id=None)) if scope else query


def alerts(f: AlertFilter, *, limit: int = 200) -> list[Alert]:
    """Alerts, newest first, with their shop, order and delivery states prefetched."""
    query = _scoped(Alert.objects.select_related("shop", "order").prefetch_related("deliveries"), f.scope)
    if f.kind:
        query = query.filter(kind=f.kind)
    if f.severity:
        query = query.filter(severity=f.severity)
    if f.shop_id is not None:
        query = query.filter(shop_id=f.shop_id)
    if f.acknowledged == "no":
        query = query.filter(acknowledged_at__isnull=True)
    elif f.acknowledged == "yes":
        query = query.filter(acknowledged_at__isnull=False)
    return list(query.order_by("-raised_at", "-id")[:limit])


def alert_kinds() -> list[str]:
    return sorted(set(Alert.objects.values_list("kind", flat=True).distinct()))


def alerts_in_scope(ids: list[int], scope: frozenset[int]) -> set[int]:
    """Which of these alerts exist and lie in the member's shops."""
    return set(_scoped(Alert.objects.filter(id__in=ids), scope).values_list("id", flat=True))


def unacknowledged(scope: frozenset[int]) -> QuerySet[Alert]:
    """Alerts nobody has acknowledged yet, within the member's scope."""
    return _scoped(Alert.objects.filter(acknowledged_at__isnull=True), scope)


def unacknowledged_count(scope: frozenset[int]) -> int:
    return unacknowledged(scope).count()


def webhooks() -> list[Webhook]:
    """The robots, their secrets left sealed (the page says only whether one is set), each with ``waiting``: the
    deliveries owed to it and not yet posted (held, while it is paused)."""
    waiting = Count("deliveries", filter=Q(deliveries__state=AlertDelivery.State.PENDING))
    return list(Webhook.objects.annotate(waiting=waiting).order_by("name"))


def webhook_name(webhook_id: int) -> str | None:
    return Webhook.objects.filter(id=webhook_id).values_list("name", flat=True).first()


def routes() -> list[AlertRoute]:
    return list(AlertRoute.objects.select_related("webhook", "shop").order_by("role", "id"))


def reply_rules() -> list[ReplyRule]:
    return list(ReplyRule.objects.select_related("shop").order_by("-priority", "id"))


def order_sn_in_scope(order_sn: str, scope: frozenset[int]) -> bool:
    """Whether an order with this number lies in the member's shops (an empty scope: every shop)."""
    query = Order.objects.filter(order_sn=order_sn)
    return query.filter(shop_id__in=scope).exists() if scope else query.exists()
