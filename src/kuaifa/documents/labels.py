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
from reportlab.lib.units import inch, mm
from reportlab.pdfgen.canvas import Canvas

from kuaifa.documents.fonts import LATIN, LATIN_BOLD, cjk_font
from kuaifa.documents.layout import TextRun, china_time, receiver_lines, wrap
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
    _frame(canvas)
    count = 0
    for label in labels:
        _draw_label(canvas, label)
        canvas.showPage()
        count += 1
    if count == 0:
        raise ValueError("there are no labels to print")
    canvas.save()
    return buffer.getvalue()


def _bold(canvas: Canvas, x: float, y: float, text: str, font: str, size: float, before: TextRun | None = None) -> None:
    """Micro Hei has no bold face: fill and stroke the glyphs (after the text put ``before``)."""
    if before is not None:
        before.flush()
    obj = canvas.beginText(x, y)
    obj.setFont(font, size)
    obj.setTextRenderMode(2)
    obj.textOut(text)
    obj.setTextRenderMode(0)
    canvas.setLineWidth(size / 30)
    canvas.drawText(obj)


FRAME = "labelFrame"
RECEIVER_TOP = 180 * mm - 43 * mm
SENDER_TOP = 180 * mm - 75 * mm


def _frame(canvas: Canvas) -> None:
    """What every label draws the same (border, rules between blocks, the boxes of 收 / 寄) as one form XObject,
    stored once and placed on each page (``doForm``) instead of written into every page's stream."""
    width, height = PAGE_SIZE
    canvas.beginForm(FRAME)
    canvas.setLineWidth(1.2)
    canvas.rect(MARGIN / 2, MARGIN / 2, width - MARGIN, height - MARGIN)
    _rule(canvas, height - 15 * mm)  # carrier | barcode
    _rule(canvas, height - 42 * mm)  # barcode | receiver
    _box(canvas, RECEIVER_TOP)
    _rule(canvas, height - 74 * mm)  # receiver | sender
    _box(canvas, SENDER_TOP)
    _rule(canvas, height - 91 * mm)  # sender | orders
    _rule(canvas, height - 113 * mm, 0.5)  # orders | contents
    _rule(canvas, 16 * mm, 0.5)  # contents | stub
    canvas.endForm()


def _rule(canvas: Canvas, y: float, width: float = 0.8) -> None:
    canvas.setLineWidth(width)
    canvas.line(MARGIN, y, PAGE_SIZE[0] - MARGIN, y)


def _box(canvas: Canvas, y_top: float) -> None:
    """The box of a block's tag (收 / 寄) in the left margin."""
    canvas.setLineWidth(0.8)
    canvas.rect(MARGIN, y_top - 9 * mm, 8 * mm, 8 * mm)


def _tag(text: TextRun, y_top: float, char: str, font: str) -> None:
    """The single character (收 / 寄) in a block's box."""
    text.put(MARGIN + 4 * mm, y_top - 7 * mm, char, font, 16, "centre")


def _quiet_zone(bar_width: float) -> float:
    """Code128's blank margin on each side, as reportlab sizes it."""
    return max(inch * 0.25, bar_width * 10.0)


def _bars(value: str) -> tuple[int, str]:
    """Code128 of ``value`` as (its width in modules, quiet zones left out; the PDF operators filling its bars in a
    space one module wide and one bar high): reportlab encodes, the bars are written here as whole numbers."""
    code = Code128(value, barWidth=1, humanReadable=False, quiet=0)
    modules = round(code.width)  # encodes it (``decomposed``): with one-unit bars and no quiet zones, in modules
    left, path = 0, []
    for char in code.decomposed:
        units = ord(char)
        if 97 <= units <= 122:  # a space of (units - 96) modules
            left += units - 96
        elif 65 <= units <= 90:  # a bar of (units - 64) modules
            path.append(f"{left} 0 {units - 64} 1 re f")
            left += units - 64
    assert left == modules
    return modules, " ".join(path)


