"""Waves (波次): cut the accepted orders into picking walks, most urgent first, and keep them true as orders drop out.

``create_waves`` loads every accepted order not already in a wave with a fixed handful of queries (no query per
order), lets ``domain.fulfilment.waves.plan_waves`` decide, stores the waves and their slots, and moves the waved
orders ACCEPTED → PICKING with one event each — all in one transaction, written in bulk.

An order leaves its wave when it is cancelled or held (the platform or a person stopped it): ``remove_order`` frees
its slot and the pick list no longer counts its units; the other orders keep their slots, because the sorting wall
is physical. ``drop_stale_orders`` does the same for every order that left the flow since it was waved; it runs
before a pick list is printed and before new waves are planned, so a pick list never asks for a cancelled order's
units. A wave closes once none of its orders is left to pack (``settle_waves``). A pick list for a wave with no
order left to pick is refused (``ready_for_pick_list``), and the wave is left exactly as it was.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, QuerySet, When

from kuaifa.domain.carriers.catalog import carrier_by_id
from kuaifa.domain.fulfilment.waves import WaveCandidate, WaveRule, plan_waves
from kuaifa.domain.orders.status import OrderStatus, transition
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.bulk import insert_rows
from kuaifa.persistence.models import Order, OrderEvent, Wave, WaveOrder
from kuaifa.persistence.queries import OrderContents, order_contents
from kuaifa.services.audit import EVENT_COLUMNS, EventRow
from kuaifa.services.errors import NotFound

#: statuses of an order that is still in its wave's flow; any other status means it left the wave.
IN_FLOW = frozenset({OrderStatus.PICKING, OrderStatus.PACKED, OrderStatus.SHIPPED, OrderStatus.DELIVERED,
                     OrderStatus.COMPLETED})  # fmt: skip
#: statuses of an order still to be packed: a wave with none of them left is closed.
TO_PACK = frozenset({OrderStatus.ACCEPTED, OrderStatus.PICKING})


class WaveConflict(DomainError):
    code = "wave.conflict"
    template = "Some of these orders changed or were waved by someone else meanwhile; nothing was saved. Try again."


class NotInAWave(DomainError):
    code = "wave.order_not_in_wave"
    template = "Order %(order_sn)s is in no open wave."


class OrderStillInFlow(DomainError):
    code = "wave.order_in_flow"
    template = "Order %(order_sn)s is %(status)s in wave %(wave)s: hold or cancel it first, then remove it."


class EmptyWave(DomainError):
    code = "wave.empty"
    template = "Wave %(wave)s has no order left to pick: no pick list was printed and the wave stays as it was."


@dataclass(frozen=True)
class Removed:
    """An order taken out of its wave: which wave, the slot it freed, and the units the pick list no longer needs."""

    order_sn: str
    wave_code: str
    slot: int
    units: dict[str, int]


def rule_to_json(rule: WaveRule) -> dict[str, Any]:
    """The rule as stored on the wave, so a person can see why these orders went together."""
    return {
        "horizon_hours": rule.horizon.total_seconds() / 3600,
        "max_orders": rule.max_orders,
        "kind": rule.kind.value,
        "shop_ids": sorted(rule.shop_ids) if rule.shop_ids is not None else None,
        "carrier_codes": sorted(rule.carrier_codes) if rule.carrier_codes is not None else None,
    }


def create_waves(rule: WaveRule, *, actor: Actor, now: datetime, only: Iterable[int] | None = None) -> list[Wave]:
    """Wave every accepted order the rule takes (of ``only`` these order ids, when given), most urgent first;
    returns the new waves in urgency order."""
    try:
        with transaction.atomic(durable=True):
            return _create(rule, actor=actor, now=now, only=only)
    except IntegrityError:
        raise WaveConflict() from None


def _create(rule: WaveRule, *, actor: Actor, now: datetime, only: Iterable[int] | None = None) -> list[Wave]:
    _drop_stale(WaveOrder.objects.filter(active=True), actor=actor, now=now)
    candidates = Order.objects.filter(status=OrderStatus.ACCEPTED).exclude(wave_memberships__active=True)
    if only is not None:
        candidates = candidates.filter(id__in=list(only))
    if rule.shop_ids is not None:
        candidates = candidates.filter(shop_id__in=rule.shop_ids)
    # the creation time is read only where there is no ship-by to plan with (each time read costs a parse)
    created = Case(When(ship_by=None, then=F("created_at")))
    rows = list(candidates.values_list("id", "order_sn", "shop_id", "ship_by", "logistics_id", created,
                                       "shop__ship_by_hours"))  # fmt: skip
    if not rows:
        return []
    contents = order_contents(candidates.values("id"))
    plan = plan_waves(_candidates(rows, contents), rule, now=now)
    if not plan.waves:
        return []

    stored: list[Wave] = []
    members: list[tuple[int, int, int, bool]] = []
    events: list[EventRow] = []
    for code, planned in zip(_next_codes(now, len(plan.waves)), plan.waves, strict=True):
        wave = Wave.objects.create(code=code, created_at=now, rule=rule_to_json(rule), actor=actor.stored)
        stored.append(wave)
        for wave_order in planned.orders:
            members.append((wave.id, wave_order.order.order_id, wave_order.slot, True))
            events.append((wave_order.order.order_id, "waved", OrderStatus.ACCEPTED, OrderStatus.PICKING, actor.stored,
                           {"wave": code, "slot": wave_order.slot}, now))  # fmt: skip
    target = transition(OrderStatus.ACCEPTED, OrderStatus.PICKING)
    insert_rows(WaveOrder, ("wave_id", "order_id", "slot", "active"), members)
    moved = Order.objects.filter(
        status=OrderStatus.ACCEPTED, wave_memberships__wave_id__in=[w.id for w in stored]
    ).update(status=target, version=F("version") + 1, updated_at=now)
    if moved != len(members):
        raise WaveConflict()
    insert_rows(OrderEvent, EVENT_COLUMNS, events)
    return stored


#: id, order_sn, shop_id, ship_by, logistics_id, created_at (only when there is no ship_by), the shop's ship_by_hours
_CandidateRow = tuple[int, str, int, datetime | None, int | None, datetime | None, int]


def _candidates(rows: Iterable[_CandidateRow], contents: dict[int, OrderContents]) -> Iterable[WaveCandidate]:
    for order_id, order_sn, shop_id, ship_by, logistics_id, created_at, ship_by_hours in rows:
        found = contents.get(order_id)
        if found is None or found.unmapped or found.problem or not found.units:
            continue  # review never accepts such an order; if one slipped through it is not picked blind
        carrier = carrier_by_id(logistics_id) if logistics_id else None
        yield WaveCandidate(
            order_id=order_id,
            order_sn=order_sn,
            shop_id=shop_id,
            ship_by=ship_by if ship_by is not None else _after(created_at, ship_by_hours),
            carrier_code=carrier.code if carrier else "",
            lines=found.units,  # what the planner reads of a line: SKU id and code, quantity, bin location
        )


def _after(created_at: datetime | None, hours: int) -> datetime:
    assert created_at is not None  # read whenever ship_by is NULL
    return created_at + timedelta(hours=hours)


def _next_codes(now: datetime, count: int) -> list[str]:
    """``W260301-001`` …: the China date and a number that runs through the day."""
    prefix = f"W{now.astimezone(CHINA):%y%m%d}-"
    taken = [code.removeprefix(prefix) for code in Wave.objects.filter(code__startswith=prefix).values_list(
        "code", flat=True)]  # fmt: skip
    start = max((int(n) for n in taken if n.isdigit()), default=0) + 1
    return [f"{prefix}{n:03d}" for n in range(start, start + count)]


@transaction.atomic(durable=True)
def remove_order(order_id: int, *, actor: Actor, now: datetime) -> Removed:
    """Take a cancelled or held order out of its wave: its slot is freed and its units leave the pick list."""
    order = Order.objects.select_for_update().filter(id=order_id).first()
    if order is None:
        raise NotFound(kind="order", key=order_id)
    member = WaveOrder.objects.select_related("wave").filter(order=order, active=True).first()
    if member is None:
        raise NotInAWave(order_sn=order.order_sn)
    if order.status in IN_FLOW:
        raise OrderStillInFlow(order_sn=order.order_sn, status=order.status, wave=member.wave.code)
    removed = _drop(
        [(member.id, member.wave_id, member.wave.code, order.id, order.order_sn, member.slot)], actor=actor, now=now
    )
    settle_waves([member.wave_id])
    return removed[0]


@transaction.atomic(durable=True)
def ready_for_pick_list(wave_code: str, *, actor: Actor, now: datetime) -> tuple[Wave, list[Removed]]:
    """Before a pick list is printed: drop the wave's orders that left the flow, and refuse (changing nothing) when
    no order is left to pick."""
    wave = Wave.objects.select_for_update().filter(code=wave_code.strip()).first()
    if wave is None:
        raise NotFound(kind="wave", key=wave_code)
    removed = _drop_stale(WaveOrder.objects.filter(active=True, wave=wave), actor=actor, now=now)
    if not WaveOrder.objects.filter(wave=wave, active=True, order__status__in=list(IN_FLOW)).exists():
        raise EmptyWave(wave=wave.code)  # the whole transaction rolls back: the wave keeps its state and members
    wave.refresh_from_db()
    return wave, removed


@transaction.atomic(durable=True)
def drop_stale_orders(wave_id: int | None = None, *, actor: Actor, now: datetime) -> list[Removed]:
    """Remove from open waves (or from one wave) every order that left the flow: cancelled, held, re-reviewed."""
    query = WaveOrder.objects.filter(active=True)
    if wave_id is not None:
        query = query.filter(wave_id=wave_id)
    return _drop_stale(query, actor=actor, now=now)


def _drop_stale(members: QuerySet[WaveOrder], *, actor: Actor, now: datetime) -> list[Removed]:
    stale = list(
        members.exclude(order__status__in=list(IN_FLOW)).values_list(
            "id", "wave_id", "wave__code", "order_id", "order__order_sn", "slot"
        )
    )
    if not stale:
        return []
    removed = _drop(stale, actor=actor, now=now)
    settle_waves({row[1] for row in stale})
    return removed


def _drop(rows: list[tuple[int, int, str, int, str, int]], *, actor: Actor, now: datetime) -> list[Removed]:
    contents = order_contents([row[3] for row in rows])
    removed: list[Removed] = []
    events: list[EventRow] = []
    for _member_id, _wave_id, wave_code, order_id, order_sn, slot in rows:
        found = contents.get(order_id)
        units = {u.sku_code: u.quantity for u in found.units} if found else {}
        removed.append(Removed(order_sn, wave_code, slot, units))
        events.append(
            (order_id, "wave_removed", "", "", actor.stored, {"wave": wave_code, "slot": slot, "units": units}, now)
        )
    WaveOrder.objects.filter(id__in=[row[0] for row in rows]).delete()
    insert_rows(OrderEvent, EVENT_COLUMNS, events)
    return removed


def settle_waves(wave_ids: Iterable[int]) -> None:
    """A wave with no order left to pack is closed (it no longer holds its orders); one with some packed is picked."""
    ids = list(wave_ids)
    if not ids:
        return
    statuses: dict[int, set[str]] = defaultdict(set)
    for wave_id, status in WaveOrder.objects.filter(wave_id__in=ids).values_list("wave_id", "order__status"):
        statuses[wave_id].add(status)
    done = [w for w in ids if not statuses[w] & TO_PACK]
    started = [w for w in ids if w not in done and statuses[w] - TO_PACK]
    if done:
        Wave.objects.filter(id__in=done).exclude(state=Wave.State.CLOSED).update(state=Wave.State.CLOSED)
        WaveOrder.objects.filter(wave_id__in=done, active=True).update(active=False)
    if started:
        Wave.objects.filter(id__in=started, state=Wave.State.OPEN).update(state=Wave.State.PICKED)
