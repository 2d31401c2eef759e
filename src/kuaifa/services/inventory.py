"""Stock on the shelf: receipts, adjustments and stocktakes, each one ledger move per stock level.

A count lower than what is reserved cannot be honoured: the orders with the *latest* deadlines lose their
reservations (and are held for stock) until reserved ≤ on hand, so the most urgent orders keep their units.
When stock arrives, orders held only for stock are reviewed again, earliest deadline first, right after the commit.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F, Sum

from kuaifa.domain.inventory.bundles import expand as expand_bundle
from kuaifa.domain.inventory.catalog import StockCount
from kuaifa.domain.orders.review import HoldReason
from kuaifa.domain.orders.status import RESERVING, OrderStatus, transition
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.bulk import insert_rows
from kuaifa.persistence.models import Order, OrderEvent, Reservation, Sku, StockLevel, StockMove, Warehouse
from kuaifa.persistence.queries import bundle_components
from kuaifa.services.audit import event
from kuaifa.services.catalog import ensure_warehouse
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.locking import lock_levels
from kuaifa.services.reservations import release_for_orders
from kuaifa.services.returns import open_tasks
from kuaifa.services.review_due import mark_due_for_skus


@dataclass(frozen=True)
class StockChange:
    sku_code: str
    warehouse: str
    on_hand_before: int
    on_hand_after: int
    released_orders: tuple[str, ...] = ()


class UnknownWarehouse(DomainError):
    code = "inventory.unknown_warehouse"
    template = "There is no warehouse %(warehouse)s; check the name, or ask for it to be created (--create-warehouse)."


def _level_for(sku_code: str, warehouse_code: str, *, create_warehouse: bool = False) -> StockLevel:
    """The stock level of a SKU in a warehouse. A warehouse name nobody created is refused unless the caller says
    to create it: a typo (仓库 "MIAN") would otherwise open a second shelf that orders never draw from."""
    sku = Sku.objects.filter(code=sku_code).first()
    if sku is None:
        raise NotFound(kind="SKU", key=sku_code)
    if sku.is_bundle:
        raise InvalidInput(
            field="sku", reason=Text("%(sku_code)s is a bundle: stock is kept on its components", sku_code=sku_code)
        )
    warehouse: Warehouse | None
    if create_warehouse:
        warehouse = ensure_warehouse(warehouse_code)
    else:
        warehouse = Warehouse.objects.filter(code=warehouse_code).first()
        if warehouse is None:
            raise UnknownWarehouse(warehouse=warehouse_code)
    level, _ = StockLevel.objects.get_or_create(warehouse=warehouse, sku=sku)
    return level


def _move(
    level: StockLevel,
    kind: str,
    *,
    delta: int | None = None,
    count: int | None = None,
    actor: Actor,
    now: datetime,
    note: str = "",
    order_id: int | None = None,
) -> StockChange:
    """Apply one move under the row lock; shrink reservations if the shelf now holds fewer than promised."""
    current = lock_levels([level.id])[0]
    before = current["on_hand"]
    after = count if count is not None else before + (delta or 0)
    if after < 0:
        raise InvalidInput(
            field="quantity",
            reason=Text("%(code)s: on hand cannot go below zero (%(after)s)", code=level.sku.code, after=after),
        )
    released: tuple[str, ...] = ()
    if after != before:
        if after < current["reserved"]:
            released = _give_back(level.id, current["reserved"] - after, actor=actor, now=now)
        StockLevel.objects.filter(id=level.id).update(on_hand=F("on_hand") + (after - before))
        if after > before:
            mark_due_for_skus([level.sku_id])
        StockMove.objects.create(
            stock_level=level,
            order_id=order_id,
            kind=kind,
            quantity=after - before,
            on_hand_after=after,
            note=note,
            actor=actor.stored,
            created_at=now,
        )
    return StockChange(level.sku.code, level.warehouse.code, before, after, released)


def _give_back(level_id: int, units: int, *, actor: Actor, now: datetime) -> tuple[str, ...]:
    """Take reservations away from the latest-deadline orders on this level until ``units`` are freed."""
    holders = (
        Reservation.objects.filter(stock_level_id=level_id, state=Reservation.State.OPEN)
        .values("order_id", "order__order_sn", "order__status")
        .order_by(F("order__ship_by").desc(nulls_first=True), "-order__paid_at", "-order__order_sn")
    )
    chosen: dict[int, tuple[str, str]] = {}
    freed = 0
    per_order = dict(
        Reservation.objects.filter(stock_level_id=level_id, state=Reservation.State.OPEN)
        .values_list("order_id")
        .annotate(total=Sum("quantity"))
    )
    for row in holders:
        if freed >= units:
            break
        if row["order_id"] in chosen:
            continue
        chosen[row["order_id"]] = (row["order__order_sn"], row["order__status"])
        freed += per_order[row["order_id"]]
    release_for_orders(chosen, now=now)
    open_tasks([(order_id, status, OrderStatus.ON_HOLD) for order_id, (_, status) in chosen.items()],
               reason="stock counted below what was reserved", now=now)  # fmt: skip
    events = []
    for order_id, (_, status) in chosen.items():
        target = transition(OrderStatus(status), OrderStatus.ON_HOLD)
        events.append(
            event(
                order_id,
                "held",
                actor=actor,
                now=now,
                from_status=status,
                to_status=target,
                reasons=[HoldReason.STOCK_INSUFFICIENT],
                cause="stock counted below reserved",
            )
        )
    Order.objects.filter(id__in=list(chosen), status__in=list(RESERVING)).update(
        status=OrderStatus.ON_HOLD,
        hold_reasons=[HoldReason.STOCK_INSUFFICIENT],
        review_due=True,  # whole orders were released: units may be left over for some of them
        version=F("version") + 1,
        updated_at=now,
    )
    OrderEvent.objects.bulk_create(events)
    return tuple(sn for sn, _ in chosen.values())


def _after_commit_retry_holds(now: datetime, actor: Actor) -> None:
    from kuaifa.services.review import review_orders

    # robust: the receipt stands even if this follow-up fails; `kuaifa review` retries held orders too
    transaction.on_commit(lambda: review_orders(actor=actor, now=now, only_held=True), robust=True)


def receive_stock(
    sku_code: str,
    quantity: int,
    *,
    warehouse: str = "MAIN",
    actor: Actor,
    now: datetime,
    note: str = "",
    create_warehouse: bool = False,
) -> StockChange:
    """Goods arrived (入库): on hand rises; orders waiting for this stock are reviewed again after commit."""
    if quantity <= 0:
        raise InvalidInput(
            field="quantity",
            reason=Text("a receipt must be a positive number of units, not %(quantity)s", quantity=quantity),
        )
    with transaction.atomic(durable=True):
        change = _move(
            _level_for(sku_code, warehouse, create_warehouse=create_warehouse),
            StockMove.Kind.RECEIPT,
            delta=quantity,
            actor=actor,
            now=now,
            note=note,
        )
        _after_commit_retry_holds(now, actor)
    return change


def adjust_stock(
    sku_code: str,
    delta: int,
    *,
    warehouse: str = "MAIN",
    actor: Actor,
    now: datetime,
    note: str = "",
    create_warehouse: bool = False,
) -> StockChange:
    """A correction (调整: damage, found units), signed."""
    if delta == 0:
        raise InvalidInput(field="quantity", reason=Text("an adjustment of zero changes nothing"))
    with transaction.atomic(durable=True):
        change = _move(
            _level_for(sku_code, warehouse, create_warehouse=create_warehouse),
            StockMove.Kind.ADJUSTMENT,
            delta=delta,
            actor=actor,
            now=now,
            note=note,
        )
        if delta > 0:
            _after_commit_retry_holds(now, actor)
    return change


def stocktake(
    counts: Sequence[StockCount], *, actor: Actor, now: datetime, note: str = "", create_warehouse: bool = False
) -> list[StockChange]:
    """Counted quantities (盘点) become the truth, all rows or none; the difference is one move per level."""
    with transaction.atomic(durable=True):
        seen: set[tuple[str, str]] = set()
        for count in counts:
            key = (count.sku_code, count.warehouse)
            if key in seen:
                raise InvalidInput(
                    field="商家编码",
                    reason=Text(
                        "%(sku_code)s counted twice in %(warehouse)s",
                        sku_code=count.sku_code,
                        warehouse=count.warehouse,
                    ),
                )
            seen.add(key)
            if count.quantity < 0:
                raise InvalidInput(
                    field="数量", reason=Text("%(sku_code)s: a count cannot be negative", sku_code=count.sku_code)
                )
        levels = [_level_for(c.sku_code, c.warehouse, create_warehouse=create_warehouse) for c in counts]
        lock_levels(level.id for level in levels)  # every counted row at once, in id order (no deadlocks)
        changes = [
            _move(level, StockMove.Kind.STOCKTAKE, count=count.quantity, actor=actor, now=now, note=note)
            for level, count in zip(levels, counts, strict=True)
        ]
        if any(c.on_hand_after > c.on_hand_before for c in changes):
            _after_commit_retry_holds(now, actor)
    return changes


def _expanded(sku_id: int, quantity: int) -> list[tuple[int, int]]:
    """A SKU's units on the shelf: a bundle is its leaf components (the one bundle expansion and depth rule)."""
    return list(expand_bundle(sku_id, quantity, bundle_components({sku_id})).units)


