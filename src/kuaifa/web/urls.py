from django.urls import path

from kuaifa.web.views import catalog, frame, orders, people, platform, shop_settings, shops, stock

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
    # shop settings, catalogue edit, stocktake
    path("shops/<int:shop_id>/settings/", shop_settings.shop_settings, name="shop_settings"),
    path("skus/<str:code>/", catalog.sku_edit, name="sku_edit"),
    path("stock/stocktake/", catalog.stocktake_page, name="stocktake"),
]
