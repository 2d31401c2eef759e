from django.urls import path

from kuaifa.web.views import (
    alerts,
    catalog,
    frame,
    orders,
    people,
    platform,
    replies,
    shop_settings,
    shops,
    sla,
    stock,
    tracking,
)

urlpatterns = [
    path("", frame.home, name="home"),
    path("login/", frame.login, name="login"),
    path("logout/", frame.logout, name="logout"),
    path("forbidden/", frame.forbidden_page, name="forbidden"),
    path("language/", frame.language, name="language"),
    path("shop/", frame.shop_switch, name="shop_switch"),
    path("orders/", orders.order_list, name="orders"),
    path("orders/new/", orders.orders_to_review, name="orders_new"),
    path("orders/bulk/", orders.bulk, name="orders_bulk"),
    path("orders/holds/", orders.holds, name="holds"),
    path("orders/manual/", orders.manual_order, name="manual_order"),
    path("orders/<int:order_id>/", orders.order_detail, name="order_detail"),
    path("orders/<int:order_id>/reveal/", orders.reveal, name="order_reveal"),
    path("orders/<int:order_id>/reissue/", orders.reissue, name="order_reissue"),
    path("skus/", stock.sku_list, name="skus"),
    path("stock/", stock.stock_levels, name="stock"),
    path("stock/change/", stock.stock_change, name="stock_change"),
    path("stock/<int:level_id>/ledger/", stock.ledger, name="ledger"),
    path("mapping/", stock.mapping, name="mapping"),
    path("mapping/map/", stock.map_sku, name="map_sku"),
    path("upload/", stock.upload, name="upload"),
    path("dashboard/", platform.dashboard, name="dashboard"),
    path("health/", platform.health, name="health"),
    path("health/sync/", platform.sync_now, name="sync_now"),
    path("health/retry/", platform.retry_outbox, name="retry_outbox"),
    path("people/", people.people, name="people"),
    path("shops/", shops.shops, name="shops"),
    path("shops/authorise/", shops.authorise, name="shop_authorise"),
    path("shops/callback/", shops.callback, name="shop_callback"),
    path("alerts/sla/", sla.queue, name="sla_queue"),
    path("alerts/sla/waves/", sla.waves, name="sla_waves"),
    path("alerts/stock/", sla.shortages, name="stock_alerts"),
    path("alerts/stalled/", tracking.stalled, name="stalled"),
    path("alerts/", alerts.alert_list, name="alerts"),
    path("alerts/ack/", alerts.ack, name="alert_ack"),
    path("alerts/settings/", alerts.settings, name="alert_settings"),
    path("alerts/settings/webhooks/<int:webhook_id>/edit/", alerts.webhook_edit, name="webhook_edit"),
    path("alerts/settings/webhooks/<int:webhook_id>/pause/", alerts.webhook_pause, name="webhook_pause"),
    path("alerts/settings/webhooks/<int:webhook_id>/resume/", alerts.webhook_resume, name="webhook_resume"),
    path("alerts/settings/routes/<int:route_id>/delete/", alerts.route_delete, name="route_delete"),
    path("replies/", replies.replies, name="replies"),
    path("replies/rules/", replies.add_reply_rule, name="reply_rule_add"),
    path("replies/dry-run/", replies.dry_run_upload, name="reply_dry_run"),
    # shop settings, catalogue edit, stocktake
    path("shops/<int:shop_id>/settings/", shop_settings.shop_settings, name="shop_settings"),
    path("skus/<path:code>/", catalog.sku_edit, name="sku_edit"),  # merchant codes may hold a slash: A/B-01
    path("stock/stocktake/", catalog.stocktake_page, name="stocktake"),
]

# the warehouse floor (仓库)
from kuaifa.web.views import floor  # noqa: E402

urlpatterns += [
    path("floor/waves/", floor.waves, name="waves"),
    path("floor/waves/create/", floor.wave_create, name="wave_create"),
    path("floor/waves/pick-list/", floor.pick_list, name="pick_list"),
    path("floor/waves/remove/", floor.wave_remove, name="wave_remove"),
    path("floor/waves/close/", floor.wave_close, name="wave_close"),
    path("floor/station/", floor.station, name="station"),
    path("floor/station/scan/", floor.station_scan, name="station_scan"),
    path("floor/station/seal/", floor.station_seal, name="station_seal"),
    path("floor/station/aside/", floor.station_aside, name="station_aside"),
    path("floor/station/next/", floor.station_next, name="station_next"),
    path("floor/print/", floor.printing, name="printing"),
    path("floor/print/take/", floor.take_waybills, name="take_waybills"),
    path("floor/print/jobs/", floor.print_jobs, name="print_jobs"),
    path("floor/print/results/", floor.print_results, name="print_results"),
    path("floor/print/own-labels/", floor.own_labels, name="own_labels"),
    path("floor/dispatch/", floor.dispatch, name="dispatch"),
    path("floor/dispatch/scan/", floor.dispatch_scan_view, name="dispatch_scan"),
    path("floor/exceptions/", floor.exceptions, name="floor_exceptions"),
    path("floor/returns/done/", floor.return_done, name="return_done"),
]

# after-sales (售后): the case queue, a case and its actions, returns scanned in, complaint tickets
from kuaifa.web.views import aftersales, complaints  # noqa: E402

urlpatterns += [
    path("aftersales/", aftersales.queue, name="aftersales"),
    path("aftersales/<int:case_id>/", aftersales.case_page, name="aftersales_case"),
    path("aftersales/<int:case_id>/agree-refund/", aftersales.agree_refund, name="aftersales_agree_refund"),
    path("aftersales/<int:case_id>/agree-return/", aftersales.agree_return, name="aftersales_agree_return"),
    path("aftersales/<int:case_id>/inspect/", aftersales.inspect_case, name="aftersales_inspect"),
    path("aftersales/<int:case_id>/replace/", aftersales.replace, name="aftersales_replace"),
    path("aftersales/returns/", aftersales.returns, name="aftersales_returns"),
    path("aftersales/returns/scan/", aftersales.receive, name="aftersales_receive"),
    path("complaints/", complaints.complaint_list, name="complaints"),
    path("complaints/<int:ticket_id>/", complaints.ticket_page, name="complaint"),
    path("complaints/<int:ticket_id>/move/", complaints.move, name="complaint_move"),
    path("orders/<int:order_id>/complaint/", complaints.open_on_order, name="complaint_open"),
]
