from django.db import models


class Shop(models.Model):
    """A storefront on a sales platform. Its review rules and ship-by promise apply to every order it brings."""

    class Platform(models.TextChoices):
        PDD = "pdd", "拼多多"
        MANUAL = "manual", "手工"

    name = models.CharField(max_length=64, unique=True)
    platform = models.CharField(max_length=16, choices=Platform.choices, default=Platform.PDD)
    platform_shop_id = models.CharField(max_length=64, blank=True, default="")  # PDD mall id (push messages)
    ship_by_hours = models.PositiveIntegerField(default=48)
    review_rules = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    # The ship-from contact and address (寄件人) of e-waybills and labels; empty until `kuaifa shop set-sender`.
    sender_name = models.CharField(max_length=64, blank=True, default="")
    sender_mobile = models.CharField(max_length=20, blank=True, default="")
    sender_province = models.CharField(max_length=32, blank=True, default="")
    sender_city = models.CharField(max_length=32, blank=True, default="")
    sender_district = models.CharField(max_length=32, blank=True, default="")
    sender_detail = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return self.name


class Sku(models.Model):
    """A stock-keeping unit, identified by the merchant's code (商家编码 / outer_id).

    ``incomplete`` marks SKUs created automatically from an order file: the merchant should fill in barcode,
    weight and location before the warehouse relies on them. A bundle (组合装) has components and no stock of its own.
    """

    code = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True, default="")
    spec = models.CharField(max_length=200, blank=True, default="")
    barcode = models.CharField(max_length=64, blank=True, default="")
    weight_g = models.PositiveIntegerField(default=0)
    length_mm = models.PositiveIntegerField(default=0)
    width_mm = models.PositiveIntegerField(default=0)
    height_mm = models.PositiveIntegerField(default=0)
    bin_location = models.CharField(max_length=32, blank=True, default="")
    enclosures = models.JSONField(default=list, blank=True)
    is_bundle = models.BooleanField(default=False)
    incomplete = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.code


class BundleComponent(models.Model):
    """One component of a bundle SKU: selling one bundle consumes ``quantity`` of ``component``."""

    bundle = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="components", db_index=False)
    component = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bundle", "component"], name="bundle_component_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="bundle_component_quantity_positive"),
        ]


class PlatformSku(models.Model):
    """Maps a platform listing (goods_id + sku_id / 样式ID) to our SKU, for lines without a merchant code."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="platform_skus", db_index=False)
    goods_id = models.CharField(max_length=64)
    platform_sku_id = models.CharField(max_length=64)
    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="platform_skus")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "goods_id", "platform_sku_id"], name="platform_sku_unique"),
        ]
