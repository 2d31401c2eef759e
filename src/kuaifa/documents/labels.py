"""Shipping labels (面单), 100 × 180 mm, one per page, many per PDF for bulk printing.

Top to bottom: carrier name and print time; the tracking number as a Code128 barcode with the number printed
below it; the receiver, masked (name, phone, region + detailed address — see ``domain.fulfilment.masking``); the
sender; the order number(s); the contents as ``SKU × quantity``; a stub repeating the tracking number. Long
order lists and contents are cut with "…" and a count, so a label never runs off its page.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kuaifa.documents.fonts import LATIN, LATIN_BOLD, cjk_font
from kuaifa.documents.layout import china_time, receiver_lines, wrap
from kuaifa.documents.model import LabelData

PAGE_SIZE = (100 * mm, 180 * mm)
MARGIN = 4 * mm
BARCODE_MAX_WIDTH = 88 * mm
BARCODE_BAR_WIDTH = 0.38 * mm
BARCODE_HEIGHT = 16 * mm


def render_labels(labels: Iterable[LabelData]) -> bytes:
    """All ``labels`` in one PDF, one label per page, in the order given."""
    cjk_font()  # registers the embedded fonts before the canvas names one
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE_SIZE, invariant=True, pageCompression=1, initialFontName=LATIN)
    canvas.setTitle("面单 Shipping labels")
    canvas.setCreator("Kuaifa")
    count = 0
    for label in labels:
        _draw_label(canvas, label)
        canvas.showPage()
        count += 1
    if count == 0:
        raise ValueError("there are no labels to print")
    canvas.save()
    return buffer.getvalue()


def _bold(canvas: Canvas, x: float, y: float, text: str, font: str, size: float) -> None:
    """Micro Hei has no bold face: fill and stroke the glyphs."""
    obj = canvas.beginText(x, y)
    obj.setFont(font, size)
    obj.setTextRenderMode(2)
    obj.textOut(text)
    obj.setTextRenderMode(0)
    canvas.setLineWidth(size / 30)
    canvas.drawText(obj)


def _rule(canvas: Canvas, y: float, width: float = 0.8) -> None:
    canvas.setLineWidth(width)
    canvas.line(MARGIN, y, PAGE_SIZE[0] - MARGIN, y)


def _tag(canvas: Canvas, y_top: float, text: str, font: str) -> None:
    """A boxed single character (收 / 寄) in the left margin of a block."""
    canvas.setLineWidth(0.8)
    canvas.rect(MARGIN, y_top - 9 * mm, 8 * mm, 8 * mm)
    canvas.setFont(font, 16)
    canvas.drawCentredString(MARGIN + 4 * mm, y_top - 7 * mm, text)


def _draw_label(canvas: Canvas, label: LabelData) -> None:
    if not label.tracking_number:
        raise ValueError("a label needs a tracking number")
    font = cjk_font()
    width, height = PAGE_SIZE
    inner = width - 2 * MARGIN
    canvas.setLineWidth(1.2)
    canvas.rect(MARGIN / 2, MARGIN / 2, width - MARGIN, height - MARGIN)

    # carrier and print time
    _bold(canvas, MARGIN + 1 * mm, height - 12 * mm, label.carrier_name, font, 18)
    if label.printed_at is not None:
        canvas.setFont(LATIN, 7)
        canvas.drawRightString(width - MARGIN, height - 11 * mm, china_time(label.printed_at))
    _rule(canvas, height - 15 * mm)

    # tracking number: barcode, number below
    bar_width = BARCODE_BAR_WIDTH
    barcode = Code128(label.tracking_number, barWidth=bar_width, barHeight=BARCODE_HEIGHT, humanReadable=False)
    if barcode.width > BARCODE_MAX_WIDTH:
        bar_width *= BARCODE_MAX_WIDTH / barcode.width
        barcode = Code128(label.tracking_number, barWidth=bar_width, barHeight=BARCODE_HEIGHT, humanReadable=False)
    barcode.drawOn(canvas, (width - barcode.width) / 2, height - 34 * mm)
    canvas.setFont(LATIN_BOLD, 13)
    canvas.drawCentredString(width / 2, height - 39.5 * mm, label.tracking_number)
    _rule(canvas, height - 42 * mm)

    # receiver (always masked)
    text_x = MARGIN + 10 * mm
    text_width = width - MARGIN - text_x
    who, where = receiver_lines(label.receiver)
    top = height - 43 * mm
    _tag(canvas, top, "收", font)
    _bold(canvas, text_x, top - 6 * mm, who, font, 13)
    canvas.setFont(font, 11)
    y = top - 12 * mm
    for line in wrap(where, font, 11, text_width, max_lines=3):
        canvas.drawString(text_x, y, line)
        y -= 5 * mm
    _rule(canvas, height - 74 * mm)

    # sender
    top = height - 75 * mm
    _tag(canvas, top, "寄", font)
    sender = label.sender
    canvas.setFont(font, 9)
    canvas.drawString(text_x, top - 5 * mm, f"{sender.name}  {sender.phone}".strip())
    y = top - 9.5 * mm
    for line in wrap(sender.address, font, 8, text_width, max_lines=2):
        canvas.setFont(font, 8)
        canvas.drawString(text_x, y, line)
        y -= 4 * mm
    _rule(canvas, height - 91 * mm)

    # order numbers
    y = height - 96 * mm
    canvas.setFont(font, 8)
    count = len(label.order_sns)
    canvas.drawString(MARGIN + 1 * mm, y, f"订单号（{count} 单）" if count > 1 else "订单号")
    for line in wrap("  ".join(label.order_sns), LATIN, 8, inner - 2 * mm, max_lines=3):
        y -= 3.8 * mm
        canvas.setFont(LATIN, 8)
        canvas.drawString(MARGIN + 1 * mm, y, line)
    _rule(canvas, height - 113 * mm, 0.5)

    # contents
    y = height - 118 * mm
    units = sum(c.quantity for c in label.contents)
    canvas.setFont(font, 8)
    canvas.drawString(MARGIN + 1 * mm, y, f"内容（{len(label.contents)} 种 {units} 件）")
    summary = "   ".join(f"{c.sku_code}×{c.quantity}" for c in label.contents)
    for line in wrap(summary, font, 9, inner - 2 * mm, max_lines=8):
        y -= 4.2 * mm
        canvas.setFont(font, 9)
        canvas.drawString(MARGIN + 1 * mm, y, line)

    # stub
    _rule(canvas, 16 * mm, 0.5)
    canvas.setFont(font, 8)
    canvas.drawString(MARGIN + 1 * mm, 10 * mm, label.carrier_name)
    canvas.setFont(LATIN, 9)
    canvas.drawRightString(width - MARGIN - 1 * mm, 10 * mm, label.tracking_number)
