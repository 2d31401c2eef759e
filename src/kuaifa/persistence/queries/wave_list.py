"""Waves: found by code, listed with their order count, and their orders in pick and pack order."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Count

from kuaifa.persistence.models import Wave


def wave_by_code(code: str) -> Wave | None:
    return Wave.objects.filter(code=code.strip()).first()


@dataclass(frozen=True, slots=True)
class WaveRow:
    id: int
    code: str
    state: str
    created_at: datetime
    actor: str  # as stored
    rule: dict[str, Any]
    orders: int


def waves(*, states: list[str] | None = None, limit: int = 50) -> list[WaveRow]:
    """Waves, newest first, with their order count (orders removed from a wave are not counted)."""
    query = Wave.objects.all() if not states else Wave.objects.filter(state__in=states)
    return [
        WaveRow(*row)
        for row in query.annotate(orders=Count("members"))
        .order_by("-created_at", "-id")
        .values_list("id", "code", "state", "created_at", "actor", "rule", "orders")[:limit]
    ]


class WaveMember(NamedTuple):
    order_id: int
    slot: int
    order_sn: str
    status: str


def wave_members(wave_id: int) -> list[WaveMember]:
    """The orders of a wave in slot order (the pick and pack sequence), with their status."""
    from kuaifa.persistence.models import WaveOrder

    return [
        WaveMember._make(row)
        for row in WaveOrder.objects.filter(wave_id=wave_id)
        .order_by("slot")
        .values_list("order_id", "slot", "order__order_sn", "order__status")
    ]
