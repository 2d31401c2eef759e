from django.db import models

from kuaifa.persistence.models.catalog import Shop


class SyncCursor(models.Model):
    """How far a shop's stream (orders, refunds …) has been synced; committed with the data it covers."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="cursors", db_index=False)
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


class QuarantinedRecord(models.Model):
    """A platform record (an order, an after-sales case) that could not be mapped, kept raw with its reason so it
    is never dropped: listed, retried after a fix, resolved when it (or a newer copy of it) maps."""

    class Stream(models.TextChoices):
        ORDERS = "orders", "订单"
        REFUNDS = "refunds", "售后"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="quarantined", db_index=False)
    stream = models.CharField(max_length=16, choices=Stream.choices)
    platform_key = models.CharField(max_length=64)  # order_sn, after-sales id, or a digest of the record
    raw = models.JSONField()
    reason_code = models.CharField(max_length=64)
    reason = models.TextField()
    source = models.CharField(max_length=16)  # sync | backfill | push | retry
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "stream", "platform_key"],
                condition=models.Q(resolved_at__isnull=True),
                name="quarantine_open_unique",
            )
        ]
        indexes = [models.Index(fields=["shop", "resolved_at"])]


class PlatformCallFailure(models.Model):
    """One failed platform call, also when a retry or a token refresh then got through: sync health counts them
    by API and code (rate limits among them)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="call_failures", db_index=False)
    api = models.CharField(max_length=64)
    code = models.CharField(max_length=32)
    message = models.TextField(blank=True, default="")
    retried = models.BooleanField()
    rate_limited = models.BooleanField()
    occurred_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["shop", "occurred_at"])]
