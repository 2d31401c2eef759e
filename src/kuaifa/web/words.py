"""The merchants' words for our codes (docs: ui.md), and the one clock read of the web edge."""

import os
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

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


# after-sales (售后): the case states and types, the events of a case's timeline, the ticket statuses — their codes
# are the msgids (as hold reasons are), so a refusal naming a state reads in Chinese too
CASE_STATES = [
    gettext_noop("REFUND_REQUESTED"), gettext_noop("RETURN_REQUESTED"), gettext_noop("EXCHANGE_REQUESTED"),
    gettext_noop("RESEND_REQUESTED"), gettext_noop("REPAIR_REQUESTED"), gettext_noop("RECALL_DUE"),
    gettext_noop("RETURN_IN_TRANSIT"), gettext_noop("RECEIVED"), gettext_noop("INSPECTED"),
    gettext_noop("INSPECTED_DAMAGED"), gettext_noop("RESTOCKED"), gettext_noop("WAITING_BUYER"),
    gettext_noop("WAITING_PLATFORM"), gettext_noop("CLOSED_REFUNDED"), gettext_noop("CLOSED_REJECTED"),
    gettext_noop("CLOSED_CANCELLED"), gettext_noop("RESOLVED"), gettext_noop("NONE"),
]  # fmt: skip
CASE_TYPES = [
    gettext_noop("refund_only"), gettext_noop("return_refund"), gettext_noop("exchange"), gettext_noop("resend"),
    gettext_noop("repair"),
]  # fmt: skip
CASE_EVENTS = [
    gettext_noop("aftersales"), gettext_noop("aftersales_decision"), gettext_noop("return_received"),
    gettext_noop("return_inspected"), gettext_noop("replacement_created"), gettext_noop("complaint_opened"),
    gettext_noop("complaint_progress"), gettext_noop("complaint_closed"), gettext_noop("intercepted"),
]  # fmt: skip
DECISIONS = [gettext_noop("agree_refund"), gettext_noop("agree_return")]
#: the things a refusal says it could not find (``No %(kind)s %(key)r.``), beyond those the CLI names
NOT_FOUND_KINDS = [gettext_noop("return parcel"), gettext_noop("complaint ticket"), gettext_noop("webhook"),
                   gettext_noop("route"), gettext_noop("alert")]  # fmt: skip
TICKET_STATUSES = [gettext_noop("open"), gettext_noop("in_progress"), gettext_noop("closed")]
ACTOR_KINDS = {"worker": _("background task"), "system": _("rule"), "platform": _("PDD"), "cli": _("command line")}
