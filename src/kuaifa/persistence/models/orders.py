from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models.catalog import Shop, Sku

if TYPE_CHECKING:
    from kuaifa.domain.orders.canonical import Receiver


class Order(models.Model):
    """One platform order (or a manual / reissue order), unique per shop and order number.

    ``status`` is ours; the platform's three axes and flags are kept beside it as the platform sent them.
    Money is integer fen. The receiver is stored as the platform gave it: ciphertext and masks, never decrypted here;
    plaintext only for manual orders. ``version`` rises with every change for optimistic concurrency.
    """

    class Source(models.TextChoices):
        API = "api", "开放平台"
        EXPORT = "export", "导出文件"
        MANUAL = "manual", "手工单"
        REISSUE = "reissue", "补发单"

    # no index of its own: (shop, order_sn) and (shop, status) lead with it, and every index is written again by
    # each status change (a wave moves 10,000 orders in one UPDATE; docs/performance.md, "Fulfilment")
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders", db_index=False)
    order_sn = models.CharField(max_length=64)
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=[(s.value, s.value) for s in OrderStatus])
    hold_reasons = models.JSONField(default=list, blank=True)
    waived_reasons = models.JSONField(default=list, blank=True)
    reissue_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )  # indexed below where set only

    # the platform's axes and flags
    order_status = models.PositiveSmallIntegerField(default=1)
    refund_status = models.PositiveSmallIntegerField(default=1)
    after_sales_status = models.PositiveSmallIntegerField(default=0)
    confirm_status = models.PositiveSmallIntegerField(default=1)
    risk_control_status = models.PositiveSmallIntegerField(default=0)
    ship_hold = models.BooleanField(default=False)
    is_pre_sale = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)

    # money, fen
    goods_amount = models.BigIntegerField(default=0)
    discount_amount = models.BigIntegerField(default=0)
    platform_discount = models.BigIntegerField(default=0)
    seller_discount = models.BigIntegerField(default=0)
    postage = models.BigIntegerField(default=0)
    pay_amount = models.BigIntegerField(default=0)

    # receiver: region in plain text; name / phone / address as the platform gave them
    province = models.CharField(max_length=32, blank=True, default="")
    city = models.CharField(max_length=32, blank=True, default="")
    town = models.CharField(max_length=32, blank=True, default="")
    receiver_name = models.TextField(blank=True, default="")
    receiver_phone = models.TextField(blank=True, default="")
    receiver_address = models.TextField(blank=True, default="")
    receiver_name_mask = models.CharField(max_length=64, blank=True, default="")
    receiver_phone_mask = models.CharField(max_length=32, blank=True, default="")
    receiver_address_mask = models.CharField(max_length=255, blank=True, default="")
    receiver_is_plaintext = models.BooleanField(default=False)
    open_address_id = models.CharField(max_length=128, blank=True, default="")

    buyer_memo = models.TextField(blank=True, default="")
    remark = models.TextField(blank=True, default="")
    logistics_id = models.IntegerField(default=0)
    tracking_number = models.CharField(max_length=64, blank=True, default="")

    # time, aware UTC
    created_on_platform = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    pre_sale_time = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    ship_by = models.DateTimeField(null=True, blank=True)
    platform_updated_at = models.DateTimeField(null=True, blank=True)
    fingerprint = models.CharField(max_length=32, blank=True, default="")

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    #: held, and something that held it has changed since: review takes it again (see services.review_due)
    review_due = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "order_sn"], name="order_unique_per_shop")]
        indexes = [
            models.Index(fields=["status", "ship_by"]),
            models.Index(fields=["shop", "status"]),
            models.Index(fields=["status", "ship_by"], condition=models.Q(review_due=True), name="order_review_due"),
            # the workbench: the urgency-ordered list, today's orders and today's shipped on the dashboard
            models.Index(fields=["ship_by", "id"], name="order_urgency"),
            models.Index(fields=["created_at"], name="order_created"),
            # partial: most orders are not shipped or not reissues, and a status change then writes no entry in these
            models.Index(fields=["shipped_at"], name="order_shipped", condition=models.Q(shipped_at__isnull=False)),
            models.Index(fields=["reissue_of"], name="order_reissue_of", condition=models.Q(reissue_of__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.order_sn

    def receiver(self) -> Receiver:
        """The receiver as the platform gave it (ciphertext and masks, or plaintext for manual orders)."""
        from kuaifa.domain.orders.canonical import Receiver  # on use: the model layer starts without the intake types

        return Receiver(
            province=self.province, city=self.city, town=self.town, name=self.receiver_name,
            phone=self.receiver_phone, address=self.receiver_address, name_mask=self.receiver_name_mask,
            phone_mask=self.receiver_phone_mask, address_mask=self.receiver_address_mask,
            open_address_id=self.open_address_id, is_plaintext=self.receiver_is_plaintext,
        )  # fmt: skip


class OrderLine(models.Model):
    """One item line as the platform sold it (a snapshot), mapped to our SKU when we can."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    goods_id = models.CharField(max_length=64, blank=True, default="")
    platform_sku_id = models.CharField(max_length=64, blank=True, default="")
    outer_id = models.CharField(max_length=64, blank=True, default="")
    goods_name = models.CharField(max_length=255, blank=True, default="")
    goods_spec = models.CharField(max_length=255, blank=True, default="")
    quantity = models.PositiveIntegerField()
    unit_price = models.BigIntegerField(default=0)


class OrderEvent(models.Model):
    """The audit trail: who (a user, a rule, the platform), when, what, from → to, with details.

    Written in the same transaction as the change it records, never edited.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True, default="")
    to_status = models.CharField(max_length=16, blank=True, default="")
    actor = models.CharField(max_length=64)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["order", "created_at"])]


class OrderCount(models.Model):
    """Orders counted for the dashboard and the badges, kept by the database itself (see ``order_counts.py``).

    Triggers on ``kuaifa_order`` append signed deltas to ``OrderCountDelta`` in the transaction of every write,
    whoever writes: +1 for what a written row counts under, -1 for what it no longer does. The worker folds the
    deltas into these sums, one row per (kind, key, day, shop). The true count is this row's ``n`` plus its deltas:

    - ``status`` / order status: orders by the China day they came in and status;
    - ``shipped`` / ``on_time`` or ``late``: orders by shipping day, shipped by their ship-by or after it;
    - ``held`` / hold reason: held orders by the day they came in and reason (two reasons count under both; none =
      manual).
    """

    shop_id = models.BigIntegerField()  # no foreign key: written by triggers, emptied with the orders in tests
    day = models.DateField()
    kind = models.CharField(max_length=8)
    key = models.CharField(max_length=32)
    n = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key", "day", "shop_id"], name="ordercount_unique")]


class OrderCountDelta(models.Model):
    """A change to an ``OrderCount`` written by the triggers, not yet folded; no index but the id, so the writes
    that change orders pay one row append each."""

    shop_id = models.BigIntegerField()
    day = models.DateField()
    kind = models.CharField(max_length=8)
    key = models.CharField(max_length=32)
    n = models.IntegerField()
