"""Line wrapping for mixed Chinese/Latin text, China time, and the masked receiver block."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth

from kuaifa.documents.fonts import LATIN, cjk_font
from kuaifa.documents.layout import china_time, receiver_lines, wrap
from kuaifa.documents.model import Receiver


def test_latin_words_stay_whole_and_keep_the_space_between_them() -> None:
    cjk_font()
    three = stringWidth("#1×1  #2×1  #3×1", LATIN, 10)

    assert wrap("#1×1  #2×1  #3×1  #4×1  #5×1  #6×1  #7×1", LATIN, 10, three + 2) == [
        "#1×1  #2×1  #3×1",
        "#4×1  #5×1  #6×1",
        "#7×1",
    ]


def test_chinese_breaks_between_any_two_characters_and_every_line_fits() -> None:
    font = cjk_font()
    text = "浙江省杭州市西湖区文三路478号华星时代广场A座1201室"

    lines = wrap(text, font, 10, 60)

    assert "".join(lines) == text
    assert all(stringWidth(line, font, 10) <= 60 for line in lines)
    assert lines[0] == "浙江省杭州市"


def test_a_word_wider_than_the_line_is_cut_by_character() -> None:
    assert wrap("X" * 40 + " YY", LATIN, 10, 100) == ["X" * 14, "X" * 14, "X" * 12 + " YY"]


def test_max_lines_ends_the_last_kept_line_with_an_ellipsis() -> None:
    lines = wrap("260301-000000000000001  " * 10, LATIN, 8, 200, max_lines=2)

    assert len(lines) == 2
    assert lines[1].endswith("…")
    assert stringWidth(lines[1], LATIN, 8) <= 200


def test_document_times_print_in_shanghai_and_naive_times_are_refused() -> None:
    assert china_time(datetime(2026, 3, 1, 17, 5, tzinfo=UTC)) == "2026-03-02 01:05"
    with pytest.raises(ValueError, match="timezone-aware"):
        china_time(datetime(2026, 3, 1, 17, 5))


def test_the_receiver_block_is_masked_whatever_the_caller_passes() -> None:
    plain = Receiver("张三丰", "13812345678", "浙江省", "杭州市", "西湖区", "文三路478号华星时代广场")
    masks = Receiver("张**", "138****5678", "浙江省", "杭州市", "", "文三路****")

    assert receiver_lines(plain) == ("张**  138****5678", "浙江省 杭州市 西湖区 文三路478****")
    assert receiver_lines(masks) == ("张**  138****5678", "浙江省 杭州市 文三路****")
