"""One order in depth, for "why is this order where it is": the stock of each line and its events."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from kuaifa.domain.inventory.bundles import BundleCycle, BundleTooDeep
from kuaifa.domain.inventory.bundles import expand as expand_bundle
from kuaifa.persistence.bundles import load_bundle_graph
from kuaifa.persistence.compiled import values_rows
from kuaifa.persistence.models import Order, OrderEvent, OrderLine, Reservation, Sku, StockLevel


@dataclass(frozen=True)
class LineStock:
    line_id: int
    sku_code: str | None
    goods_name: str
    quantity: int  # units of this SKU the line needs (bundle lines: per component)
    reserved_for_this_order: int
    on_hand: int
    reserved_by_others: int
    earlier_orders_holding: int  # other orders due no later than this one holding this SKU
    bundle: str = ""  # the bundle this component row belongs to


class ReservationRow(NamedTuple):
    """One reservation of an order, as the order's page lists it."""

    sku_code: str
    warehouse_code: str
    quantity: int
    state: str
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class OrderStock:
    lines: list[LineStock]
    reservations: list[ReservationRow]  # every state, oldest first


class _Shelf(NamedTuple):
    on_hand: Any
    reserved: Any
    earlier: Any


def _shelf_numbers(sku: Any, order_id: int, ship_by: datetime | None) -> _Shelf:
    """Subqueries for one SKU (``sku`` an OuterRef): units on hand and reserved in every warehouse, and how many
    other orders due no later than the order (``ship_by``) hold some of it."""
    levels = StockLevel.objects.filter(sku_id=sku).order_by().values("sku_id")
    earlier: Any = Value(0, output_field=IntegerField())
    if ship_by is not None:
        holding = (
            Reservation.objects.filter(sku_id=sku, state=Reservation.State.OPEN, order__ship_by__lte=ship_by)
            .exclude(order_id=order_id)
            .order_by()
            .values("sku_id")
            .annotate(n=Count("order_id", distinct=True))
            .values("n")
        )
        earlier = Coalesce(Subquery(holding, output_field=IntegerField()), 0)
    return _Shelf(
        Coalesce(Subquery(levels.annotate(s=Sum("on_hand")).values("s")), 0),
        Coalesce(Subquery(levels.annotate(s=Sum("reserved")).values("s")), 0),
        earlier,
    )


def _lines_with_shelf(order_id: int, ship_by: datetime | None = None) -> QuerySet[Any, Any]:
    line_shelf = _shelf_numbers(OuterRef("sku_id"), order_id, ship_by)
    return (
        OrderLine.objects.filter(order_id=order_id)
        .annotate(shelf_on_hand=line_shelf.on_hand, shelf_reserved=line_shelf.reserved, earlier=line_shelf.earlier)
        .order_by("id", "reservations__id")
        .values(
            "id", "sku_id", "sku__code", "sku__is_bundle", "goods_name", "quantity", "reservations__id",
            "reservations__sku_id", "reservations__sku__code", "reservations__stock_level__warehouse__code",
            "reservations__quantity", "reservations__state", "reservations__created_at", "reservations__closed_at",
            "shelf_on_hand", "shelf_reserved", "earlier",
        )
    )  # fmt: skip


def order_stock(order: Order) -> OrderStock:
    """Per line (bundles per leaf unit, bundles of bundles followed): reserved for this order, on the shelf, and
    held by others first; and the order's reservations. One statement reads the lines with their reservations and
    each SKU's shelf (built once, then only run: see ``compiled``); bundles add the bundle graph and their leaves'
    shelf. A bundle line whose structure is broken (a cycle, too deep) is shown as the bundle itself, which holds no
    stock; review holds such an order (``bundle_invalid``)."""
    if order.ship_by is None:
        rows = values_rows("order_stock:undated", _lines_with_shelf, order_id=order.id)
    else:
        rows = values_rows("order_stock", _lines_with_shelf, order_id=order.id, ship_by=order.ship_by)
    lines: dict[int, dict[str, Any]] = {}
    reservations: list[tuple[int, ReservationRow]] = []
    mine: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        lines.setdefault(row["id"], row)
        if row["reservations__id"] is None:
            continue
        reservations.append((row["reservations__id"], ReservationRow(
            row["reservations__sku__code"], row["reservations__stock_level__warehouse__code"],
            row["reservations__quantity"], row["reservations__state"], row["reservations__created_at"],
            row["reservations__closed_at"],
        )))  # fmt: skip
        if row["reservations__state"] == Reservation.State.OPEN:
            mine[(row["id"], row["reservations__sku_id"])] += row["reservations__quantity"]
    # sku id → (code, on hand, reserved, earlier orders holding): the lines' own SKUs, then bundles' leaves
    shelf = {
        row["sku_id"]: (row["sku__code"], row["shelf_on_hand"], row["shelf_reserved"], row["earlier"])
        for row in lines.values()
        if row["sku_id"]
    }
    components = load_bundle_graph({row["sku_id"] for row in lines.values() if row["sku__is_bundle"]})
    needs: list[tuple[dict[str, Any], int | None, int, str]] = []
    for line in lines.values():
        if line["sku_id"] in components:
            try:
                units = expand_bundle(line["sku_id"], line["quantity"], components).units
            except (BundleCycle, BundleTooDeep):
                units = ((line["sku_id"], line["quantity"]),)
            needs += [(line, leaf, quantity, line["sku__code"] or "") for leaf, quantity in units]
        else:
            needs.append((line, line["sku_id"], line["quantity"], ""))
    leaves = {sku_id for _, sku_id, _, _ in needs if sku_id and sku_id not in shelf}
    if leaves:
        leaf_shelf = _shelf_numbers(OuterRef("id"), order.id, order.ship_by)
        for leaf_id, code, on_hand, reserved, earlier in (
            Sku.objects.filter(id__in=leaves)
            .annotate(shelf_on_hand=leaf_shelf.on_hand, shelf_reserved=leaf_shelf.reserved, earlier=leaf_shelf.earlier)
            .values_list("id", "code", "shelf_on_hand", "shelf_reserved", "earlier")
        ):
            shelf[leaf_id] = (code, on_hand, reserved, earlier)
    out = []
    for line, sku_id, quantity, bundle in needs:
        if sku_id is None:
            out.append(LineStock(line["id"], None, line["goods_name"], quantity, 0, 0, 0, 0, bundle))
            continue
        code, on_hand, reserved, earlier = shelf[sku_id]
        reserved_here = mine.get((line["id"], sku_id), 0)
        out.append(LineStock(line["id"], code, line["goods_name"], quantity, reserved_here, on_hand,
                             reserved - reserved_here, earlier, bundle))  # fmt: skip
    return OrderStock(out, [row for _, row in sorted(reservations, key=lambda pair: pair[0])])


def line_stock(order: Order) -> list[LineStock]:
    """Each line's stock (see ``order_stock``)."""
    return order_stock(order).lines


def events(order: Order) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order).order_by("created_at", "id"))
