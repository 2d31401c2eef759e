"""Allocation: reserve stock fairly and never promise a unit twice.

Orders are served most urgent first: earliest ship-by deadline, then earliest payment, then order number (orders
without a deadline come last). By default an order takes all it needs or nothing, so stock is never tied up by an
order that cannot ship anyway and the next order in line gets its chance. Bundles (组合装) are expanded to their
leaf components first (``domain.inventory.bundles``, the one expansion every use of a bundle shares). Within a
SKU, warehouses are drawn in priority order.

The result is a plan: the reservations to write, and the orders left short with the missing quantity per SKU.
The caller persists it under a lock on the stock rows, so the availability it was computed from is the truth.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kuaifa.domain.inventory.bundles import MAX_BUNDLE_DEPTH, BundleCycle, BundleTooDeep, expand

__all__ = ["MAX_BUNDLE_DEPTH", "BundleCycle", "BundleTooDeep", "allocate", "expand_bundles"]

_LAST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class DemandLine:
    line_id: int
    sku_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Demand:
    order_id: int
    order_sn: str
    ship_by: datetime | None
    paid_at: datetime | None
    lines: tuple[DemandLine, ...]

    @property
    def priority(self) -> tuple[bool, datetime, datetime, str]:
        return (self.ship_by is None, self.ship_by or _LAST, self.paid_at or _LAST, self.order_sn)


@dataclass(frozen=True, slots=True)
class StockSlot:
    """Available units of one SKU in one warehouse (a StockLevel row), in warehouse priority order."""

    stock_level_id: int
    available: int


@dataclass(frozen=True, slots=True)
class PlannedReservation:
    order_id: int
    line_id: int
    stock_level_id: int
    sku_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class AllocationPlan:
    reservations: tuple[PlannedReservation, ...]
    reserved_orders: tuple[int, ...]
    short: Mapping[int, Mapping[int, int]]  # order_id → {sku_id: missing units}

    def reserved_by_level(self) -> dict[int, int]:
        totals: dict[int, int] = defaultdict(int)
        for r in self.reservations:
            totals[r.stock_level_id] += r.quantity
        return dict(totals)


def expand_bundles(
    lines: Iterable[tuple[int, int, int]], bundles: Mapping[int, Sequence[tuple[int, int]]]
) -> tuple[DemandLine, ...]:
    """Turn ``(line_id, sku_id, quantity)`` into leaf demand lines; a bundle line keeps its line id. Raises
    ``BundleCycle`` or ``BundleTooDeep`` (see ``domain.inventory.bundles``)."""
    out: list[DemandLine] = []
    for line_id, sku_id, quantity in lines:
        if not bundles.get(sku_id):  # a plain SKU: the common case, without building an expansion
            out.append(DemandLine(line_id, sku_id, quantity))
        else:
            out.extend(DemandLine(line_id, leaf, units) for leaf, units in expand(sku_id, quantity, bundles).units)
    return tuple(out)


def allocate(
    demands: Iterable[Demand],
    stock: Mapping[int, Sequence[StockSlot]],
    *,
    all_or_nothing: bool = True,
) -> AllocationPlan:
    """Plan reservations for ``demands`` against ``stock`` (sku_id → slots), most urgent order first."""
    left: dict[int, list[list[int]]] = {
        sku: [[slot.stock_level_id, slot.available] for slot in slots] for sku, slots in stock.items()
    }
    reservations: list[PlannedReservation] = []
    reserved_orders: list[int] = []
    short: dict[int, dict[int, int]] = {}

    for demand in sorted(demands, key=lambda d: d.priority):
        needed: dict[int, int] = defaultdict(int)
        for line in demand.lines:
            needed[line.sku_id] += line.quantity
        missing = {
            sku: qty - sum(max(a, 0) for _, a in left.get(sku, ()))
            for sku, qty in needed.items()
            if qty > sum(max(a, 0) for _, a in left.get(sku, ()))
        }
        if missing and all_or_nothing:
            short[demand.order_id] = missing
            continue
        for line in demand.lines:
            want = line.quantity
            for slot in left.get(line.sku_id, ()):
                if want == 0:
                    break
                take = min(want, slot[1])
                if take > 0:
                    slot[1] -= take
                    want -= take
                    reservations.append(PlannedReservation(demand.order_id, line.line_id, slot[0], line.sku_id, take))
        if missing:
            short[demand.order_id] = missing
        else:
            reserved_orders.append(demand.order_id)
    return AllocationPlan(tuple(reservations), tuple(reserved_orders), short)
