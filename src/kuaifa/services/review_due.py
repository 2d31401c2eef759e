"""Which held orders review looks at again: those marked due because something that held them changed.

An order held for reasons that clear by themselves (stock, SKU mapping, platform flags) is not re-read on every
review run; it carries ``review_due``, set in the same transaction as the change that may free it:

- stock arrived (a receipt, a positive adjustment or count, goods put back, reservations released) for one of its
  SKUs, or for a component of a bundle it holds;
- a SKU or a platform mapping now matches one of its unmapped lines;
- the platform sent a newer copy of it (a flag may have cleared);
- its shop's review rules changed;
- a stocktake took its reservation back (whole orders are released, so units may be left over for it).

Review takes new orders and due held orders together, most urgent deadline first, so held orders waiting for stock
compete fairly with new ones when it arrives; it clears the mark in the transaction that reviews the order.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence import review_rows
from kuaifa.persistence.models import Order, OrderLine


def _held() -> "Q":
    return Q(status=OrderStatus.ON_HOLD, review_due=False)


def _mark(held: QuerySet[Order], *, holding_stock_rows: bool = False) -> int:
    """Set the mark on these held orders. A caller holding stock-row locks skips (on PostgreSQL) the orders a review
    has locked instead of waiting for them: that review locks the stock rows after its orders, so it will read this
    change anyway, and waiting here would deadlock with it. SQLite serialises writers anyway."""
    if holding_stock_rows and connection.features.has_select_for_update_skip_locked:
        ids = list(held.select_for_update(skip_locked=True, of=("self",)).values_list("id", flat=True))
        held = Order.objects.filter(id__in=ids)
    return held.update(review_due=True)


def candidates_filter(*, only_held: bool = False) -> Q:
    """The orders a review run takes: new ones and held ones marked due."""
    due = Q(status=OrderStatus.ON_HOLD, review_due=True)
    return due if only_held else Q(status=OrderStatus.NEW) | due


def mark_due_for_skus(sku_ids: Iterable[int]) -> int:
    """Stock of these SKUs rose (the caller holds their stock rows): their held orders are due for review. One
    statement (bundles containing them followed in it); on PostgreSQL orders a review has locked are skipped, as
    :func:`_mark` explains."""
    skus = {s for s in sku_ids if s is not None}
    return review_rows.mark_due_for_skus(skus, skip_locked=connection.features.has_select_for_update_skip_locked)


def mark_due_for_catalogue_change(sku_ids: Iterable[int]) -> int:
    """The catalogue changed what these SKUs are (a bundle's components): orders held for them, or for a bundle
    containing them, are due — a broken bundle may be mended, a shortage may now be met another way. The statement
    of :func:`mark_due_for_skus` (the caller holds no stock rows: nothing to skip)."""
    return review_rows.mark_due_for_skus({s for s in sku_ids if s is not None}, skip_locked=False)


def mark_due_for_codes(codes: Iterable[str]) -> int:
    """SKUs with these merchant codes now exist: held orders with unmapped lines naming them are due."""
    lines = OrderLine.objects.filter(sku__isnull=True, outer_id__in=list(codes)).values("order_id")
    return _mark(Order.objects.filter(_held(), id__in=lines))


def mark_due_for_listing(shop_id: int, goods_id: str, platform_sku_id: str) -> int:
    """A platform listing is now mapped: the shop's held orders with unmapped lines of it are due."""
    lines = OrderLine.objects.filter(sku__isnull=True, goods_id=goods_id, platform_sku_id=platform_sku_id)
    return _mark(Order.objects.filter(_held(), shop_id=shop_id, id__in=lines.values("order_id")))


def mark_due_for_shop(shop_id: int) -> int:
    """The shop's review rules changed: every held order of it is due."""
    return _mark(Order.objects.filter(_held(), shop_id=shop_id))


def clear_due(order_ids: Iterable[int]) -> None:
    """These orders are being reviewed now (inside the review's transaction)."""
    review_rows.clear_due(list(order_ids))
