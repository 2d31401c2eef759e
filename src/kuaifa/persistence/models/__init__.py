from kuaifa.persistence.models.alerts import Alert, AlertDelivery, AlertRoute, ReplyRule, ShopSlaPolicy, Webhook
from kuaifa.persistence.models.catalog import BundleComponent, PlatformSku, Shop, Sku
from kuaifa.persistence.models.complaints import ComplaintTicket
from kuaifa.persistence.models.fulfilment import (
    BoxType,
    CarrierTariff,
    DispatchScan,
    FloorRefusal,
    PackRecord,
    PrintLog,
    ReturnToStockTask,
    StationParcel,
    Wave,
    WaveOrder,
)
from kuaifa.persistence.models.inventory import Reservation, StockLevel, StockMove, Warehouse
from kuaifa.persistence.models.orders import Order, OrderCount, OrderCountDelta, OrderEvent, OrderLine
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
from kuaifa.persistence.models.sync import ImportBatch, PlatformCallFailure, QuarantinedRecord, SyncCursor
from kuaifa.persistence.models.tracking import ParcelTrace
from kuaifa.persistence.models.waybills import Waybill as Waybill  # re-exported

__all__ = [
    "AccessEvent",
    "AfterSalesCase",
    "Alert",
    "AlertDelivery",
    "AlertRoute",
    "ApiToken",
    "BoxType",
    "BundleComponent",
    "CarrierTariff",
    "ComplaintTicket",
    "DispatchScan",
    "FloorRefusal",
    "ImportBatch",
    "LogisticsCompany",
    "Membership",
    "Order",
    "OrderCount",
    "OrderCountDelta",
    "OrderEvent",
    "OrderLine",
    "OutboxEntry",
    "PackRecord",
    "ParcelTrace",
    "PlatformCallFailure",
    "PlatformSku",
    "PrintLog",
    "PushMessage",
    "QuarantinedRecord",
    "ReplyRule",
    "Reservation",
    "ReturnToStockTask",
    "Shipment",
    "Shop",
    "ShopCredential",
    "ShopSlaPolicy",
    "Sku",
    "StationParcel",
    "StockLevel",
    "StockMove",
    "SyncCursor",
    "SyncLog",
    "Warehouse",
    "Wave",
    "WaveOrder",
    "Webhook",
]
