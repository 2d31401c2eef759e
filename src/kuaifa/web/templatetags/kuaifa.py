"""Display filters: money in yuan, Beijing time, statuses and reasons in the merchants' words, urgency."""

from collections.abc import Mapping
from datetime import datetime

from django import template
from django.utils.translation import gettext

from kuaifa.domain.sla.deadlines import CHINA, Risk, risk_level
from kuaifa.web.words import ROLES, STATUS

register = template.Library()

PLATFORM_HOLDS = {"platform_risk", "ship_hold"}
DONE = {"SHIPPED", "DELIVERED", "CANCELLED"}


@register.filter
def fen(amount: int | None) -> str:
    """``6800`` → ``¥68.00``; negative amounts keep their sign."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    yuan, cents = divmod(abs(int(amount)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


@register.filter
def bj(when: datetime | None, now: datetime | None = None) -> str:
    """Beijing time as ``11-21 12:00``; the year only when it is not this year."""
    if when is None:
        return ""
    local = when.astimezone(CHINA)
    this_year = (now or when).astimezone(CHINA).year
    return local.strftime("%m-%d %H:%M" if local.year == this_year else "%Y-%m-%d %H:%M")


@register.filter
def status_label(code: str) -> str:
    return str(STATUS.get(code, code))


@register.filter
def reason_label(code: str) -> str:
    return gettext(code)


@register.filter
def role_label(code: str) -> str:
    return str(ROLES.get(code, code))


def countdown_text(seconds: int) -> str:
    minutes = abs(seconds) // 60
    parts = {"h": minutes // 60, "m": minutes % 60}
    return gettext("overdue %(h)sh %(m)sm") % parts if seconds <= 0 else gettext("%(h)sh %(m)sm left") % parts


def _field(row, name: str):
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


@register.simple_tag
def urgency(row, now: datetime) -> dict:
    """Colour class and words for an order's ship-by: overdue red, ≤ 6 h orange, ≤ 24 h amber; platform holds grey.
    ``row``: a mapping or a row with attributes (``ship_by``, ``status``, ``hold_reasons``)."""
    ship_by = _field(row, "ship_by")
    if ship_by is None or _field(row, "status") in DONE:
        return {"css": "u-none", "text": "", "deadline": ""}
    if set(_field(row, "hold_reasons") or ()) & PLATFORM_HOLDS:
        css = "u-platform"
    else:
        css = {Risk.OVERDUE: "u-overdue", Risk.URGENT: "u-urgent", Risk.DUE_SOON: "u-soon"}.get(
            risk_level(ship_by, now), "u-ok"
        )
    return {"css": css, "text": countdown_text(int((ship_by - now).total_seconds())),
            "deadline": int(ship_by.timestamp())}  # fmt: skip
