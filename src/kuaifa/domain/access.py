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
    CATALOG_EDIT = "catalog.edit"  # a SKU's name, spec, barcode, weight, bin, enclosures
    WAVES_CREATE = "waves.create"  # group accepted orders into pick waves
    ORDERS_SHIP = "orders.ship"  # record a parcel (carrier + tracking number) and upload it


_ORDERS_READ = {Perm.ORDERS_VIEW}

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
            Perm.CATALOG_EDIT,
            Perm.WAVES_CREATE,
            Perm.ORDERS_SHIP,
        }
    ),
    Role.FINANCE: frozenset(
        {Perm.DASHBOARD_VIEW, *_ORDERS_READ, Perm.ORDERS_EXPORT, Perm.STOCK_VIEW, Perm.CATALOG_VIEW, Perm.PLATFORM_VIEW}
    ),
}

#: where each role starts its day
LANDING: dict[Role, str] = {
    Role.OWNER: "dashboard",
    Role.SERVICE: "orders",
    Role.WAREHOUSE: "stock",
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
