from django.db import models

from kuaifa.persistence.models.catalog import Shop


class SyncCursor(models.Model):
    """How far a shop's stream (orders, refunds …) has been synced; committed with the data it covers."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="cursors")
    stream = models.CharField(max_length=32)
    position = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "stream"], name="sync_cursor_unique")]


class ImportBatch(models.Model):
    """One imported file: what it was (by content digest), and what it did."""

    class Kind(models.TextChoices):
        ORDERS = "orders", "订单"
        SKUS = "skus", "商品"
        STOCK = "stock", "库存"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    shop = models.ForeignKey(Shop, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    stale = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    actor = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "file_sha256"])]
