"""Waves (波次): group accepted orders for one picking walk, most urgent first, and build the pick list.

Business rules:

- Only orders due soon enough are waved: ship-by strictly before ``now + rule.horizon`` (overdue orders included).
  Optional filters keep a wave to some shops and to some carriers (the code ``""`` stands for "no carrier chosen
  yet" and can be listed like any other). ``rule.kind`` keeps single-item orders (exactly one unit in total: one
  picker walk, no sorting) apart from multi-item orders (sorted into a slot per order after picking), or mixes both.
- Orders are taken most urgent first — earliest ship-by, then order number — and cut into waves of at most
  ``rule.max_orders`` orders, so the first wave holds the orders that must leave first.
- Every order of a wave gets a slot number 1..n in urgency order. For a multi-item order it is the sorting slot
  (分拣格) its units are put into; for a single-item order it is only its place in the print/pack sequence.
- The pick list has one line per SKU: the total to pick, and which slots take how many. Lines follow the walk
  through the warehouse: bin location in natural order ("A-2" before "A-10"), locations unknown ("") last.
- An order removed from a wave (cancelled, refunded) leaves the others in their slots — the sorting wall is
  physical and may already hold units — and the pick list shrinks by exactly what it needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from kuaifa.domain.shared.errors import DomainError, Text


class InvalidWaveRule(DomainError):
    code = "wave.invalid_rule"
    template = "Wave rule: %(reason)s"


class InvalidWaveOrder(DomainError):
    code = "wave.invalid_order"
    template = "Order %(order_sn)s cannot be waved: %(reason)s"


class OrderNotInWave(DomainError):
    code = "wave.order_not_in_wave"
    template = "Order %(order_id)s is not in wave %(wave)s."


class WaveKind(StrEnum):
    SINGLE = "single"  # exactly one unit in the order
    MULTI = "multi"  # two or more units
    ANY = "any"


class SkipReason(StrEnum):
    NOT_DUE = "wave.not_due"
    OTHER_SHOP = "wave.other_shop"
    OTHER_CARRIER = "wave.other_carrier"
    OTHER_KIND = "wave.other_kind"


@dataclass(frozen=True, slots=True)
class CandidateLine:
    sku_id: int
    sku_code: str
    quantity: int
    bin_location: str = ""


class PickUnit(Protocol):
    """What the planner and the pick list read of an order line: a :class:`CandidateLine`, or a parcel unit as read."""

    @property
    def sku_id(self) -> int: ...
    @property
    def sku_code(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def bin_location(self) -> str: ...


@dataclass(frozen=True, slots=True)
class WaveCandidate:
    """An accepted order with its stock reserved, as the wave planner needs it."""

    order_id: int
    order_sn: str
    shop_id: int
    ship_by: datetime
    carrier_code: str
    lines: tuple[PickUnit, ...]  # CandidateLines, or the parcel units the database read (no copy of each)

    def __post_init__(self) -> None:
        if self.ship_by.tzinfo is None or self.ship_by.utcoffset() is None:
            raise InvalidWaveOrder(order_sn=self.order_sn, reason=Text("ship_by must be a timezone-aware datetime"))
        if not self.lines:
            raise InvalidWaveOrder(order_sn=self.order_sn, reason=Text("it has no lines"))
        if any(line.quantity <= 0 for line in self.lines):
            raise InvalidWaveOrder(order_sn=self.order_sn, reason=Text("every line needs a quantity of at least 1"))

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def kind(self) -> WaveKind:
        return WaveKind.SINGLE if self.units == 1 else WaveKind.MULTI

    @property
    def urgency(self) -> tuple[datetime, str]:
        return (self.ship_by, self.order_sn)


@dataclass(frozen=True, slots=True)
class WaveRule:
    """Which orders a wave takes and how big it may get. ``None`` filters let everything through."""

    horizon: timedelta
    max_orders: int = 100
    kind: WaveKind = WaveKind.ANY
    shop_ids: frozenset[int] | None = None
    carrier_codes: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.horizon < timedelta(0):
            raise InvalidWaveRule(reason=Text("the deadline horizon cannot be negative"))
        if isinstance(self.max_orders, bool) or not isinstance(self.max_orders, int) or self.max_orders < 1:
            raise InvalidWaveRule(reason=Text("a wave must be allowed at least one order"))

    def skip_reason(self, order: WaveCandidate, now: datetime) -> SkipReason | None:
        if order.ship_by >= now + self.horizon:
            return SkipReason.NOT_DUE
        if self.shop_ids is not None and order.shop_id not in self.shop_ids:
            return SkipReason.OTHER_SHOP
        if self.carrier_codes is not None and order.carrier_code not in self.carrier_codes:
            return SkipReason.OTHER_CARRIER
        if self.kind is not WaveKind.ANY and order.kind is not self.kind:
            return SkipReason.OTHER_KIND
        return None


@dataclass(frozen=True, slots=True)
class WaveOrder:
    slot: int
    order: WaveCandidate

    @property
    def needs_sorting(self) -> bool:
        """Multi-item orders are sorted into their slot after picking; single-item orders go straight to packing."""
        return self.order.kind is WaveKind.MULTI


@dataclass(frozen=True, slots=True)
class PickLine:
    """Pick ``quantity`` of one SKU at ``bin_location``; ``slots`` says which slot takes how many, by slot number."""

    sku_id: int
    sku_code: str
    bin_location: str
    quantity: int
    slots: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Wave:
    number: int  # 1.. within the plan that made it
    orders: tuple[WaveOrder, ...]

    @property
    def pick_list(self) -> tuple[PickLine, ...]:
        """Built when asked for: storing a wave needs only its orders and slots."""
        return build_pick_list(self.orders)

    @property
    def order_ids(self) -> tuple[int, ...]:
        return tuple(o.order.order_id for o in self.orders)

    @property
    def earliest_ship_by(self) -> datetime | None:
        return min((o.order.ship_by for o in self.orders), default=None)


@dataclass(frozen=True, slots=True)
class WavePlan:
    waves: tuple[Wave, ...]
    skipped: Mapping[int, SkipReason] = field(default_factory=dict)  # order_id → why it is in no wave


_DIGITS = re.compile(r"(\d+)")


def bin_sort_key(location: str) -> tuple[bool, tuple[tuple[int, int, str], ...], str]:
    """Natural order of bin locations: digit runs compare as numbers ("A-2" < "A-10"), letters ignore case.

    Unknown locations ("") sort last; equal keys (``A-01`` / ``A-1``) fall back to the text itself.
    """
    text = location.strip()
    parts = tuple(
        (0, int(chunk), "") if chunk.isdecimal() else (1, 0, chunk.casefold()) for chunk in _DIGITS.split(text) if chunk
    )
    return (not text, parts, text)


def build_pick_list(orders: Iterable[WaveOrder]) -> tuple[PickLine, ...]:
    """One line per SKU over ``orders``, in walking order; a SKU's location is the first one given for it."""
    return pick_list_of((wave_order.slot, wave_order.order.lines) for wave_order in orders)


