"""Stock alerts: which SKUs cannot cover the orders waiting for them, or will run out soon at the recent rate.

Business rules:

- Orders held for stock (``stock_insufficient``) wait for units. Stock that becomes available goes to them
  earliest ship-by first — the rule review allocates by — so, walking a SKU's waiting orders by ship-by, the first
  ones up to the available units are covered by the next review and the rest are *short*.
- A short order breaches its ship-by at that moment if nothing arrives: it cannot ship without the units. The SKU's
  "needed by" is the earliest such ship-by, and the units needed are the shortfall.
- Run-out: at the recent sales rate (units shipped over the last ``window_days``, per day), the stock left after the
  waiting orders lasts ``days_of_cover`` days; it is an alert when that is within ``horizon_days``. A SKU with no
  recent sales never runs out by rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from kuaifa.domain.shared.errors import DomainError, Text


class InvalidStockAlertRule(DomainError):
    code = "stock_alert.invalid_rule"
    template = "Stock alerts: %(reason)s"


@dataclass(frozen=True, slots=True)
class Waiting:
    """An order held for stock: its deadline and the physical units of one SKU it needs."""

    order_sn: str
    ship_by: datetime
    quantity: int


@dataclass(frozen=True, slots=True)
class WaitingVerdict:
    order_sn: str
    ship_by: datetime
    quantity: int
    covered: bool  # the available stock reaches it (earliest ship-by first)


@dataclass(frozen=True, slots=True)
class SkuAlert:
    sku: str
    available: int
    waiting_units: int
    shortfall: int
    needed_by: datetime | None  # the earliest ship-by that breaches if nothing arrives
    daily_rate: float
    days_of_cover: float | None  # None: no recent sales
    runs_out_soon: bool
    orders: tuple[WaitingVerdict, ...]


def assess_sku(
    sku: str,
    *,
    available: int,
    waiting: Iterable[Waiting],
    shipped_recently: int,
    window_days: int,
    horizon_days: float,
) -> SkuAlert | None:
    """The alert for one SKU, or None when its stock covers its waiting orders and lasts past the horizon."""
    if window_days < 1:
        raise InvalidStockAlertRule(reason=Text("the sales window must be at least one day"))
    if horizon_days < 0:
        raise InvalidStockAlertRule(reason=Text("the run-out horizon cannot be negative"))
    left = max(available, 0)
    verdicts: list[WaitingVerdict] = []
    for w in sorted(waiting, key=lambda w: (w.ship_by, w.order_sn)):
        covered = w.quantity <= left
        if covered:
            left -= w.quantity
        verdicts.append(WaitingVerdict(w.order_sn, w.ship_by, w.quantity, covered))
    demand = sum(v.quantity for v in verdicts)
    shortfall = max(demand - max(available, 0), 0)
    short = [v for v in verdicts if not v.covered]
    rate = max(shipped_recently, 0) / window_days
    after_waiting = max(available - demand, 0)
    cover = None if rate == 0 else after_waiting / rate
    soon = cover is not None and cover <= horizon_days
    if not short and not soon:
        return None
    return SkuAlert(
        sku, available, demand, shortfall, short[0].ship_by if short else None, rate, cover, soon, tuple(verdicts)
    )


def stock_alerts(
    available: Mapping[str, int],
    waiting: Mapping[str, Iterable[Waiting]],
    shipped_recently: Mapping[str, int],
    *,
    window_days: int = 7,
    horizon_days: float = 3,
) -> list[SkuAlert]:
    """Every SKU's alert, the most urgent first: short ones by the ship-by they breach, then by days of cover."""
    skus = set(available) | set(waiting)
    found = [
        alert
        for sku in sorted(skus)
        if (
            alert := assess_sku(
                sku,
                available=available.get(sku, 0),
                waiting=waiting.get(sku, ()),
                shipped_recently=shipped_recently.get(sku, 0),
                window_days=window_days,
                horizon_days=horizon_days,
            )
        )
        is not None
    ]
    return sorted(found, key=_urgency)


def _urgency(alert: SkuAlert) -> tuple[int, float, str]:
    if alert.needed_by is not None:
        return (0, alert.needed_by.timestamp(), alert.sku)
    return (1, alert.days_of_cover if alert.days_of_cover is not None else float("inf"), alert.sku)
