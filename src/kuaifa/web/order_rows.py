"""The order lists' rows as the page shows them, worked out in one pass before rendering.

A list page shows 50 orders; each row's link, amount, ship-by countdown and colour, Beijing time, status and reason
words used to be computed by template tags and filters cell by cell (about twenty template nodes a row, the largest
share of the page's time). Here each row becomes a plain dict of display strings (a dict: the template's first
lookup, ``row[name]``, finds it), made by the same functions the tags use, so the words and colours cannot drift;
the template only places them.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.urls import reverse

from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.queries_web import OrderRow
from kuaifa.web.templatetags.kuaifa import fen, reason_label, status_label, urgency

_MARK = 987654321


def _beijing(when: datetime | None, this_year: int) -> str:
    """As the ``bj`` filter: ``11-21 12:00``, with the year only when it is not this year (in Beijing)."""
    if when is None:
        return ""
    local = when.astimezone(CHINA)
    return local.strftime("%m-%d %H:%M" if local.year == this_year else "%Y-%m-%d %H:%M")


def shown(rows: Iterable[OrderRow], now: datetime) -> list[dict[str, Any]]:
    """Each row's cells: ``url``, ``amount``, ``urgency`` (css, text, deadline), ``ship_by`` text, ``status`` and
    ``reasons`` in the merchants' words, ``items`` joined; the order's own fields as read."""
    prefix, _, suffix = reverse("order_detail", args=[_MARK]).partition(str(_MARK))  # one reverse for the page
    this_year = now.astimezone(CHINA).year
    labels: dict[str, str] = {}  # status and reason words, looked up once per page
    out = []
    for row in rows:
        if row.status not in labels:
            labels[row.status] = status_label(row.status)
        for reason in row.hold_reasons:
            if "reason:" + reason not in labels:
                labels["reason:" + reason] = reason_label(reason)
        out.append(
            {
                "id": row.id,
                "order_sn": row.order_sn,
                "shop__name": row.shop__name,
                "receiver": f"{row.receiver_name_mask} {row.province}",
                "items": ", ".join(row.items),
                "url": f"{prefix}{row.id}{suffix}",
                "amount": fen(row.pay_amount),
                "urgency": urgency(row, now),
                "ship_by": _beijing(row.ship_by, this_year),
                "status": labels[row.status],
                "reasons": [labels["reason:" + reason] for reason in row.hold_reasons],
            }
        )
    return out
