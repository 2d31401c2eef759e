from django.db import models

from kuaifa.persistence.models.orders import Order


class BoxType(models.Model):
    """A carton in the merchant's packing-material catalogue (纸箱), and how many are on the shelf.

    Box choice takes the smallest box in stock that the items are shown to fit (``domain.fulfilment.boxes``):
    inner dimensions in mm, the load it may carry, its own (tare) weight for the weight check, its price in fen.
    Every sealed parcel uses one box: ``stock`` falls by one per pack and the database refuses to go below zero.
    """

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64, blank=True, default="")
    length_mm = models.PositiveIntegerField()
    width_mm = models.PositiveIntegerField()
    height_mm = models.PositiveIntegerField()
    max_load_g = models.PositiveIntegerField()
    weight_g = models.PositiveIntegerField(default=0)
    price_fen = models.BigIntegerField(default=0)
    stock = models.IntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="box_stock_not_negative"),
            models.CheckConstraint(
                condition=models.Q(length_mm__gt=0, width_mm__gt=0, height_mm__gt=0, max_load_g__gt=0),
                name="box_dimensions_positive",
            ),
            models.CheckConstraint(condition=models.Q(price_fen__gte=0), name="box_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.code


class Wave(models.Model):
    """A wave (波次): accepted orders grouped for one picking walk, most urgent first, by the rule in ``rule``.

    ``open`` while its orders are being picked; ``picked`` once packing has started on it (the walk is over);
    ``closed`` when none of its orders is left to pack. Only an open or picked wave holds its orders: see WaveOrder.
    """

    class State(models.TextChoices):
        OPEN = "open", "拣货中"
        PICKED = "picked", "已拣货"
        CLOSED = "closed", "已完成"

    code = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField()
    rule = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return self.code


class WaveOrder(models.Model):
    """An order's place in a wave: its slot (分拣格) on the sorting wall, 1..n in urgency order.

    An order is in at most one wave that is not closed: ``active`` mirrors "the wave is not closed" so the database
    itself refuses a second one. Removing an order (cancelled, held) deletes its row: the slot is free, the pick list
    no longer counts its units, the other orders keep their slots.
    """

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="members")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="wave_memberships")
    slot = models.PositiveIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "order"], name="wave_order_unique"),
            models.UniqueConstraint(fields=["wave", "slot"], name="wave_slot_unique"),
            models.UniqueConstraint(fields=["order"], condition=models.Q(active=True), name="order_in_one_open_wave"),
            models.CheckConstraint(condition=models.Q(slot__gt=0), name="wave_slot_positive"),
        ]


class PackRecord(models.Model):
    """How a parcel was sealed at the pack station (验货打包): what was scanned, which enclosures were confirmed,
    the box, and the weight check. Written only when every unit and enclosure was verified; a weight outside the
    tolerance is recorded only when a person overrode it (``forced``)."""

    class Verdict(models.TextChoices):
        OK = "ok", "重量正常"
        TOO_LIGHT = "too_light", "偏轻"
        TOO_HEAVY = "too_heavy", "偏重"
        NOT_WEIGHED = "not_weighed", "未称重"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="pack_records")
    box_type = models.ForeignKey(BoxType, on_delete=models.PROTECT, related_name="+")
    expected_g = models.PositiveIntegerField()
    measured_g = models.PositiveIntegerField(null=True, blank=True)
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    forced = models.BooleanField(default=False)
    scans = models.JSONField(default=list, blank=True)
    enclosures = models.JSONField(default=list, blank=True)
    actor = models.CharField(max_length=64)
    packed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["order", "packed_at"])]


class PrintLog(models.Model):
    """Every printed document: a label or packing slip per order, a pick list per wave.

    A second print of the same document is a reprint (补打): it is marked, so a label printed twice — two parcels
    with one tracking number — can be found.
    """

    class Kind(models.TextChoices):
        LABEL = "label", "面单"
        PICK_LIST = "pick_list", "拣货单"
        PACKING_SLIP = "packing_slip", "发货单"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    wave = models.ForeignKey(Wave, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reprint = models.BooleanField(default=False)
    actor = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(order__isnull=False) | models.Q(wave__isnull=False), name="print_log_has_subject"
            ),
        ]
        indexes = [models.Index(fields=["kind", "order"]), models.Index(fields=["kind", "wave"])]


class ReturnToStockTask(models.Model):
    """Goods picked or packed for an order that was then held or cancelled (拦截): someone must put them back on
    the shelf. Stock counts are already right (reservations were released; nothing shipped); this is the physical
    step, listed until a person marks it done."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="return_tasks")
    from_status = models.CharField(max_length=16)
    reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=models.Q(done_at__isnull=True), name="one_open_return_task_per_order"
            )
        ]


class CarrierTariff(models.Model):
    """The merchant's price with a carrier for a group of destination provinces (首重 + 续重), and how often that
    carrier delivers there on time. Carrier choice reads these rows; an empty province list is the catch-all."""

    carrier_code = models.CharField(max_length=16)
    provinces = models.JSONField(default=list, blank=True)
    first_weight_g = models.PositiveIntegerField()
    first_fee = models.BigIntegerField()  # fen
    step_weight_g = models.PositiveIntegerField()
    step_fee = models.BigIntegerField()  # fen
    max_weight_g = models.PositiveIntegerField(null=True, blank=True)
    on_time_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField()
