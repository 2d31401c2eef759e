"""Page layout shared by the renderers: line wrapping for mixed Chinese/Latin text, paginated tables, China time,
and the masked receiver block.

Chinese has no spaces, so lines may break between any two Chinese characters; a run of Latin letters and digits
(an order number, a SKU code) is kept whole unless it is wider than the line by itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from kuaifa.documents.fonts import cjk_font
from kuaifa.documents.model import Receiver
from kuaifa.domain.fulfilment.masking import mask_address, mask_name, mask_phone
from kuaifa.domain.sla.deadlines import CHINA

_TOKENS = re.compile(r"[\x21-\x7e×]+\s*|\s+|.")


@lru_cache(maxsize=256)
def china_time(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` in Asia/Shanghai; a naive datetime is refused rather than guessed. Remembered: a batch
    of labels prints the same moment on every page."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("document times must be timezone-aware")
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def wrap(text: str, font: str, size: float, width: float, *, max_lines: int | None = None) -> list[str]:
    """Greedy line breaking to ``width`` points; with ``max_lines`` the last kept line ends in "…" if cut."""
    cjk_font()  # the fonts are measured, so they must be registered
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        if stringWidth(paragraph, font, size) <= width:  # fits whole: what the breaking below would keep of it
            lines.append(paragraph.strip())
            continue
        line, used = "", 0.0
        for token in _TOKENS.findall(paragraph):
            if not line and not token.strip():
                continue  # no line starts with a space
            if used + stringWidth(token.rstrip(), font, size) <= width:
                line, used = line + token, used + stringWidth(token, font, size)
                continue
            if line:
                lines.append(line.rstrip())
                line, used = "", 0.0
            word = token.strip()
            if not word:
                continue
            for ch in word if stringWidth(word, font, size) > width else [word]:
                w = stringWidth(ch, font, size)
                if line and used + w > width:
                    lines.append(line)
                    line, used = "", 0.0
                line, used = line + ch, used + w
            line += token[len(token.rstrip()) :]  # keep the space that separates it from the next word
            used = stringWidth(line, font, size)
        lines.append(line.rstrip())
    if max_lines is not None and len(lines) > max_lines:
        kept = lines[:max_lines]
        last = kept[-1]
        while last and stringWidth(last + "…", font, size) > width:
            last = last[:-1]
        kept[-1] = last + "…"
        return kept
    return lines


def receiver_lines(receiver: Receiver) -> tuple[str, str]:
    """(name + phone, region + detailed address): masked, unless the receiver is marked ``full``."""
    region = " ".join(p.strip() for p in (receiver.province, receiver.city, receiver.town) if p.strip())
    if receiver.full:
        return f"{receiver.name}  {receiver.phone}".strip(), f"{region} {receiver.address}".strip()
    who = f"{mask_name(receiver.name)}  {mask_phone(receiver.phone)}".strip()
    return who, f"{region} {mask_address(receiver.address)}".strip()


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: float
    align: str = "left"  # "left" or "right"
    font: str = ""  # "" = the table's font


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[Column, ...]
    font: str
    size: float
    leading: float
    padding: float = 2.0

    def wrap_row(self, cells: Sequence[str]) -> list[list[str]]:
        return [
            wrap(text, col.font or self.font, self.size, col.width - 2 * self.padding)
            for col, text in zip(self.columns, cells, strict=True)
        ]

    def row_height(self, wrapped: Sequence[Sequence[str]]) -> float:
        return max(len(cell) for cell in wrapped) * self.leading + 2 * self.padding

    @property
    def header_height(self) -> float:
        return self.leading + 2 * self.padding

    def paginate(self, rows: Sequence[Sequence[Sequence[str]]], height: float) -> list[list[int]]:
        """Row indexes per page, each page holding the header and as many whole rows as fit in ``height``."""
        pages: list[list[int]] = [[]]
        used = self.header_height
        for index, row in enumerate(rows):
            h = self.row_height(row)
            if pages[-1] and used + h > height:
                pages.append([])
                used = self.header_height
            pages[-1].append(index)
            used += h
        return pages

    def draw(self, canvas: Canvas, x: float, top: float, rows: Sequence[Sequence[Sequence[str]]]) -> float:
        """Draw the header and ``rows`` from ``top`` down; returns the y below the last row."""
        total_width = sum(c.width for c in self.columns)
        canvas.setLineWidth(0.5)
        y = top
        canvas.setFillGray(0.9)
        canvas.rect(x, y - self.header_height, total_width, self.header_height, stroke=0, fill=1)
        canvas.setFillGray(0)
        text = TextRun(canvas)
        self._draw_cells(text, x, y, [[c.title] for c in self.columns], header=True)
        y -= self.header_height
        rules = [y]
        for row in rows:
            self._draw_cells(text, x, y, row, header=False)
            y -= self.row_height(row)
            rules.append(y)
        text.flush()
        canvas.line(x, rules[0], x + total_width, rules[0])
        canvas.setLineWidth(0.25)
        for rule in rules[1:]:
            canvas.line(x, rule, x + total_width, rule)
        return y

    def _draw_cells(self, text: TextRun, x: float, top: float, cells: Sequence[Sequence[str]], *,
                    header: bool) -> None:  # fmt: skip
        cx = x
        for col, lines in zip(self.columns, cells, strict=True):
            font = self.font if header else (col.font or self.font)
            baseline = top - self.padding - self.size
            for line in lines:
                if col.align == "right":
                    text.put(cx + col.width - self.padding, baseline, line, font, self.size, "right")
                else:
                    text.put(cx + self.padding, baseline, line, font, self.size)
                baseline -= self.leading
            cx += col.width


class TextRun:
    """Strings drawn as few PDF text objects: each placed where it goes, the font set only when it changes. One
    text object per string (what ``drawString`` makes) costs more than the string itself; a page of labels or a
    table holds hundreds. ``flush`` ends the current object (before other text is drawn in between, so text keeps
    the order it is read in)."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.obj: PDFTextObject | None = None
        self.font: tuple[str, float] | None = None

    def flush(self) -> None:
        if self.obj is not None:
            self.canvas.drawText(self.obj)
            self.obj, self.font = None, None

    def put(self, x: float, y: float, text: str, font: str, size: float, align: str = "left") -> None:
        """``align``: "left" starts at x, "right" ends at x, "centre" is centred on x."""
        if align != "left":
            width = stringWidth(text, font, size)
            x -= width if align == "right" else width / 2
        if self.obj is None:
            self.obj = self.canvas.beginText(x, y)
        else:
            self.obj.setTextOrigin(x, y)
        if self.font != (font, size):
            self.obj.setFont(font, size)
            self.font = (font, size)
        self.obj.textLine(text)  # as drawString writes it (textOut would measure the text again)
