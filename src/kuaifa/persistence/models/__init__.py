from kuaifa.persistence.models.catalog import BundleComponent, PlatformSku, Shop, Sku
from kuaifa.persistence.models.fulfilment import (
    BoxType,
    CarrierTariff,
    PackRecord,
    PrintLog,
    ReturnToStockTask,
    Wave,
    WaveOrder,
)
from kuaifa.persistence.models.inventory import Reservation, StockLevel, StockMove, Warehouse
from kuaifa.persistence.models.orders import Order, OrderEvent, OrderLine
from kuaifa.persistence.models.people import AccessEvent, ApiToken, Membership
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
from kuaifa.persistence.models.waybills import Waybill as Waybill  # re-exported

__all__ = [
    "AccessEvent",
    "AfterSalesCase",
    "ApiToken",
    "BoxType",
    "BundleComponent",
    "CarrierTariff",
    "ImportBatch",
    "LogisticsCompany",
    "Membership",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxEntry",
    "PackRecord",
    "PlatformSku",
    "PrintLog",
    "PushMessage",
    "Reservation",
    "ReturnToStockTask",
    "Shipment",
    "Shop",
    "ShopCredential",
    "Sku",
    "StockLevel",
    "StockMove",
    "SyncCursor",
    "SyncLog",
    "Warehouse",
    "Wave",
    "WaveOrder",
]
