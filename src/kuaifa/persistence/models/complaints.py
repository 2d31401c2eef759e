from django.db import models

from kuaifa.persistence.models.orders import Order
from kuaifa.persistence.models.platform import AfterSalesCase


class ComplaintTicket(models.Model):
    """A complaint (投诉工单) opened on an order: why, by whom, its after-sales cases, and where it stands.
    Every change leaves an order event (``complaint_*``): the ticket's audit trail is the order's."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        IN_PROGRESS = "in_progress", "处理中"
        CLOSED = "closed", "已关闭"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="complaints")
    reason = models.CharField(max_length=64)
    note = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_by = models.CharField(max_length=64)
    cases = models.ManyToManyField(AfterSalesCase, blank=True, related_name="complaints")
    resolution = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]
