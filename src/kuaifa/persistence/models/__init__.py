from kuaifa.persistence.models.catalog import BundleComponent, PlatformSku, Shop, Sku
from kuaifa.persistence.models.inventory import Reservation, StockLevel, StockMove, Warehouse
from kuaifa.persistence.models.orders import Order, OrderEvent, OrderLine
from kuaifa.persistence.models.platform import (
    AfterSalesCase,
    LogisticsCompany,
    OutboxEntry,
    PushMessage,
    Shipment,
    ShopCredential,
    SyncLog,
)
from kuaifa.persistence.models.sync import ImportBatch, SyncCursor

__all__ = [
    "AfterSalesCase",
    "BundleComponent",
    "ImportBatch",
    "LogisticsCompany",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxEntry",
    "PlatformSku",
    "PushMessage",
    "Reservation",
    "Shipment",
    "Shop",
    "ShopCredential",
    "Sku",
    "StockLevel",
    "StockMove",
    "SyncCursor",
    "SyncLog",
    "Warehouse",
]
