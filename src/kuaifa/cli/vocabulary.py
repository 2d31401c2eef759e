"""Words that reach people through a variable (codes, statuses, error templates), listed so that translation
catalogues know them. ``gettext_noop`` marks them; the edges call ``gettext`` on the value at display time."""

from django.utils.translation import gettext_noop

HOLD_REASONS = [
    gettext_noop("platform_risk"),
    gettext_noop("ship_hold"),
    gettext_noop("after_sales_open"),
    gettext_noop("sku_unmapped"),
    gettext_noop("address_incomplete"),
    gettext_noop("amount_anomaly"),
    gettext_noop("buyer_memo"),
    gettext_noop("stock_insufficient"),
    gettext_noop("manual"),
    gettext_noop("bundle_invalid"),
    gettext_noop("data_invalid"),
]
RISK_LEVELS = [gettext_noop("ok"), gettext_noop("due_soon"), gettext_noop("urgent"), gettext_noop("overdue")]
ACTIONS = [gettext_noop("hold"), gettext_noop("release"), gettext_noop("cancel")]
ERROR_TEMPLATES = [
    gettext_noop("Error"),
    gettext_noop("The operation was refused."),
    gettext_noop("%(value)r is not a valid amount of money in yuan (at most two decimal places)."),
    gettext_noop("Order %(order_sn)s cannot go from %(current)s to %(target)s."),
    gettext_noop("Review rule %(rule)s: %(reason)s"),
    gettext_noop("No %(kind)s %(key)r."),
    gettext_noop("%(field)s: %(reason)s"),
    gettext_noop("SKU %(sku)s in %(warehouse)s: %(on_hand)s on hand would be fewer than the %(reserved)s reserved."),
    gettext_noop("Order %(order_sn)s: %(reason)s"),
    gettext_noop(
        "Bundle %(cycle)s contains itself: a bundle cannot contain itself, directly or through other bundles."
    ),
    gettext_noop("Bundle %(path)s nests more than %(limit)s bundles deep."),
    gettext_noop(
        "SKU %(sku)s has %(on_hand)s unit(s) on hand and %(reserved)s reserved: it cannot become a bundle, which "
        "holds no stock of its own. Move its stock out first, or give the bundle a new code."
    ),
    gettext_noop(
        "Order %(order_sn)s does not fit box %(box)s (%(failure)s). Choose another box, or give the reason to "
        "use it anyway (--box-override-reason)."
    ),
    gettext_noop("Wave %(wave)s has no order left to pick: no pick list was printed and the wave stays as it was."),
    gettext_noop("%(carrier)s is not a carrier id or code in the catalogue (kuaifa carriers lists them)."),
    gettext_noop(
        "%(tracking)s for %(carrier)s: %(reason)s Check it; if it is right, ship it again confirmed "
        "(--confirm-weak-tracking; confirm_weak_tracking in the API)."
    ),
    gettext_noop("%(file)s was not imported: %(n)s problem(s). Fix them, or use --skip-invalid."),
    gettext_noop("Dry run, nothing changed: "),
    gettext_noop(
        "%(rows)s rows, %(orders)s orders: %(created)s created, %(updated)s updated, "
        "%(unchanged)s unchanged, %(stale)s older than what we hold."
    ),
    gettext_noop("SKUs: %(created)s created, %(updated)s updated, %(unchanged)s unchanged."),
]
LABELS = [
    gettext_noop("Order"),
    gettext_noop("status"),
    gettext_noop("held for"),
    gettext_noop("Ship by"),
    gettext_noop("Asia/Shanghai"),
    gettext_noop("risk"),
    gettext_noop("Paid"),
    gettext_noop("Receiver"),
    gettext_noop("(unmapped)"),
    gettext_noop("reserved"),
    gettext_noop("on hand"),
    gettext_noop("reserved by others"),
    gettext_noop("orders due no later"),
    gettext_noop("in bundle"),
    gettext_noop("SKU"),
    gettext_noop("Warehouse"),
    gettext_noop("On hand"),
    gettext_noop("Reserved"),
    gettext_noop("Available"),
]
STATUSES = [
    gettext_noop("NEW"),
    gettext_noop("ON_HOLD"),
    gettext_noop("ACCEPTED"),
    gettext_noop("PICKING"),
    gettext_noop("PACKED"),
    gettext_noop("SHIPPED"),
    gettext_noop("DELIVERED"),
    gettext_noop("COMPLETED"),
    gettext_noop("CANCELLED"),
]
EVENT_KINDS = [
    gettext_noop("order"),
    gettext_noop("reviewed"),
    gettext_noop("held"),
    gettext_noop("released"),
    gettext_noop("cancelled"),
    gettext_noop("platform_updated"),
    gettext_noop("status_changed"),
    gettext_noop("stock_unaccounted"),
    gettext_noop("wave"),
    gettext_noop("wave_removed"),
    gettext_noop("picked_single"),
    gettext_noop("packed"),
    gettext_noop("shipped"),
    gettext_noop("extra_parcels"),
    gettext_noop("shipment_corrected"),
    gettext_noop("aftersales"),
    gettext_noop("aftersales_decision"),
    gettext_noop("waybill_issued"),
    gettext_noop("waybill_cancelled"),
    gettext_noop("waybill_used"),
]
#: what a refusal names (``NotFound(kind=…)``, ``InvalidInput(field=…)``); translated when the sentence is shown
THINGS = [
    gettext_noop("SKU"),
    gettext_noop("after-sales case"),
    gettext_noop("box type"),
    gettext_noop("order"),
    gettext_noop("platform credentials for shop"),
    gettext_noop("return-to-stock task"),
    gettext_noop("shop"),
    gettext_noop("slot"),
    gettext_noop("wave"),
    gettext_noop("carrier"),
    gettext_noop("code"),
    gettext_noop("file"),
    gettext_noop("kind"),
    gettext_noop("lines"),
    gettext_noop("name"),
    gettext_noop("order_sn"),
    gettext_noop("orders"),
    gettext_noop("parcels"),
    gettext_noop("platform"),
    gettext_noop("quantity"),
    gettext_noop("sku"),
    gettext_noop("stock"),
    gettext_noop("tariffs"),
    gettext_noop("task"),
    gettext_noop("tracking_number"),
    gettext_noop("weight"),
    gettext_noop("case"),
    gettext_noop("after_sales_id"),
]
