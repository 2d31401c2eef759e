"""Stock alerts: SKUs short for the orders held waiting for them, or running out within N days at the recent sales
rate (``domain.inventory.shortage``), with the waiting orders and when they breach ship-by if nothing arrives.

``stock_alerts`` reads (a fixed handful of queries); ``raise_stock_alerts`` puts them into the alerts centre, once
per SKU, kind and China day, so the sweep can run every few minutes without repeating itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from kuaifa.domain.inventory.shortage import SkuAlert, Waiting
from kuaifa.domain.inventory.shortage import stock_alerts as find_alerts
from kuaifa.domain.orders.review import HoldReason
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.models import Alert, Order, StockLevel, StockMove
from kuaifa.persistence.queries import order_contents
from kuaifa.services import alerts


def stock_alerts(
    *, now: datetime, horizon_days: float = 3, window_days: int = 7, shop_scope: frozenset[int] = frozenset()
) -> list[SkuAlert]:
    """SKUs that cannot cover their held orders or run out within ``horizon_days``; the most urgent first.

    Stock is shared by every shop, so each SKU is assessed over every shop's orders (the shortfall is the real
    one). ``shop_scope`` (a person's shops; empty: every shop) keeps the SKUs their shops' held orders wait on or
    their shops sold in the window, each with only their shops' waiting orders."""
    available = {
        code: total
        for code, total in StockLevel.objects.filter(sku__is_bundle=False)
        .values_list("sku__code")
        .annotate(total=Sum(F("on_hand") - F("reserved")))
        .values_list("sku__code", "total")
    }
    held_rows = Order.objects.filter(status=OrderStatus.ON_HOLD).values_list(
        "id", "order_sn", "ship_by", "paid_at", "created_at", "shop__ship_by_hours", "hold_reasons", "shop_id"
    )
    mine: set[str] = set()
    held = []
    for order_id, order_sn, ship_by, paid_at, created_at, hours, reasons, shop_id in held_rows:
        if HoldReason.STOCK_INSUFFICIENT in reasons:
            held.append((order_id, order_sn, ship_by or (paid_at or created_at) + timedelta(hours=hours)))
            if shop_id in shop_scope:
                mine.add(order_sn)
    contents = order_contents([order_id for order_id, _, _ in held]) if held else {}
    waiting: dict[str, list[Waiting]] = defaultdict(list)
    for order_id, order_sn, ship_by in held:
        found = contents.get(order_id)
        for unit in found.units if found else ():
            waiting[unit.sku_code].append(Waiting(order_sn, ship_by, unit.quantity))
    shipped = dict(
        StockMove.objects.filter(kind=StockMove.Kind.SHIP, created_at__gte=now - timedelta(days=window_days))
        .values_list("stock_level__sku__code")
        .annotate(units=Sum("quantity"))
        .values_list("stock_level__sku__code", "units")
    )
    assessed = find_alerts(
        available,
        waiting,
        {code: -units for code, units in shipped.items()},
        window_days=window_days,
        horizon_days=horizon_days,
    )
    if not shop_scope:
        return assessed
    sold_here = set(
        StockMove.objects.filter(kind=StockMove.Kind.SHIP, created_at__gte=now - timedelta(days=window_days),
                                 order__shop_id__in=shop_scope)
        .values_list("stock_level__sku__code", flat=True).distinct()
    )  # fmt: skip
    kept = []
    for a in assessed:
        orders = tuple(v for v in a.orders if v.order_sn in mine)
        if orders or a.sku in sold_here:
            kept.append(replace(a, orders=orders))
    return kept


@transaction.atomic(durable=True)
def raise_stock_alerts(*, actor: Actor, now: datetime, horizon_days: float = 3, window_days: int = 7) -> list[Alert]:
    """Raise today's stock alerts that are not raised yet (one per SKU and kind per China day)."""
    day = now.astimezone(CHINA).strftime("%Y%m%d")
    specs = []
    with translation.override("zh-hans"):
        for a in stock_alerts(now=now, horizon_days=horizon_days, window_days=window_days):
            if a.shortfall:
                needed = a.needed_by.astimezone(CHINA).strftime("%m-%d %H:%M") if a.needed_by else "—"
                short = [v.order_sn for v in a.orders if not v.covered]
                specs.append(
                    alerts.AlertSpec(
                        key=f"stock:short:{a.sku}:{day}",
                        kind="stock",
                        severity="warning",
                        title=_("SKU %(sku)s is %(units)s short for held orders, needed by %(needed)s")
                        % {"sku": a.sku, "units": a.shortfall, "needed": needed},
                        body=_("Waiting orders: %(orders)s") % {"orders": ", ".join(short[:20])},
                        details={"sku": a.sku, "shortfall": a.shortfall, "orders": short},
                    )
                )
            elif a.runs_out_soon:
                specs.append(
                    alerts.AlertSpec(
                        key=f"stock:runout:{a.sku}:{day}",
                        kind="stock",
                        severity="info",
                        title=_("SKU %(sku)s runs out in %(days)s day(s) at the recent sales rate")
                        % {"sku": a.sku, "days": f"{a.days_of_cover:.1f}"},
                        details={"sku": a.sku, "daily_rate": a.daily_rate, "days_of_cover": a.days_of_cover},
                    )
                )
    return alerts.record(specs, actor=actor, now=now)
