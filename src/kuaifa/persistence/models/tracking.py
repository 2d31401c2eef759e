from django.db import models

from kuaifa.persistence.models.platform import Shipment


class ParcelTrace(models.Model):
    """A shipped parcel's trace as last polled: its events (normalised stages), current stage, latest event time
    and when to poll next (backing off by stage, never again once signed or returned)."""

    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, related_name="trace")
    stage = models.CharField(max_length=24, default="none")
    events = models.JSONField(default=list, blank=True)  # [{"at": iso, "stage": …, "text": …}]
    last_event_at = models.DateTimeField(null=True, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["next_poll_at"])]