def put_back(
    sku_code: str, quantity: int, *, warehouse: str = "MAIN", order_id: int | None = None, actor: Actor, now: datetime,
    note: str = "",
) -> list[StockChange]:  # fmt: skip
    """Returned goods back on the shelf (退货入库), inside the caller's transaction: one ``return`` move per SKU, a
    bundle as its components; orders held for stock are reviewed again after the commit."""
    sku = Sku.objects.filter(code=sku_code).first()
    if sku is None:
        raise NotFound(kind="SKU", key=sku_code)
    if quantity <= 0:
        raise InvalidInput(
            field="quantity",
            reason=Text("a return must be a positive number of units, not %(quantity)s", quantity=quantity),
        )
    codes = dict(Sku.objects.values_list("id", "code").filter(id__in=[s for s, _ in _expanded(sku.id, 1)]))
    changes = [
        _move(_level_for(codes[component], warehouse, create_warehouse=True), StockMove.Kind.RETURN, delta=units,
              actor=actor, now=now, note=note, order_id=order_id)
        for component, units in _expanded(sku.id, quantity)
    ]  # fmt: skip
    _after_commit_retry_holds(now, actor)
    return changes


def write_off_damaged(
    sku_code: str, quantity: int, *, warehouse: str = "MAIN", order_id: int | None = None, actor: Actor, now: datetime,
    note: str = "",
) -> int:  # fmt: skip
    """Returned goods inspected as damaged (残次), inside the caller's transaction: per SKU (a bundle as its
    components) a ``return`` move brings the units into the building and a ``damaged`` move writes them off at
    once, so the ledger shows both and sellable stock is unchanged. Returns the units written off."""
    sku = Sku.objects.filter(code=sku_code).first()
    if sku is None:
        raise NotFound(kind="SKU", key=sku_code)
    if quantity <= 0:
        raise InvalidInput(
            field="quantity",
            reason=Text("a write-off must be a positive number of units, not %(quantity)s", quantity=quantity),
        )
    codes = dict(Sku.objects.values_list("id", "code").filter(id__in=[s for s, _ in _expanded(sku.id, 1)]))
    for component, units in _expanded(sku.id, quantity):
        level = _level_for(codes[component], warehouse, create_warehouse=True)
        _move(level, StockMove.Kind.RETURN, delta=units, actor=actor, now=now, note=note, order_id=order_id)
        _move(level, StockMove.Kind.DAMAGED, delta=-units, actor=actor, now=now, note=note, order_id=order_id)
    return quantity


