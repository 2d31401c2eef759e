"""One whole-shop sync, the same for every caller (``kuaifa sync``, the worker's ``sync_shop`` task, the web).

Orders first, then after-sales cases, then push triggers that are due, then review of what came in. Each platform
stage stands on its own: after-sales failing (an app without that permission, PDD 20031) or pushes failing is
reported for the shop and does not stop order sync or review; order sync failing does not stop the rest either.
A token the platform refuses (revoked, or expired past refreshing) flags the shop as needing authorisation.
Every failed platform call the adapter saw, also those a retry got through, is recorded for sync health.

This module sits above :mod:`kuaifa.services.sync` and :mod:`kuaifa.services.aftersales` (which imports the window
runner from ``sync``), so the import graph has no circle.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kuaifa.domain.platform import PlatformError, SalesPlatform
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Shop
from kuaifa.services.aftersales import CaseReport, sync_cases, sync_cases_window
from kuaifa.services.push import PushReport, process_due_pushes
from kuaifa.services.review import ReviewReport, review_orders
from kuaifa.services.shop_authorization import AUTHORIZATION, mark_needs_authorization
from kuaifa.services.sync import DEFAULTS, SyncReport, SyncSettings, record_call_failures, sync_orders


@dataclass
class ShopSyncReport:
    shop: str
    orders: SyncReport
    cases: CaseReport
    pushes: PushReport
    review: ReviewReport
    errors: dict[str, PlatformError]  # stage ("clock", "orders", "refunds", "pushes") → why it stopped

    @property
    def ok(self) -> bool:
        return not self.errors


def sync_shop(
    shop: Shop, platform: SalesPlatform, *, actor: Actor, clock: Callable[[], datetime], one_window: bool = False,
    settings: SyncSettings = DEFAULTS,
) -> ShopSyncReport:  # fmt: skip
    """Catch the shop up to the platform's present (``one_window``: one window of each stream), then review.

    ``clock()`` gives the local time; each stage reads it, so a long catch-up stamps its rows as they commit.
    """
    errors: dict[str, PlatformError] = {}
    orders, cases, pushes = SyncReport(), CaseReport(), PushReport()
    try:
        platform.calibrate()  # windows must end before the platform's clock, not ours
    except PlatformError as error:
        errors["clock"] = error
    if not errors:
        try:
            orders = sync_orders(shop, platform, actor=actor, clock=clock, settings=settings,
                                 max_windows=1 if one_window else None)  # fmt: skip
        except PlatformError as error:
            errors["orders"] = error
        try:
            if one_window:
                cases = sync_cases_window(shop, platform, actor=actor, now=clock(), settings=settings) or CaseReport()
            else:
                cases = sync_cases(shop, platform, actor=actor, clock=clock, settings=settings)
        except PlatformError as error:
            errors["refunds"] = error
        try:
            pushes = process_due_pushes(shop, platform, actor=actor, now=clock())
        except PlatformError as error:
            errors["pushes"] = error
    record_call_failures(shop, platform.call_failures(), now=clock())
    if any(error.code == AUTHORIZATION for error in errors.values()):
        mark_needs_authorization(shop, now=clock())  # shown on the shops page, where the owner authorises again
    reviewed = review_orders(actor=actor, now=clock(), shop_id=shop.id)
    return ShopSyncReport(shop.name, orders, cases, pushes, reviewed, errors)