def _barcode(canvas: Canvas, value: str, centre: float, y: float) -> None:
    """The Code128 bars of ``value``, centred on ``centre``, narrowed to fit ``BARCODE_MAX_WIDTH`` (quiet zones
    included, as reportlab counts them). The bars are where reportlab's ``drawOn`` puts them, but written in module
    units under one scaling transform instead of four formatted decimals each; each bar is still its own filled
    rectangle, which renderers snap to whole pixels as before (one path of all bars would blur their edges)."""
    modules, path = _bars(value)
    full = modules * BARCODE_BAR_WIDTH + 2 * _quiet_zone(BARCODE_BAR_WIDTH)
    bar_width = BARCODE_BAR_WIDTH
    if full > BARCODE_MAX_WIDTH:
        bar_width *= BARCODE_MAX_WIDTH / full
    canvas.saveState()
    canvas.transform(bar_width, 0, 0, BARCODE_HEIGHT, centre - modules * bar_width / 2, y)
    canvas.addLiteral(path)
    canvas.restoreState()


def _draw_label(canvas: Canvas, label: LabelData) -> None:
    if not label.tracking_number:
        raise ValueError("a label needs a tracking number")
    font = cjk_font()
    width, height = PAGE_SIZE
    inner = width - 2 * MARGIN
    text = TextRun(canvas)
    canvas.doForm(FRAME)  # border, rules and tag boxes

    # carrier and print time
    _bold(canvas, MARGIN + 1 * mm, height - 12 * mm, label.carrier_name, font, 18, text)
    if label.printed_at is not None:
        text.put(width - MARGIN, height - 11 * mm, china_time(label.printed_at), LATIN, 7, "right")

    # tracking number: barcode, number below
    _barcode(canvas, label.tracking_number, width / 2, height - 34 * mm)
    text.put(width / 2, height - 39.5 * mm, label.tracking_number, LATIN_BOLD, 13, "centre")

    # receiver (always masked)
    text_x = MARGIN + 10 * mm
    text_width = width - MARGIN - text_x
    who, where = receiver_lines(label.receiver)
    top = RECEIVER_TOP
    _tag(text, top, "收", font)
    _bold(canvas, text_x, top - 6 * mm, who, font, 13, text)
    y = top - 12 * mm
    for line in wrap(where, font, 11, text_width, max_lines=3):
        text.put(text_x, y, line, font, 11)
        y -= 5 * mm

    # sender
    top = SENDER_TOP
    _tag(text, top, "寄", font)
    sender = label.sender
    text.put(text_x, top - 5 * mm, f"{sender.name}  {sender.phone}".strip(), font, 9)
    y = top - 9.5 * mm
    for line in wrap(sender.address, font, 8, text_width, max_lines=2):
        text.put(text_x, y, line, font, 8)
        y -= 4 * mm

    # order numbers
    y = height - 96 * mm
    count = len(label.order_sns)
    text.put(MARGIN + 1 * mm, y, f"订单号（{count} 单）" if count > 1 else "订单号", font, 8)
    for line in wrap("  ".join(label.order_sns), LATIN, 8, inner - 2 * mm, max_lines=3):
        y -= 3.8 * mm
        text.put(MARGIN + 1 * mm, y, line, LATIN, 8)

    # contents
    y = height - 118 * mm
    units = sum(c.quantity for c in label.contents)
    text.put(MARGIN + 1 * mm, y, f"内容（{len(label.contents)} 种 {units} 件）", font, 8)
    summary = "   ".join(f"{c.sku_code}×{c.quantity}" for c in label.contents)
    for line in wrap(summary, font, 9, inner - 2 * mm, max_lines=8):
        y -= 4.2 * mm
        text.put(MARGIN + 1 * mm, y, line, font, 9)

    # stub
    text.put(MARGIN + 1 * mm, 10 * mm, label.carrier_name, font, 8)
    text.put(width - MARGIN - 1 * mm, 10 * mm, label.tracking_number, LATIN, 9, "right")
    text.flush()