def take_out_unreserved(
    orders: Mapping[int, Sequence[tuple[int, int]]], *, actor: Actor, now: datetime, note: str = ""
) -> dict[int, dict[str, int]]:
    """Goods that left without a reservation — the platform reports orders shipped from its back office before
    Kuaifa reserved stock for them (``orders``: order id → its lines as (sku id, quantity)). Inside the caller's
    transaction, order after order, ``ship`` moves take the units from the warehouses in priority order; a shelf
    that then holds fewer than it promised gives reservations back from the latest deadlines (as a stocktake does).
    Returns, per order, the units found on no shelf by SKU code, for the audit trail.

    One read of the bundles, one locked read of the stock rows, one batch of moves and one of stock updates for all
    the orders; a give-back (rare: the shelf held less than it had promised) is per stock row.
    """
    if not orders:
        return {}
    components = bundle_components({sku_id for lines in orders.values() for sku_id, _ in lines})
    wanted_by_order: dict[int, dict[int, int]] = {}
    for order_id, lines in orders.items():
        wanted: dict[int, int] = defaultdict(int)
        for sku_id, quantity in lines:
            for component, units in expand_bundle(sku_id, quantity, components).units:
                wanted[component] += units
        wanted_by_order[order_id] = wanted
    skus = {sku_id for wanted in wanted_by_order.values() for sku_id in wanted}
    order = StockLevel.objects.filter(sku_id__in=skus, on_hand__gt=0).order_by("warehouse__priority", "warehouse_id",
                                                                              "id")  # fmt: skip
    shelves: dict[int, list[int]] = defaultdict(list)  # sku → its stock rows, in the order to take from
    for level_id, sku_id in order.values_list("id", "sku_id"):
        shelves[sku_id].append(level_id)
    locked = {row["id"]: row for row in lock_levels(level_id for ids in shelves.values() for level_id in ids)}
    on_hand = {level_id: row["on_hand"] for level_id, row in locked.items()}
    moves: list[tuple[object, ...]] = []
    missing: dict[int, dict[int, int]] = {}
    for order_id, wanted in wanted_by_order.items():
        for sku_id, units in wanted.items():
            for level_id in shelves.get(sku_id, ()):
                take = min(units, on_hand[level_id])
                if take > 0:
                    on_hand[level_id] -= take
                    units -= take
                    moves.append((level_id, order_id, StockMove.Kind.SHIP, -take, on_hand[level_id], note,
                                  actor.stored, now))  # fmt: skip
            if units:
                missing.setdefault(order_id, {})[sku_id] = units
    taken = {level_id: locked[level_id]["on_hand"] - after for level_id, after in on_hand.items()}
    for level_id in sorted(taken):
        if not taken[level_id]:
            continue
        reserved = lock_levels([level_id])[0]["reserved"]  # a give-back for an earlier row may have lowered it
        if on_hand[level_id] < reserved:
            _give_back(level_id, reserved - on_hand[level_id], actor=actor, now=now)
    changed = [(units, level_id) for level_id, units in sorted(taken.items()) if units]
    if changed:
        table = connection.ops.quote_name(StockLevel._meta.db_table)
        with connection.cursor() as cursor:  # one statement batch, in id order (see services.locking)
            cursor.executemany(f"UPDATE {table} SET on_hand = on_hand - %s WHERE id = %s", changed)
        insert_rows(StockMove, _MOVE_COLUMNS, moves)
    codes = dict(Sku.objects.filter(id__in={s for m in missing.values() for s in m}).values_list("id", "code"))
    return {order_id: {codes[s]: n for s, n in units.items()} for order_id, units in missing.items()}


_MOVE_COLUMNS = ("stock_level_id", "order_id", "kind", "quantity", "on_hand_after", "note", "actor", "created_at")
