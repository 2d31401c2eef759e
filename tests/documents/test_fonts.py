"""Every font in every PDF is embedded (checked with poppler's pdffonts), so a machine without Chinese fonts prints
the same page; SKU codes come out whole, hyphens included."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kuaifa.documents.labels import render_labels
from kuaifa.documents.model import ContentLine, PickListData
from kuaifa.documents.packing_slip import render_packing_slips
from kuaifa.documents.pick_list import render_pick_list
from tests.documents.test_pdfs import PRINTED, compact, label, pages_text, pick_rows, slip

pytestmark = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils is not installed")


def fonts_of(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    header, _rule, *rows = out
    emb = header.index("emb")
    return [{"name": row.split()[0], "emb": row[emb : emb + 3].strip(), "sub": row[emb + 4 : emb + 7].strip()}
            for row in rows]  # fmt: skip


@pytest.mark.parametrize("document", ["labels", "pick list", "packing slips"])
def test_every_font_is_an_embedded_subset(document, tmp_path):
    pdf = {
        "labels": lambda: render_labels([label("YT1234567890123", "260301-1")]),
        "pick list": lambda: render_pick_list(PickListData("W-1", PRINTED, pick_rows(3), 3)),
        "packing slips": lambda: render_packing_slips([slip()]),
    }[document]()

    fonts = fonts_of(pdf, tmp_path)

    assert any("WenQuanYi" in f["name"] for f in fonts)
    assert [f for f in fonts if (f["emb"], f["sub"]) != ("yes", "yes")] == []


def test_sku_codes_keep_their_hyphens_on_a_label():
    codes = [f"GIFT-SET-{n:03d}-XL" for n in range(12)]
    pdf = render_labels([label("YT1234567890123", "260301-1", contents=tuple(ContentLine(c, 1) for c in codes))])

    text = compact(pages_text(pdf)[0])

    assert [c for c in codes[:6] if f"{c}×1" not in text] == []


def test_a_sku_code_wider_than_its_column_keeps_every_character_and_hyphen():
    from kuaifa.documents.model import PickRow

    code = "GIFT-SET-2024-XL-RED-BOX-LONG"
    pdf = render_pick_list(PickListData("W-1", PRINTED, (PickRow("A-01", code, "礼盒", 1, ((1, 1),), "大号"),), 1))

    assert code in compact(pages_text(pdf)[0])
