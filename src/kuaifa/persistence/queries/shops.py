"""Shops by name, and the outbox of calls waiting to go to the platform."""

from dataclasses import dataclass
from datetime import datetime

from kuaifa.persistence.models import Shop


def shop_by_name(name: str) -> Shop | None:
    return Shop.objects.filter(name=name).first()


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    shop_name: str
    kind: str
    key: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str


def outbox_entries(*, states: list[str], limit: int = 50) -> list[OutboxRow]:
    from kuaifa.persistence.models import OutboxEntry

    return [
        OutboxRow(*row)
        for row in OutboxEntry.objects.filter(state__in=states)
        .order_by("next_attempt_at")
        .values_list("id", "shop__name", "kind", "key", "state", "attempts", "next_attempt_at", "last_error")[:limit]
    ]
