"""How things look to a person: yuan, China time, aligned tables, and the explain page.

Columns are measured in terminal cells (``rich.cells.cell_len``): a Chinese character takes two, so a table of
Chinese names, statuses and reasons lines up the way ``str.ljust`` cannot.
"""

from collections.abc import Sequence
from datetime import datetime

from django.utils.translation import gettext as _
from rich.cells import cell_len

from kuaifa.domain.shared.money import fen_to_yuan
from kuaifa.domain.sla.deadlines import CHINA


def money(fen: int) -> str:
    return f"¥{fen_to_yuan(fen)}"


def show_time(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else "—"


def time_left(deadline: datetime | None, moment: datetime) -> tuple[int | None, str]:
    """Minutes left before a deadline and how to show them (剩余 2天3小时, or 已超时 5小时)."""
    if deadline is None:
        return None, "—"
    minutes = int((deadline - moment).total_seconds() // 60)
    days, rest = divmod(abs(minutes), 24 * 60)
    if days:
        span = _("%(d)sd %(h)sh") % {"d": days, "h": rest // 60}
    else:
        span = _("%(h)sh %(m)sm") % {"h": rest // 60, "m": rest % 60}
    if minutes < 0:
        return minutes, _("overdue %(span)s") % {"span": span}
    return minutes, _("%(span)s left") % {"span": span}


def rate_sources(found) -> list[str]:
    """One line per carrier rate used in a choice: measured from N parcels, or typed by the merchant."""
    lines = []
    for code, rate in sorted(found.on_time_sources.items()):
        if rate.measured:
            text = _("%(carrier)s on-time %(pct)s%%: measured from %(n)s traced parcel(s) to this province")
            lines.append(text % {"carrier": code, "pct": rate.percent, "n": rate.parcels})
        else:
            text = _("%(carrier)s on-time %(pct)s%%: typed in the tariff sheet (too few traced parcels)")
            lines.append(text % {"carrier": code, "pct": rate.percent})
    return lines


def pad(text: object, width: int, align: str = "<") -> str:
    """``text`` filled with spaces to ``width`` terminal cells (left ``<`` or right ``>``); longer text is kept."""
    text = str(text)
    fill = " " * max(0, width - cell_len(text))
    return fill + text if align == ">" else text + fill


def table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> list[str]:
    """Lines of a plain table: each column as wide as its widest cell, two spaces between columns.

    ``align`` holds one ``<`` or ``>`` per column (default: all left); the last column is not padded.
    """
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(cell_len(row[i]) for row in cells) for i in range(len(header))]
    align = align or "<" * len(header)
    last = len(header) - 1
    return [
        "  ".join(
            (c if i == last and align[i] == "<" else pad(c, widths[i], align[i])) for i, c in enumerate(row)
        ).rstrip()
        for row in cells
    ]


def explanation_lines(found) -> list[str]:
    order = found.order
    held = f"  {_('held for')}: {', '.join(_(r) for r in order.hold_reasons)}" if order.hold_reasons else ""
    t = {key: _(key) for key in ("Order", "status", "Ship by", "Asia/Shanghai", "risk", "Paid", "Receiver")}
    out = [
        f"{t['Order']} {order.order_sn} ({order.shop.name})  {t['status']}: {_(order.status)}{held}",
        f"{t['Ship by']}: {show_time(order.ship_by)} ({t['Asia/Shanghai']})  {t['risk']}: {_(found.risk)}",
        f"{t['Paid']}: {money(order.pay_amount)}  {t['Receiver']}: {order.province} {order.city} "
        f"{order.receiver_name_mask or '—'} {order.receiver_phone_mask or ''}",
        "",
        _("Rules (in evaluation order):"),
    ]
    for v in found.verdicts:
        mark = {True: "✓", False: "✗", None: "·"}[v.passed]
        note = _("mandatory") if v.mandatory else (_("enabled") if v.enabled else _("disabled"))
        out.append(f"  {mark} {pad(_(v.code), 20)} [{note}] {v.detail}")
    out += ["", _("Lines:")]
    w = {
        key: _(key)
        for key in ("(unmapped)", "reserved", "on hand", "reserved by others", "orders due no later", "in bundle")
    }
    for line in found.lines:
        out.append(
            f"  {pad(line.sku_code or w['(unmapped)'], 14)} ×{line.quantity}"
            f"  {w['reserved']} {line.reserved_for_this_order}"
            f"  {w['on hand']} {line.on_hand}  {w['reserved by others']} {line.reserved_by_others}"
            f" ({line.earlier_orders_holding} {w['orders due no later']})  {line.goods_name}"
            + (f" [{w['in bundle']} {line.bundle}]" if line.bundle else "")
        )
    out += ["", _("History:")]
    for e in found.events:
        move = f"{_(e.from_status) if e.from_status else '∅'} → {_(e.to_status)}" if e.to_status else ""
        out.append(f"  {show_time(e.created_at)}  {pad(_(e.kind), 16)} {pad(move, 22)} {e.actor}  {e.details or ''}")
    return out
