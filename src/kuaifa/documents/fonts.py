"""Fonts for the PDFs: reportlab's built-in Chinese CID font, registered once per process.

STSong-Light (Adobe-GB1) is referenced, not embedded, so files stay small and any PDF viewer supplies the glyphs;
Helvetica prints codes and numbers, which read better in a Latin face.
"""

from __future__ import annotations

from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

LATIN = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"


@cache
def cjk_font() -> str:
    """Register STSong-Light the first time it is needed and return its font name."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"
