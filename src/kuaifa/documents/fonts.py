"""Fonts for the PDFs: freely licensed TrueType faces, embedded as subsets so a page prints the same everywhere.

Chinese text uses WenQuanYi Micro Hei (Apache-2.0 / GPLv3 with font exception; Debian ``fonts-wqy-microhei``),
codes and numbers DejaVu Sans (Debian ``fonts-dejavu-core``; Micro Hei stands in when it is missing). reportlab
embeds only the glyphs a document uses, so a PDF on a machine without Chinese fonts still shows every character.

Every renderer draws with these fonts, so this is also where the documents' one reportlab setting lives: streams
are compressed and written as binary, not ASCII85 on top of the compression (reportlab's default, for mail-safe
7-bit files). ASCII85 makes every page stream a quarter larger and costs a pure-Python encoding pass per stream
(on 1,000 labels ~15 % of the rendering time) for a file that goes to a printer or a browser. (Set here, not in
the package: ``documents.model`` is imported where no PDF is drawn, and loading reportlab costs ~0.2 s.)
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from kuaifa.domain.shared.errors import DomainError

rl_config.useA85 = 0

LATIN = "KuaifaLatin"
LATIN_BOLD = "KuaifaLatinBold"
CJK = "KuaifaCJK"

FONT_DIRS = [Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts"), Path("/usr/local/share/fonts")]
CJK_FILES = ["wqy/wqy-microhei.ttc", "wqy-microhei/wqy-microhei.ttc", "wqy-microhei.ttc"]
LATIN_FILES = ["dejavu/DejaVuSans.ttf", "DejaVuSans.ttf"]
LATIN_BOLD_FILES = ["dejavu/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf"]


class FontMissing(DomainError):
    code = "documents.font_missing"
    template = (
        "No Chinese font to embed in the PDF: install the package fonts-wqy-microhei, or set KUAIFA_PDF_FONT to a "
        "TrueType (.ttf/.ttc) file with Chinese glyphs."
    )


def _find(names: list[str]) -> Path | None:
    for folder in FONT_DIRS:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    return None


@cache
def cjk_font() -> str:
    """Register the fonts the first time a document needs them and return the Chinese face's name."""
    chosen = os.environ.get("KUAIFA_PDF_FONT")
    path = Path(chosen) if chosen else _find(CJK_FILES)
    if path is None or not path.is_file():
        raise FontMissing()
    pdfmetrics.registerFont(TTFont(CJK, str(path), subfontIndex=0))
    latin, bold = _find(LATIN_FILES), _find(LATIN_BOLD_FILES)
    pdfmetrics.registerFont(TTFont(LATIN, str(latin)) if latin else TTFont(LATIN, str(path), subfontIndex=0))
    pdfmetrics.registerFont(TTFont(LATIN_BOLD, str(bold)) if bold else TTFont(LATIN_BOLD, str(path), subfontIndex=0))
    return CJK
