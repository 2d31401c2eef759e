from django.db import models

from kuaifa.persistence.models.catalog import Shop
from kuaifa.persistence.models.orders import Order


class ShopCredential(models.Model):
    """A shop's open-platform app credentials and tokens, encrypted at rest (see persistence.secrets)."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="credential")
    gateway_url = models.CharField(max_length=255)
    client_id = models.CharField(max_length=128)
    client_secret = models.TextField()  # sealed
    access_token = models.TextField(blank=True, default="")  # sealed
    refresh_token = models.TextField(blank=True, default="")  # sealed
    access_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    needs_authorization = models.BooleanField(default=False)
    #: the platform's id of the shop the tokens are for (PDD ``owner_id``): authorising again must be the same shop
    owner_id = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField()


class SyncLog(models.Model):
    """One synced window of one stream, written in the same transaction as the data and the cursor it covers;
    or one failure. Sync health (lag, errors by code, rate-limit hits) is read from these rows."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sync_logs", db_index=False)
    stream = models.CharField(max_length=32)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=32, blank=True, default="")
    error = models.TextField(blank=True, default="")
    rate_limited = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["shop", "stream", "created_at"])]


class PushMessage(models.Model):
    """A platform push (PMC) — a trigger, never the source of truth. Duplicates of a message not yet handled are
    one row (unique on shop, topic and business key while pending); the order is fetched after ``fetch_after``."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="push_messages")
    topic = models.CharField(max_length=64)
    business_key = models.CharField(max_length=64)
    order_sn = models.CharField(max_length=64)
    message_id = models.CharField(max_length=32)
    received_at = models.DateTimeField()
    fetch_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    handled_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "topic", "business_key"],
                condition=models.Q(handled_at__isnull=True),
                name="push_pending_unique",
            )
        ]
        indexes = [models.Index(fields=["handled_at", "fetch_after"])]


class LogisticsCompany(models.Model):
    """The platform's carrier catalogue (pdd.logistics.companies.get): ids to ship with, codes for waybills."""

    platform = models.CharField(max_length=16, default="pdd")
    platform_id = models.IntegerField()
    name = models.CharField(max_length=64)
    code = models.CharField(max_length=32, blank=True, default="")
    available = models.BooleanField(default=True)
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "platform_id"], name="logistics_company_unique")]


class Shipment(models.Model):
    """A parcel handed to a carrier for one order (merged parcels: one shipment per order, same tracking number).

    One tracking number serves one order per carrier unless the orders were merged; an order has at most one
    primary shipment (later parcels are extra). ``upload_state`` follows the outbox entry that tells the platform.
    """

    class Upload(models.TextChoices):
        PENDING = "pending", "待上传"
        DONE = "done", "已上传"
        FAILED = "failed", "上传失败"
        NOT_NEEDED = "not_needed", "无需上传"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments", db_index=False)
    logistics_id = models.IntegerField()
    tracking_number = models.CharField(max_length=64)
    is_primary = models.BooleanField(default=True)
    upload_state = models.CharField(max_length=16, choices=Upload.choices, default=Upload.PENDING)
    shipped_at = models.DateTimeField()
    uploaded_at = models.DateTimeField(null=True, blank=True)
    actor = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(is_primary=True), name="one_primary_shipment_per_order"
            ),
            models.UniqueConstraint(fields=["order", "logistics_id", "tracking_number"], name="shipment_unique"),
        ]
        indexes = [models.Index(fields=["logistics_id", "tracking_number"])]


class OutboxEntry(models.Model):
    """A call owed to a platform (ship confirmation, refund agreement …), retried until acknowledged.

    ``key`` makes it idempotent: the same business call is queued once. A worker claims an entry with a
    conditional UPDATE (so two workers never send it at once); a claim older than its lease may be taken again,
    which is safe because every call is idempotent on the platform side or recognised as already done.
    """

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENDING = "sending", "发送中"
        DONE = "done", "已完成"
        FAILED = "failed", "需人工处理"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="outbox")
    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "next_attempt_at"])]


class AfterSalesCase(models.Model):
    """A platform after-sales case (售后) as last synced, with our decision trail kept in events."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="aftersales_cases", db_index=False)
    after_sales_id = models.CharField(max_length=64)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="aftersales")
    order_sn = models.CharField(max_length=64)
    case_type = models.CharField(max_length=16)
    platform_status = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=32)
    refund_amount = models.BigIntegerField(default=0)
    refunded_amount = models.BigIntegerField(default=0)  # recorded once per case: never paid twice
    reason = models.CharField(max_length=255, blank=True, default="")
    outer_id = models.CharField(max_length=64, blank=True, default="")
    quantity = models.PositiveIntegerField(default=0)
    return_tracking_number = models.CharField(max_length=64, blank=True, default="")
    return_shipping_name = models.CharField(max_length=64, blank=True, default="")
    expire_time = models.DateTimeField(null=True, blank=True)
    platform_created_at = models.DateTimeField(null=True, blank=True)
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    fingerprint = models.CharField(max_length=32, blank=True, default="")
    # our warehouse's part, kept whatever the platform says next: each is done once per case
    received_at = models.DateTimeField(null=True, blank=True)  # the return parcel scanned in
    restocked_units = models.PositiveIntegerField(default=0)  # back on the shelf (return moves)
    damaged_units = models.PositiveIntegerField(default=0)  # written off as damaged (damaged moves)
    reissue_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="reissued_for"
    )  # the outbound parcel of an exchange or resend
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "after_sales_id"], name="aftersales_case_unique")]
        indexes = [models.Index(fields=["state", "expire_time"])]
