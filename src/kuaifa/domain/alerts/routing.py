"""Who gets which alert.

Business rules: severities rank info < warning < critical. A route takes an alert when the alert's kind is among
its kinds (no kinds = every kind), its severity is at least the route's minimum, and the route is for the alert's
shop or for every shop. Routes marked ``on_escalation`` take an alert only when it is escalated — the person who
should hear only when the first line did not react (the shop owner, a 管理 role).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kuaifa.domain.shared.errors import DomainError, Text

SEVERITIES = ("info", "warning", "critical")


class InvalidRoute(DomainError):
    code = "alert.invalid_route"
    template = "Alert route: %(reason)s"


def rank(severity: str) -> int:
    if severity not in SEVERITIES:
        raise InvalidRoute(
            reason=Text(
                "unknown severity %(severity)r (use one of %(names)s)", severity=severity, names=", ".join(SEVERITIES)
            )
        )
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class Route:
    route_id: int
    webhook_id: int
    shop_id: int | None
    kinds: frozenset[str]
    min_severity: str
    on_escalation: bool


def webhooks_for(
    routes: Iterable[Route], *, kind: str, severity: str, shop_id: int | None, escalated: bool
) -> list[int]:
    """The webhooks (each once, in route order) that should hear of an alert at this stage."""
    chosen: list[int] = []
    for route in routes:
        if route.on_escalation != escalated:
            continue
        if route.kinds and kind not in route.kinds:
            continue
        if rank(severity) < rank(route.min_severity):
            continue
        if route.shop_id is not None and route.shop_id != shop_id:
            continue
        if route.webhook_id not in chosen:
            chosen.append(route.webhook_id)
    return chosen