def pick_list_of(slotted: Iterable[tuple[int, Iterable[PickUnit]]]) -> tuple[PickLine, ...]:
    """:func:`build_pick_list` from (slot, lines) pairs, for a wave read back without rebuilding its candidates."""
    totals: dict[int, int] = {}
    codes: dict[int, str] = {}
    locations: dict[int, str] = {}
    per_slot: dict[int, dict[int, int]] = {}
    for slot, units in slotted:
        for line in units:
            totals[line.sku_id] = totals.get(line.sku_id, 0) + line.quantity
            codes.setdefault(line.sku_id, line.sku_code)
            if not locations.get(line.sku_id):
                locations[line.sku_id] = line.bin_location.strip()
            slots = per_slot.setdefault(line.sku_id, {})
            slots[slot] = slots.get(slot, 0) + line.quantity
    picks = [
        PickLine(sku, codes[sku], locations[sku], totals[sku], tuple(sorted(per_slot[sku].items()))) for sku in totals
    ]
    picks.sort(key=lambda p: (bin_sort_key(p.bin_location), p.sku_code, p.sku_id))
    return tuple(picks)


def plan_waves(candidates: Iterable[WaveCandidate], rule: WaveRule, *, now: datetime) -> WavePlan:
    """Cut the eligible orders, most urgent first, into waves of at most ``rule.max_orders`` with their pick lists."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidWaveRule(reason=Text("now must be a timezone-aware datetime"))
    eligible: list[WaveCandidate] = []
    skipped: dict[int, SkipReason] = {}
    seen: set[int] = set()
    for order in candidates:
        if order.order_id in seen:
            raise InvalidWaveOrder(order_sn=order.order_sn, reason=Text("it is listed twice"))
        seen.add(order.order_id)
        reason = rule.skip_reason(order, now)
        if reason is None:
            eligible.append(order)
        else:
            skipped[order.order_id] = reason
    eligible.sort(key=lambda o: o.urgency)
    waves: list[Wave] = []
    for start in range(0, len(eligible), rule.max_orders):
        chunk = eligible[start : start + rule.max_orders]
        orders = tuple(WaveOrder(slot, order) for slot, order in enumerate(chunk, start=1))
        waves.append(Wave(len(waves) + 1, orders))
    return WavePlan(tuple(waves), skipped)


def remove_order(wave: Wave, order_id: int) -> Wave:
    """The wave without ``order_id``: other orders keep their slots; the pick list loses exactly that order's units."""
    if order_id not in wave.order_ids:
        raise OrderNotInWave(order_id=order_id, wave=wave.number)
    orders = tuple(o for o in wave.orders if o.order.order_id != order_id)
    return Wave(wave.number, orders)
