from django.db import models

from kuaifa.persistence.models.catalog import Sku


class Warehouse(models.Model):
    """A place stock is kept. Allocation draws from warehouses in ``priority`` order (lowest first)."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    priority = models.PositiveIntegerField(default=100)

    def __str__(self) -> str:
        return self.code


class StockLevel(models.Model):
    """Units of one SKU in one warehouse. available = on_hand − reserved.

    The database itself refuses ``reserved > on_hand`` or negatives: the last line of defence against overselling.
    ``on_hand`` always equals the sum of this level's StockMoves; ``reserved`` the sum of its open Reservations.
    """

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="levels", db_index=False)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "sku"], name="stock_level_unique"),
            models.CheckConstraint(condition=models.Q(reserved__gte=0), name="stock_reserved_not_negative"),
            models.CheckConstraint(condition=models.Q(on_hand__gte=models.F("reserved")), name="stock_never_oversold"),
        ]


class StockMove(models.Model):
    """The append-only ledger of physical stock: every change of ``on_hand`` is one row, never edited.

    Reservations are not moves: they do not change what is on the shelf, and the Reservation table is their ledger.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "入库"
        ADJUSTMENT = "adjustment", "调整"
        STOCKTAKE = "stocktake", "盘点"
        SHIP = "ship", "出库"
        RETURN = "return", "退货入库"
        DAMAGED = "damaged", "残次报损"  # a returned unit inspected as damaged: out of sellable stock

    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="moves")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    quantity = models.IntegerField()  # signed change of on_hand
    on_hand_after = models.IntegerField()
    order = models.ForeignKey("kuaifa.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True, default="")
    actor = models.CharField(max_length=64)
    created_at = models.DateTimeField()


class Reservation(models.Model):
    """Units of a stock level promised to one order line. Open until the parcel ships (consumed) or the order is
    cancelled or held (released)."""

    class State(models.TextChoices):
        OPEN = "open", "占用中"
        RELEASED = "released", "已释放"
        CONSUMED = "consumed", "已出库"

    order = models.ForeignKey("kuaifa.Order", on_delete=models.PROTECT, related_name="reservations", db_index=False)
    line = models.ForeignKey("kuaifa.OrderLine", on_delete=models.PROTECT, related_name="reservations")
    stock_level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="reservations", db_index=False)
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["stock_level", "state"]), models.Index(fields=["order", "state"])]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="reservation_quantity_positive")]
