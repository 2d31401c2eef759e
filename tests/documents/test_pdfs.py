"""PDFs: what is printed (read back with pypdf, Chinese included), that the receiver is masked, and that the pages
really render (pdftoppm, when installed)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from kuaifa.documents.labels import render_labels
from kuaifa.documents.model import (
    ContentLine,
    LabelData,
    PackingSlipData,
    PickListData,
    PickRow,
    Receiver,
    Sender,
    SlipLine,
)
from kuaifa.documents.packing_slip import render_packing_slips
from kuaifa.documents.pick_list import pick_list_from_wave, render_pick_list
from kuaifa.domain.fulfilment.waves import CandidateLine, WaveCandidate, WaveRule, plan_waves

PRINTED = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)  # 16:30 in Shanghai
PHONE = "13812345678"
RECEIVER = Receiver("张三丰", PHONE, "浙江省", "杭州市", "西湖区", "文三路478号华星时代广场A座1201室")
SENDER = Sender("快发旗舰店", "0571-88886666", "浙江省杭州市余杭区良睦路1399号3号仓")
MM = 72 / 25.4


def label(tracking: str, *order_sns: str, contents: tuple[ContentLine, ...] = ()) -> LabelData:
    return LabelData(
        carrier_name="中通快递",
        tracking_number=tracking,
        receiver=RECEIVER,
        sender=SENDER,
        order_sns=order_sns,
        contents=contents or (ContentLine("TEA-001", 2), ContentLine("CUP-002", 1)),
        printed_at=PRINTED,
    )


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def compact(text: str) -> str:
    return "".join(text.split())


# --- labels -------------------------------------------------------------------------------------------------------


def test_labels_are_one_per_page_at_100_by_180_mm_in_the_order_given() -> None:
    pdf = render_labels([label("773100000001", "260301-000000000000001"), label("773100000002", "260301-2")])

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (100, 180)
    texts = pages_text(pdf)
    assert "773100000001" in texts[0] and "773100000002" not in texts[0]
    assert "773100000002" in texts[1]


def test_a_label_prints_carrier_tracking_number_masked_receiver_sender_orders_and_contents() -> None:
    pdf = render_labels([label("77310000000001", "260301-123456789012345", "260301-123456789012346")])

    text = pages_text(pdf)[0]
    lines = text.splitlines()
    assert lines[0].startswith("中通快递")
    assert "2026-03-01 16:30" in lines[0]
    assert lines[1] == "77310000000001"  # the number printed under the barcode
    assert "张**  138****5678" in lines
    assert "浙江省 杭州市 西湖区 文三路478****" in lines
    assert "快发旗舰店  0571-88886666" in lines
    assert "订单号（2 单）" in lines
    assert "260301-123456789012345  260301-123456789012346" in lines
    assert "内容（2 种 3 件）" in lines
    assert "TEA-001×2   CUP-002×1" in lines


def test_a_label_never_prints_the_unmasked_phone_name_or_address() -> None:
    pdf = render_labels([label("77310000000001", "260301-1")])

    text = compact(pages_text(pdf)[0])
    assert PHONE not in text
    assert "张三丰" not in text
    assert "华星时代广场" not in text
    assert PHONE.encode() not in pdf


def test_long_order_lists_and_contents_are_cut_with_an_ellipsis_on_one_page() -> None:
    many_orders = [f"260301-{i:015d}" for i in range(30)]
    many_lines = tuple(ContentLine(f"SKU-{i:04d}", i + 1) for i in range(80))

    pdf = render_labels([label("77310000000001", *many_orders, contents=many_lines)])

    text = pages_text(pdf)
    assert len(text) == 1
    assert "订单号（30 单）" in text[0]
    assert "内容（80 种 3240 件）" in text[0]
    assert text[0].count("…") == 2


def test_no_labels_is_an_error_not_an_empty_page() -> None:
    with pytest.raises(ValueError, match="no labels"):
        render_labels([])


def test_a_label_without_a_tracking_number_is_refused() -> None:
    with pytest.raises(ValueError, match="tracking number"):
        render_labels([label("", "260301-1")])


# --- pick list ----------------------------------------------------------------------------------------------------


def pick_rows(count: int) -> tuple[PickRow, ...]:
    return tuple(PickRow(f"A-{i}", f"SKU-{i:03d}", "有机绿茶礼盒装", i, ((1, i),)) for i in range(count, 0, -1))


def test_the_pick_list_prints_wave_time_in_shanghai_and_rows_in_natural_bin_order() -> None:
    data = PickListData("W-0301-01", datetime(2026, 3, 1, 17, 5, tzinfo=UTC), pick_rows(12), order_count=7)

    text = pages_text(render_pick_list(data))[0]

    assert "拣货单  波次 W-0301-01" in text
    assert "创建时间 2026-03-02 01:05（北京时间）" in text  # past midnight in China
    assert "订单 7 单    商品 12 种    共 78 件" in text
    positions = [text.index(f"\nA-{i}\n") for i in range(1, 13)]
    assert positions == sorted(positions)  # A-2 before A-10
    assert "有机绿茶礼盒装" in text
    assert "第 1 / 1 页" in text


def test_a_long_pick_list_numbers_its_pages_and_repeats_the_header() -> None:
    data = PickListData("W-0301-02", PRINTED, pick_rows(120), order_count=60)

    texts = pages_text(render_pick_list(data))

    assert len(texts) == 4  # 33 one-line rows fit a page
    assert [f"第 {n} / 4 页" in t for n, t in enumerate(texts, start=1)] == [True] * 4
    assert all("拣货单  波次 W-0301-02" in t and "商品编码" in t for t in texts)
    assert sum(t.count("\nSKU-") for t in texts) == 120


def test_a_planned_wave_becomes_a_pick_list_with_names_and_slots() -> None:
    tea = CandidateLine(1, "TEA-001", 2, "A-10")
    cup = CandidateLine(2, "CUP-002", 1, "A-2")
    orders = [
        WaveCandidate(1, "260301-1", 1, PRINTED + timedelta(hours=1), "ZTO", (tea, cup)),
        WaveCandidate(2, "260301-2", 1, PRINTED + timedelta(hours=2), "ZTO", (tea,)),
    ]
    wave = plan_waves(orders, WaveRule(horizon=timedelta(hours=24)), now=PRINTED).waves[0]

    data = pick_list_from_wave(wave, wave_id="W-1", created_at=PRINTED, sku_names={1: "绿茶", 2: "茶杯"})
    text = pages_text(render_pick_list(data))[0]

    assert data.rows == (
        PickRow("A-2", "CUP-002", "茶杯", 1, ((1, 1),)),
        PickRow("A-10", "TEA-001", "绿茶", 4, ((1, 2), (2, 2))),
    )
    assert "\nA-2\nCUP-002\n茶杯\n1\n#1×1\n" in text
    assert "\nA-10\nTEA-001\n绿茶\n4\n#1×2  #2×2\n" in text


# --- packing slips ------------------------------------------------------------------------------------------------


def slip(order_sn: str = "260301-123456789012345") -> PackingSlipData:
    return PackingSlipData(
        shop_name="快发旗舰店",
        order_sns=(order_sn,),
        receiver=RECEIVER,
        lines=(
            SlipLine("TEA-001", "有机绿茶", 2, "250克", ("说明书", "气泡膜")),
            SlipLine("CUP-002", "茶杯", 1),
        ),
        parcel_enclosures=("发票",),
        buyer_memo="请周末送达",
        carrier_name="中通快递",
        tracking_number="77310000000001",
        created_at=PRINTED,
    )


def test_a_packing_slip_lists_items_and_every_enclosure_to_put_in() -> None:
    text = pages_text(render_packing_slips([slip()]))[0]
    lines = text.splitlines()

    assert lines[0] == "发货单"
    assert "订单号：260301-123456789012345" in lines
    assert "快递：中通快递 77310000000001" in lines
    assert "收货人：张**  138****5678" in lines
    assert "\nTEA-001\n有机绿茶 / 250克\n2\n说明书、气泡膜\n" in text
    assert "共 2 种 3 件    请放入：" in lines
    assert [line.strip() for line in lines if "（TEA-001）" in line] == ["说明书（TEA-001）", "气泡膜（TEA-001）"]
    assert "发票" in lines
    assert "买家留言：请周末送达" in lines
    assert PHONE not in compact(text)


def test_many_slips_start_each_on_its_own_page_and_a_long_slip_continues() -> None:
    long = PackingSlipData("店", ("260301-9",), RECEIVER, tuple(SlipLine(f"SKU-{i:03d}", "商品", 1) for i in range(40)))

    texts = pages_text(render_packing_slips([slip("260301-1"), long]))

    assert len(texts) == 3  # one page for the first slip, two for the 40 lines of the second (23 fit an A5 page)
    assert "260301-1" in texts[0] and "第 1 / 1 页" in texts[0]
    assert "260301-9" in texts[1] and "第 1 / 2 页" in texts[1]
    assert "260301-9" in texts[2] and "第 2 / 2 页" in texts[2]
    assert "商品编码" in texts[2]  # the table header repeats
    assert sum(t.count("\nSKU-") for t in texts[1:]) == 40


def test_a_checklist_that_does_not_fit_under_a_full_table_goes_to_the_next_page() -> None:
    full = PackingSlipData(
        "店", ("260301-8",), RECEIVER, tuple(SlipLine(f"SKU-{i:03d}", "商品", 1) for i in range(23)), ("发票",)
    )

    texts = pages_text(render_packing_slips([full]))

    assert len(texts) == 2
    assert "请放入" not in texts[0] and "第 1 / 2 页" in texts[0]
    assert "请放入" in texts[1] and "发票" in texts[1] and "SKU-" not in texts[1]


# --- the pages really render ----------------------------------------------------------------------------------------

PDFTOPPM = shutil.which("pdftoppm")


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (Debian package poppler-utils) is not installed")
@pytest.mark.parametrize("kind", ["label", "pick_list", "packing_slip"])
def test_page_one_renders_to_a_non_blank_image(kind: str, tmp_path: Path) -> None:
    from PIL import Image, ImageStat

    pdf = {
        "label": lambda: render_labels([label("77310000000001", "260301-1")]),
        "pick_list": lambda: render_pick_list(PickListData("W-1", PRINTED, pick_rows(5), 3)),
        "packing_slip": lambda: render_packing_slips([slip()]),
    }[kind]()
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)

    subprocess.run(
        [str(PDFTOPPM), "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(source), str(tmp_path / "page")],
        check=True,
        timeout=30,
    )

    image = Image.open(tmp_path / "page.png").convert("L")
    dark = sum(image.histogram()[:128]) / (image.width * image.height)
    assert 0.01 < dark < 0.5  # ink on the page, yet mostly paper
    assert ImageStat.Stat(image).stddev[0] > 20


# --- what a printed label gives back: its text to pdftotext, its bars to a scanner ------------------------------------

PDFTOTEXT = shutil.which("pdftotext")
TRACKING_NUMBERS = ("773100000006", "SF1234567890123", "YT9876543210abc", "7" * 30)  # the last is narrowed to fit


def code128_patterns() -> dict[tuple[int, ...], int]:
    """Code128's symbol values by their six bar/space widths in modules (reportlab's table: A-D bars, a-d spaces)."""
    from reportlab.graphics.barcode.code128 import _patterns

    return {tuple(ord(c.lower()) - 96 for c in pattern): value for value, pattern in _patterns.items() if value < 106}


def read_code128(dark: list[bool]) -> str:
    """The text of the Code128 symbol in one scanline (True = ink): run widths to modules, modules to symbol values,
    the checksum checked, code sets B and C (what tracking numbers use) decoded — as a scanner reads it."""
    first, last = dark.index(True), len(dark) - 1 - dark[::-1].index(True)
    runs: list[int] = []
    for x in range(first, last + 1):
        if x == first or dark[x] != dark[x - 1]:
            runs.append(0)
        runs[-1] += 1
    symbols, rest = divmod(len(runs) - 7, 6)  # six runs a symbol (11 modules), then the stop (7 runs, 13 modules)
    assert rest == 0 and symbols >= 2, f"{len(runs)} runs are not a Code128 symbol"
    module = sum(runs) / (11 * symbols + 13)
    widths = [round(run / module) for run in runs]
    assert widths[-7:] == [2, 3, 3, 1, 1, 1, 2], "no stop pattern"
    table = code128_patterns()
    values = [table[tuple(widths[i : i + 6])] for i in range(0, 6 * symbols, 6)]
    start, data, check = values[0], values[1:-1], values[-1]
    assert (start + sum(i * v for i, v in enumerate(data, start=1))) % 103 == check, "checksum"
    code, text = {104: "B", 105: "C"}[start], ""
    for value in data:
        if (code, value) in (("B", 99), ("C", 100)):  # a change of code set
            code = "C" if value == 99 else "B"
        elif code == "C":
            assert value < 100
            text += f"{value:02d}"
        else:
            assert value < 95
            text += chr(value + 32)
    return text


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (Debian package poppler-utils) is not installed")
def test_every_label_barcode_reads_back_as_its_tracking_number(tmp_path: Path) -> None:
    from PIL import Image

    source = tmp_path / "labels.pdf"
    source.write_bytes(render_labels([label(number, "260301-1") for number in TRACKING_NUMBERS]))
    subprocess.run([str(PDFTOPPM), "-png", "-gray", "-r", "300", str(source), str(tmp_path / "page")],
                   check=True, timeout=60)  # fmt: skip

    read = []
    for page in sorted(tmp_path.glob("page-*.png")):
        image = Image.open(page).convert("L")
        dots = image.width / 100  # per mm
        y = round(26 * dots)  # halfway down the bars (18–34 mm from the top)
        row = range(round(5 * dots), round(95 * dots))  # inside the page border
        read.append(read_code128([image.getpixel((x, y)) < 128 for x in row]))
    assert read == list(TRACKING_NUMBERS)


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (Debian package poppler-utils) is not installed")
def test_every_label_text_comes_back_out_with_pdftotext(tmp_path: Path) -> None:
    source = tmp_path / "labels.pdf"
    source.write_bytes(render_labels([label(number, f"260301-{n}") for n, number in enumerate(TRACKING_NUMBERS)]))

    pages = subprocess.run([str(PDFTOTEXT), "-layout", str(source), "-"], check=True, timeout=30,
                           capture_output=True, text=True).stdout.split("\f")[: len(TRACKING_NUMBERS)]  # fmt: skip

    assert len(pages) == len(TRACKING_NUMBERS)
    for n, (page, number) in enumerate(zip(pages, TRACKING_NUMBERS, strict=True)):
        words = page.split()
        assert words.count(number) == 2  # under the barcode and on the stub
        assert words.count("中通快递") == 2
        for word in ("2026-03-01", "16:30", "收", "张**", "138****5678", "浙江省", "文三路478****", "寄",
                     "快发旗舰店", "0571-88886666", "浙江省杭州市余杭区良睦路1399号3号仓", "订单号",
                     f"260301-{n}", "内容（2", "种", "3", "件）", "TEA-001×2", "CUP-002×1"):  # fmt: skip
            assert word in words, (word, page)


# --- how the files are written --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["label", "pick_list", "packing_slip"])
def test_streams_are_compressed_binary_without_ascii85_on_top(kind: str) -> None:
    pdf = {
        "label": lambda: render_labels([label("77310000000001", "260301-1")]),
        "pick_list": lambda: render_pick_list(PickListData("W-1", PRINTED, pick_rows(5), 3)),
        "packing_slip": lambda: render_packing_slips([slip()]),
    }[kind]()

    assert b"/FlateDecode" in pdf
    assert b"/ASCII85Decode" not in pdf


def test_the_documents_data_classes_load_without_reportlab() -> None:
    """Commands import ``documents.model`` to build what they print; reportlab (~0.2 s) loads only to draw."""
    probe = "import sys, kuaifa.documents.model; print('reportlab' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
