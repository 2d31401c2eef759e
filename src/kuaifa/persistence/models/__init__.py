from kuaifa.persistence.models.catalog import BundleComponent, PlatformSku, Shop, Sku
from kuaifa.persistence.models.inventory import Reservation, StockLevel, StockMove, Warehouse
from kuaifa.persistence.models.orders import Order, OrderEvent, OrderLine
from kuaifa.persistence.models.sync import ImportBatch, SyncCursor

__all__ = [
    "BundleComponent",
    "ImportBatch",
    "Order",
    "OrderEvent",
    "OrderLine",
    "PlatformSku",
    "Reservation",
    "Shop",
    "Sku",
    "StockLevel",
    "StockMove",
    "SyncCursor",
    "Warehouse",
]
