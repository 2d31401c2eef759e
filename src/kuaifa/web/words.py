"""The merchants' words for our codes (docs: ui.md), and the one clock read of the web edge."""

import os
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STATUS = {
    "NEW": _("To review"),
    "ON_HOLD": _("Held"),
    "ACCEPTED": _("Accepted (to pick)"),
    "PICKING": _("Picking"),
    "PACKED": _("Packed"),
    "SHIPPED": _("Shipped"),
    "DELIVERED": _("Delivered"),
    "CANCELLED": _("Cancelled"),
}

ROLES = {"owner": _("Owner / admin"), "service": _("Customer service"), "warehouse": _("Warehouse"),
         "finance": _("Finance")}  # fmt: skip


def now() -> datetime:
    """``KUAIFA_NOW`` (ISO 8601) pins the clock for demos and tests, as in the CLI."""
    pinned = os.environ.get("KUAIFA_NOW")
    return datetime.fromisoformat(pinned).astimezone(UTC) if pinned else timezone.now()
