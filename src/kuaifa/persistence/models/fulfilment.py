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

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="members", db_index=False)
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

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="pack_records", db_index=False)
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

    An e-waybill (``e_waybill``) is printed by the platform's print component, which reports each document's result
    (``notifyPrintResult``): ``status`` is then ``success`` or ``failed`` with the component's ``message``, on
    ``printer``, for the waybill ``waybill_code`` in task ``task_id``. Documents Kuaifa renders itself are ``printed``.
    """

    class Kind(models.TextChoices):
        LABEL = "label", "面单"
        PICK_LIST = "pick_list", "拣货单"
        PACKING_SLIP = "packing_slip", "发货单"
        E_WAYBILL = "e_waybill", "电子面单"

    class Status(models.TextChoices):
        PRINTED = "printed", "已打印"
        SUCCESS = "success", "打印成功"
        FAILED = "failed", "打印失败"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    wave = models.ForeignKey(Wave, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reprint = models.BooleanField(default=False)
    actor = models.CharField(max_length=64)
    at = models.DateTimeField()
    # database defaults: the label service inserts its rows in bulk naming only the columns above
    status = models.CharField(max_length=16, choices=Status.choices, db_default=Status.PRINTED)
    printer = models.CharField(max_length=128, blank=True, db_default="")
    station = models.CharField(max_length=32, blank=True, db_default="")
    task_id = models.CharField(max_length=64, blank=True, db_default="")
    document_id = models.CharField(max_length=64, blank=True, db_default="")
    waybill_code = models.CharField(max_length=64, blank=True, db_default="")
    message = models.CharField(max_length=200, blank=True, db_default="")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(order__isnull=False) | models.Q(wave__isnull=False), name="print_log_has_subject"
            ),
            models.UniqueConstraint(
                fields=["task_id", "document_id"], condition=models.Q(kind="e_waybill"), name="print_result_once"
            ),
        ]
        indexes = [models.Index(fields=["kind", "order"]), models.Index(fields=["kind", "wave"])]


class StationParcel(models.Model):
    """A parcel open at a packing station (打包台): the units scanned so far, one accepted scan at a time.

    A station has at most one open parcel and an order is open at one station at most. Only accepted scans are kept
    (a refused scan leaves the row as it was and goes to :class:`FloorRefusal`); ``packed`` once the packing service
    sealed it, ``closed`` when the packer put it aside unpacked.
    """

    class State(models.TextChoices):
        OPEN = "open", "打包中"
        PACKED = "packed", "已打包"
        CLOSED = "closed", "已放下"

    station = models.CharField(max_length=32)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    scans = models.JSONField(default=list, blank=True)  # accepted barcodes, in scan order (bundles expanded)
    enclosures = models.JSONField(default=list, blank=True)  # confirmed enclosure names ("SKU:name" when ambiguous)
    #: what the parcel holds, read once when it opened (units, enclosures, wave slot, suggested box); sealing
    #: verifies against the order as it is then
    snapshot = models.JSONField(default=dict, blank=True)
    actor = models.CharField(max_length=64)
    opened_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station"], condition=models.Q(state="open"), name="station_one_open"),
            models.UniqueConstraint(fields=["order"], condition=models.Q(state="open"), name="order_open_once"),
        ]


class FloorRefusal(models.Model):
    """A scan the floor refused (wrong unit at the packing station, intercepted or unpacked parcel at dispatch):
    what was scanned, by whom, and the reason shown. Recording it is all a refusal changes."""

    class Where(models.TextChoices):
        PACK = "pack", "打包验货"
        DISPATCH = "dispatch", "出库扫描"

    where = models.CharField(max_length=16, choices=Where.choices)
    station = models.CharField(max_length=32, blank=True, default="")
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    barcode = models.CharField(max_length=128)
    code = models.CharField(max_length=64)
    reason = models.CharField(max_length=300)
    actor = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["at"])]


class DispatchScan(models.Model):
    """A parcel handed to the courier (出库扫描): scanned once, shipped once — the order is unique here."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="+")
    carrier_code = models.CharField(max_length=32)
    waybill_code = models.CharField(max_length=64)
    actor = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["at", "carrier_code"])]


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
