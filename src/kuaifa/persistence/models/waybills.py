from django.db import models

from kuaifa.persistence.models.orders import Order


class Waybill(models.Model):
    """An e-waybill number (电子面单) taken from the platform for an order and a carrier.

    ``carrier_code`` is the code the waybill was taken with (``wp_code``); ``logistics_id`` the carrier's numeric id
    the shipment is uploaded with. ``issued`` while it may be printed and shipped with; ``used`` once the order
    shipped with it; ``cancelled`` when it was given back to the platform (the number is not reused). A number is
    unique per carrier, and an order holds at most one waybill that is not cancelled.
    """

    class State(models.TextChoices):
        ISSUED = "issued", "已取号"
        USED = "used", "已发货"
        CANCELLED = "cancelled", "已取消"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="waybills", db_index=False)
    carrier_code = models.CharField(max_length=32)
    logistics_id = models.IntegerField()
    waybill_code = models.CharField(max_length=64)
    #: the platform's encrypted cloud-print payload, handed unchanged to its print component (never decrypted here)
    print_data = models.TextField(blank=True, default="", db_default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ISSUED)
    issued_at = models.DateTimeField()
    actor = models.CharField(max_length=64)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["carrier_code", "waybill_code"], name="waybill_unique_per_carrier"),
            models.UniqueConstraint(
                fields=["order"], condition=~models.Q(state="cancelled"), name="order_one_live_waybill"
            ),
        ]
        indexes = [models.Index(fields=["order", "state"])]

    def __str__(self) -> str:
        return f"{self.carrier_code} {self.waybill_code}"
