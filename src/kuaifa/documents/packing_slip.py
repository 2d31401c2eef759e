"""The packing slip (发货单), A5 by default: what the parcel holds, and a tick box for every enclosure to put in.

The packer reads the enclosures from the slip: each SKU's own (说明书, 赠品, 气泡膜…) next to it in the item table
and again in the checklist with its SKU code, then those for the whole parcel (发票). The receiver is masked.
A slip too long for one page continues on the next with the table header repeated; every page carries the order
number and "第 n / N 页". Many slips render into one PDF, each starting on a new page.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kuaifa.documents.fonts import LATIN, cjk_font
from kuaifa.documents.layout import Column, Table, china_time, receiver_lines, wrap
from kuaifa.documents.model import PackingSlipData

MARGIN = 10 * mm
HEADER_HEIGHT = 42 * mm
FOOTER_HEIGHT = 10 * mm
CHECK_LEADING = 14


def enclosure_checklist(slip: PackingSlipData) -> list[str]:
    """Every enclosure to put in, per SKU first (``说明书（TEA-001）``), then for the whole parcel."""
    items = [f"{name}（{line.sku_code}）" for line in slip.lines for name in line.enclosures if name.strip()]
    return items + [name for name in slip.parcel_enclosures if name.strip()]


def render_packing_slips(slips: Iterable[PackingSlipData], *, page_size: tuple[float, float] = A5) -> bytes:
    """All ``slips`` in one PDF, each starting on a new page."""
    cjk_font()  # registers the embedded fonts before the canvas names one
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=page_size, invariant=True, pageCompression=1, initialFontName=LATIN)
    canvas.setTitle("发货单 Packing slips")
    canvas.setCreator("Kuaifa")
    count = 0
    for slip in slips:
        _draw_slip(canvas, slip, page_size)
        count += 1
    if count == 0:
        raise ValueError("there are no packing slips to print")
    canvas.save()
    return buffer.getvalue()


def _draw_slip(canvas: Canvas, slip: PackingSlipData, page_size: tuple[float, float]) -> None:
    font = cjk_font()
    width, height = page_size
    inner = width - 2 * MARGIN
    table = Table(
        columns=(
            Column("商品编码", 30 * mm),
            Column("名称 / 规格", inner - 30 * mm - 14 * mm - 32 * mm),
            Column("数量", 14 * mm, "right", LATIN),
            Column("附件", 32 * mm),
        ),
        font=font,
        size=9,
        leading=12,
    )
    wrapped = [
        table.wrap_row(
            [
                line.sku_code,
                " / ".join(p for p in (line.name, line.spec) if p),
                str(line.quantity),
                "、".join(line.enclosures),
            ]
        )
        for line in slip.lines
    ]
    checklist = enclosure_checklist(slip)
    memo = wrap(f"买家留言：{slip.buyer_memo}", font, 9, inner) if slip.buyer_memo else []
    tail_height = 14 + len(checklist) * CHECK_LEADING + (len(memo) * 12 + 8 if memo else 0) + 8
    body = height - 2 * MARGIN - HEADER_HEIGHT - FOOTER_HEIGHT
    pages = table.paginate(wrapped, body)
    used_on_last = table.header_height + sum(table.row_height(wrapped[i]) for i in pages[-1])
    tail_on_new_page = used_on_last + tail_height > body
    total = len(pages) + (1 if tail_on_new_page else 0)

    sns = "  ".join(slip.order_sns)
    for number in range(1, total + 1):
        top = _header(canvas, slip, font, width, height, sns)
        y = top
        if number <= len(pages):
            y = table.draw(canvas, MARGIN, top, [wrapped[i] for i in pages[number - 1]])
        if number == total:
            _tail(canvas, slip, font, checklist, memo, y - 14)
        canvas.setFont(font, 8)
        canvas.drawCentredString(width / 2, MARGIN - 2 * mm, f"第 {number} / {total} 页")
        canvas.showPage()


def _header(canvas: Canvas, slip: PackingSlipData, font: str, width: float, height: float, sns: str) -> float:
    """Title, shop, orders, carrier, receiver; returns the y where the item table starts."""
    top = height - MARGIN
    canvas.setFont(font, 16)
    canvas.drawCentredString(width / 2, top - 16, "发货单")
    canvas.setFont(font, 9)
    canvas.drawString(MARGIN, top - 16, slip.shop_name)
    if slip.created_at is not None:
        canvas.drawRightString(width - MARGIN, top - 16, china_time(slip.created_at))
    y = top - 32
    lines = wrap(f"订单号：{sns}", font, 9, width - 2 * MARGIN, max_lines=2)
    if slip.carrier_name or slip.tracking_number:
        lines.append(f"快递：{slip.carrier_name} {slip.tracking_number}".strip())
    who, where = receiver_lines(slip.receiver)
    lines.append(f"收货人：{who}")
    lines += wrap(f"地址：{where}", font, 9, width - 2 * MARGIN, max_lines=1)
    for line in lines[:6]:
        canvas.drawString(MARGIN, y, line)
        y -= 12
    return height - MARGIN - HEADER_HEIGHT


def _tail(canvas: Canvas, slip: PackingSlipData, font: str, checklist: list[str], memo: list[str], y: float) -> None:
    units = sum(line.quantity for line in slip.lines)
    canvas.setFont(font, 10)
    canvas.drawString(MARGIN, y, f"共 {len(slip.lines)} 种 {units} 件    请放入：" + ("" if checklist else "无附件"))
    canvas.setLineWidth(0.6)
    for item in checklist:
        y -= CHECK_LEADING
        canvas.rect(MARGIN + 2 * mm, y - 1, 8, 8)
        canvas.drawString(MARGIN + 2 * mm + 12, y, item)
    if memo:
        y -= 8
        canvas.setFont(font, 9)
        for line in memo:
            y -= 12
            canvas.drawString(MARGIN, y, line)
