"""One order in depth, for "why is this order where it is": the stock of each line and its events."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Sum

from kuaifa.domain.inventory.bundles import BundleCycle, BundleTooDeep
from kuaifa.domain.inventory.bundles import expand as expand_bundle
from kuaifa.persistence.bundles import load_bundle_graph
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


def line_stock(order: Order) -> list[LineStock]:
    """Per line (bundles per leaf unit, bundles of bundles followed): reserved for this order, on the shelf, and
    held by others first. A bundle line whose structure is broken (a cycle, too deep) is shown as the bundle itself,
    which holds no stock; review holds such an order (``bundle_invalid``)."""
    lines = list(OrderLine.objects.filter(order=order).select_related("sku").order_by("id"))
    components = load_bundle_graph({line.sku_id for line in lines if line.sku_id})
    needs: list[tuple[OrderLine, int | None, int, str]] = []
    for line in lines:
        if line.sku_id in components:
            try:
                units = expand_bundle(line.sku_id, line.quantity, components).units
            except (BundleCycle, BundleTooDeep):
                units = ((line.sku_id, line.quantity),)
            code = line.sku.code if line.sku is not None else ""
            needs += [(line, leaf, quantity, code) for leaf, quantity in units]
        else:
            needs.append((line, line.sku_id, line.quantity, ""))
    sku_ids = {sku_id for _, sku_id, _, _ in needs if sku_id}
    code_of = dict(Sku.objects.filter(id__in=sku_ids).values_list("id", "code"))
    shelf: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for level_sku, on_hand, reserved in StockLevel.objects.filter(sku_id__in=sku_ids).values_list(
        "sku_id", "on_hand", "reserved"
    ):
        shelf[level_sku][0] += on_hand
        shelf[level_sku][1] += reserved
    mine = {
        (line_id, sku_id): q
        for line_id, sku_id, q in Reservation.objects.filter(order=order, state=Reservation.State.OPEN)
        .values_list("line_id", "sku_id")
        .annotate(q=Sum("quantity"))
        .order_by()
    }
    earlier: dict[int, int] = {}
    if order.ship_by is not None and sku_ids:
        earlier = dict(
            Reservation.objects.filter(
                sku_id__in=sku_ids, state=Reservation.State.OPEN, order__ship_by__lte=order.ship_by
            )
            .exclude(order=order)
            .values_list("sku_id")
            .annotate(n=Count("order_id", distinct=True))
            .order_by()
        )
    out = []
    for line, sku_id, quantity, bundle in needs:
        reserved_here = mine.get((line.id, sku_id), 0) if sku_id else 0
        on_hand, reserved = shelf[sku_id] if sku_id else (0, 0)
        out.append(
            LineStock(
                line.id,
                code_of.get(sku_id) if sku_id else None,
                line.goods_name,
                quantity,
                reserved_here,
                on_hand,
                reserved - reserved_here,
                earlier.get(sku_id, 0) if sku_id else 0,
                bundle,
            )
        )
    return out


def events(order: Order) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order).order_by("created_at", "id"))
