"""Who may do what: the one table of roles and their permissions. Anything not listed is refused.

A merchant's team has four roles. The owner (店主/管理员) may do everything; 客服 answers buyers and handles
orders and after-sales; 仓库 moves stock and ships; 财务 reads numbers and exports. A member may also be scoped
to some shops and warehouses; that scope narrows what the role allows, it never widens it.
"""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    SERVICE = "service"
    WAREHOUSE = "warehouse"
    FINANCE = "finance"


class Perm(StrEnum):
    DASHBOARD_VIEW = "dashboard.view"
    ORDERS_VIEW = "orders.view"
    ORDERS_REVIEW = "orders.review"
    ORDERS_HOLD = "orders.hold"  # hold, release
    ORDERS_CANCEL = "orders.cancel"
    ORDERS_CREATE = "orders.create"  # manual orders
    ORDERS_EXPORT = "orders.export"
    ORDERS_REVEAL_ADDRESS = "orders.reveal_address"
    STOCK_VIEW = "stock.view"
    STOCK_CHANGE = "stock.change"  # receive, adjust
    CATALOG_VIEW = "catalog.view"
    CATALOG_MAP = "catalog.map"
    IMPORTS_RUN = "imports.run"
    PLATFORM_VIEW = "platform.view"
    PLATFORM_OPERATE = "platform.operate"  # sync now, retry uploads
    PEOPLE_MANAGE = "people.manage"
    SHOPS_MANAGE = "shops.manage"  # connect shops (授权)
    SLA_VIEW = "sla.view"  # 发货超时预警: the at-risk queue
    SLA_WAVES = "sla.waves"  # create waves in the suggested dispatch order
    STOCK_ALERTS_VIEW = "stock_alerts.view"  # 缺货预警
    ALERTS_VIEW = "alerts.view"  # 告警记录
    ALERTS_ACK = "alerts.ack"
    ALERTS_SETTINGS = "alerts.settings"  # chat-robot webhooks and routes
    TRACKING_VIEW = "tracking.view"  # 物流异常: stalled parcels, delay notices
    REPLIES_USE = "replies.use"  # 智能客服: try a message, dry-run past messages
    REPLIES_MANAGE = "replies.manage"  # add reply rules
    # the warehouse floor (仓库)
    FLOOR_VIEW = "floor.view"  # waves, dispatch progress, exceptions, return-to-stock tasks
    FLOOR_WAVES = "floor.waves"  # create waves, pick lists, take an order out, close a wave
    FLOOR_PACK = "floor.pack"  # the packing station
    FLOOR_PRINT = "floor.print"  # take e-waybills (取号) and print labels
    FLOOR_DISPATCH = "floor.dispatch"  # scan-to-ship, return-to-stock done
    CATALOG_EDIT = "catalog.edit"  # a SKU's name, spec, barcode, weight, bin, enclosures
    WAVES_CREATE = "waves.create"  # group accepted orders into pick waves
    ORDERS_SHIP = "orders.ship"  # record a parcel (carrier + tracking number) and upload it
    # after-sales (售后)
    AFTERSALES_VIEW = "aftersales.view"  # 售后单: the queue by the platform's deadline, a case and its timeline
    AFTERSALES_DECIDE = "aftersales.decide"  # agree to refund or to a return, create an exchange's replacement
    AFTERSALES_RETURNS = "aftersales.returns"  # 退货入库: scan a return parcel in, inspect it (ok or damaged)
    COMPLAINTS_VIEW = "complaints.view"  # 投诉工单
    COMPLAINTS_MANAGE = "complaints.manage"  # open, move on, close a ticket


_ORDERS_READ = {Perm.ORDERS_VIEW}
_AFTERSALES = {Perm.AFTERSALES_VIEW, Perm.AFTERSALES_DECIDE, Perm.AFTERSALES_RETURNS}
_FLOOR = {Perm.FLOOR_VIEW, Perm.FLOOR_WAVES, Perm.FLOOR_PACK, Perm.FLOOR_PRINT, Perm.FLOOR_DISPATCH}

PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.OWNER: frozenset(Perm),
    Role.SERVICE: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            *_ORDERS_READ,
            Perm.ORDERS_REVIEW,
            Perm.ORDERS_HOLD,
            Perm.ORDERS_CANCEL,
            Perm.ORDERS_CREATE,
            Perm.ORDERS_REVEAL_ADDRESS,
            Perm.CATALOG_VIEW,
            Perm.CATALOG_MAP,
            Perm.STOCK_VIEW,
            Perm.ALERTS_VIEW,
            Perm.ALERTS_ACK,
            Perm.TRACKING_VIEW,
            Perm.REPLIES_USE,
            Perm.REPLIES_MANAGE,
            *_AFTERSALES,
            Perm.COMPLAINTS_VIEW,
            Perm.COMPLAINTS_MANAGE,
        }
    ),
    Role.WAREHOUSE: frozenset(
        {
            *_ORDERS_READ,
            Perm.ORDERS_HOLD,
            Perm.STOCK_VIEW,
            Perm.STOCK_CHANGE,
            Perm.CATALOG_VIEW,
            Perm.CATALOG_MAP,
            Perm.IMPORTS_RUN,
            Perm.SLA_VIEW,
            Perm.SLA_WAVES,
            Perm.STOCK_ALERTS_VIEW,
            *_FLOOR,
            Perm.CATALOG_EDIT,
            Perm.WAVES_CREATE,
            Perm.ORDERS_SHIP,
            Perm.AFTERSALES_RETURNS,
        }
    ),
    Role.FINANCE: frozenset(
        {
            Perm.DASHBOARD_VIEW,
            *_ORDERS_READ,
            Perm.ORDERS_EXPORT,
            Perm.STOCK_VIEW,
            Perm.CATALOG_VIEW,
            Perm.PLATFORM_VIEW,
            Perm.AFTERSALES_VIEW,  # the refunds: amounts asked and paid, read only
        }
    ),
}

#: where each role starts its day
LANDING: dict[Role, str] = {
    Role.OWNER: "dashboard",
    Role.SERVICE: "aftersales",  # 售后单 (docs: ui.md)
    Role.WAREHOUSE: "waves",  # 波次拣货 (docs: ui.md)
    Role.FINANCE: "dashboard",
}


def allows(role: str | None, permission: str) -> bool:
    """Deny by default: an unknown role, or a permission not in the role's set, is refused."""
    try:
        return Perm(permission) in PERMISSIONS.get(Role(role or ""), frozenset())
    except ValueError:
        return False


def in_scope(scoped_ids: frozenset[int], target_id: int | None) -> bool:
    """An empty scope means every shop (or warehouse); otherwise the target must be in it."""
    return not scoped_ids or target_id in scoped_ids
