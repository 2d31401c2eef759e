"""What every page's frame shows: the navigation a role may see, in the order of the day, with count badges."""

import functools
from types import MappingProxyType

from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from kuaifa.domain.access import Perm, allows
from kuaifa.persistence import queries_web
from kuaifa.web.access import member
from kuaifa.web.words import now

# (section, [(label, url name, permission, badge)]) — only pages that exist are listed
NAVIGATION = [
    (_("Orders"), [
        (_("All orders"), "orders", Perm.ORDERS_VIEW, ""),
        (_("To review"), "orders_new", Perm.ORDERS_VIEW, "new"),
        (_("Held orders"), "holds", Perm.ORDERS_VIEW, "held"),
        (_("Manual orders"), "manual_order", Perm.ORDERS_CREATE, ""),
    ]),
    (_("Stock"), [
        (_("SKUs"), "skus", Perm.CATALOG_VIEW, ""),
        (_("Stock levels"), "stock", Perm.STOCK_VIEW, ""),
        (_("SKU mapping"), "mapping", Perm.CATALOG_MAP, "unmapped"),
        (_("Import files"), "upload", Perm.IMPORTS_RUN, ""),
        (_("Stocktake"), "stocktake", Perm.STOCK_CHANGE, ""),
    ]),
    (_("Warnings"), [
        (_("Ship-by warnings"), "sla_queue", Perm.SLA_VIEW, ""),
        (_("Stalled parcels"), "stalled", Perm.TRACKING_VIEW, ""),
        (_("Stock warnings"), "stock_alerts", Perm.STOCK_ALERTS_VIEW, ""),
        (_("Alert records"), "alerts", Perm.ALERTS_VIEW, "alerts"),
        (_("Alert webhooks"), "alert_settings", Perm.ALERTS_SETTINGS, ""),
    ]),
    (_("Customer service"), [(_("Auto-reply"), "replies", Perm.REPLIES_USE, "")]),
    (_("Data"), [(_("Dashboard"), "dashboard", Perm.DASHBOARD_VIEW, "")]),
    (_("Settings"), [
        (_("Shops and authorisation"), "shops", Perm.SHOPS_MANAGE, ""),
        (_("People and roles"), "people", Perm.PEOPLE_MANAGE, ""),
        (_("Sync status"), "health", Perm.PLATFORM_VIEW, "outbox_failed"),
    ]),
]  # fmt: skip

# after-sales (售后), after the warehouse in the order of the day
NAVIGATION.insert(1, (_("After-sales"), [
    (_("After-sales cases"), "aftersales", Perm.AFTERSALES_VIEW, "aftersales"),
    (_("Returns in"), "aftersales_returns", Perm.AFTERSALES_RETURNS, ""),
    (_("Complaint tickets"), "complaints", Perm.COMPLAINTS_VIEW, "complaints"),
]))  # fmt: skip

# the warehouse floor (仓库), second in the order of the day
NAVIGATION.insert(1, (_("Warehouse"), [
    (_("Waves"), "waves", Perm.FLOOR_VIEW, ""),
    (_("Packing station"), "station", Perm.FLOOR_PACK, ""),
    (_("Print and ship"), "printing", Perm.FLOOR_PRINT, ""),
    (_("Scan to ship"), "dispatch", Perm.FLOOR_DISPATCH, ""),
    (_("Returns and exceptions"), "floor_exceptions", Perm.FLOOR_VIEW, ""),
]))  # fmt: skip


def _badges(me) -> dict[str, int]:
    return queries_web.badge_counts(  # one statement, whatever the role sees
        me.shop_scope,
        unmapped=me.can(Perm.CATALOG_MAP),
        outbox=me.can(Perm.PLATFORM_VIEW),
        alerts=me.can(Perm.ALERTS_VIEW),
        aftersales=me.can(Perm.AFTERSALES_VIEW),
        complaints=me.can(Perm.COMPLAINTS_VIEW),
    )


@functools.lru_cache(maxsize=64)
def _frame(role: str | None, language: str | None, prefix: str) -> tuple[tuple, MappingProxyType]:
    """What a role's frame shows in one language whatever the page: the sections with each visible item's label,
    address, badge and name, and the role's permissions by name — worked out once, not on every page (the
    navigation's ~30 addresses and labels were a fifth of a page's time). ``prefix``: the script prefix the
    addresses carry."""
    can = MappingProxyType({p.name.lower(): allows(role, p) for p in Perm})  # shared by every page: read-only
    sections = []
    for section, items in NAVIGATION:
        visible = tuple(
            (str(label), reverse(name), badge, name) for label, name, perm, badge in items if allows(role, perm)
        )
        if visible:
            sections.append((str(section), visible))
    return tuple(sections), can


def workbench(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    countdown = {
        "left": gettext("%(h)sh %(m)sm left"),
        "overdue": gettext("overdue %(h)sh %(m)sm"),
        "now": int(now().timestamp()),
    }  # the server's clock: the page counts on from it
    me = member(request)
    badges = _badges(me)
    current = request.resolver_match.url_name if request.resolver_match else ""
    sections, can = _frame(me.role, get_language(), get_script_prefix())
    nav = [
        {"label": section, "items": [{"label": label, "url": url, "badge": badges.get(badge, 0),
                                      "active": name == current} for label, url, badge, name in items]}
        for section, items in sections
    ]  # fmt: skip
    return {
        "me": me,
        "countdown": countdown,
        "can": can,
        "nav": nav,
        "shops": queries_web.shops(me.shop_scope),
        "current_shop": request.session.get("shop_id"),
    }
