"""Hostile and huge spreadsheets are refused quickly, with a sentence, before they cost memory."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from kuaifa.platforms.pdd_export.table import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    SHEET_MAX_ROWS,
    Table,
    TableError,
    read_table,
    stream_table,
    write_table,
)

SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


@pytest.fixture(autouse=True)
def chinese():
    """Refusals are read in Chinese, whatever an earlier test activated."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


def xlsx_with_sheet(path: Path, sheet_xml: bytes, *, extra: dict[str, bytes] | None = None) -> Path:
    """A real workbook written by openpyxl, with its first sheet's XML (and any other part) replaced."""
    write_table(path.with_suffix(".base.xlsx"), ["订单号"], [])
    with zipfile.ZipFile(path.with_suffix(".base.xlsx")) as base, zipfile.ZipFile(path, "w") as out:
        parts = {info.filename: base.read(info) for info in base.infolist()}
        parts[SHEET] = sheet_xml
        parts.update(extra or {})
        for name, data in parts.items():
            out.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return path


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def far_right_bomb(path: Path, rows: int) -> Path:
    """One cell in column XFD (16,384) on each row: tiny on disk, a 16,384-wide row for a naive reader."""
    body = "".join(f'<row r="{n}">{inline(f"A{n}", "订单号" if n == 1 else str(n))}{inline(f"XFD{n}", "x")}</row>'
                   for n in range(1, rows + 1))  # fmt: skip
    return xlsx_with_sheet(path, f"{SHEET_HEAD}<sheetData>{body}</sheetData></worksheet>".encode())


def refused_quickly(path: Path, message: str, *, reader=read_table) -> None:
    """Refused with ``message`` in well under a second of CPU (timed alone: the machine may be shared), and under
    30 MB traced (measured apart)."""

    def read() -> None:
        with pytest.raises(TableError, match=re.escape(message)):
            for _ in reader(path).rows:
                pass

    started = time.process_time()
    read()
    assert time.process_time() - started < 1.0
    tracemalloc.start()
    try:
        read()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30 * 1024 * 1024


def test_a_cell_far_to_the_right_on_every_row_is_refused_at_once_with_flat_memory(tmp_path):
    path = far_right_bomb(tmp_path / "bomb.xlsx", 5_000)
    assert path.stat().st_size < 100_000

    refused_quickly(path, f"bomb.xlsx：第 1 行超过 {MAX_COLUMNS} 列", reader=stream_table)


def test_a_highly_compressed_part_is_refused_from_the_zip_directory_before_parsing(tmp_path):
    padding = b" " * (60 * 1024 * 1024)
    sheet = f"{SHEET_HEAD}<sheetData>".encode() + padding + b"</sheetData></worksheet>"
    path = xlsx_with_sheet(tmp_path / "zip-bomb.xlsx", sheet)
    assert path.stat().st_size < 1_000_000

    refused_quickly(path, "zip-bomb.xlsx：工作簿解压后远大于文件本身")


def test_a_stated_dimension_of_the_whole_sheet_does_not_drive_the_reading(tmp_path):
    body = (f'<row r="1">{inline("A1", "商家编码")}{inline("B1", "数量")}</row>'
            f'<row r="2">{inline("A2", "TEA-001")}<c r="B2"><v>3</v></c></row>')  # fmt: skip
    sheet = f'{SHEET_HEAD}<dimension ref="A1:XFD1048576"/><sheetData>{body}</sheetData></worksheet>'
    path = xlsx_with_sheet(tmp_path / "dimension.xlsx", sheet.encode())

    started = time.process_time()
    table = read_table(path)

    assert time.process_time() - started < 1.0
    assert table == Table(header=["商家编码", "数量"], rows=[(2, {"商家编码": "TEA-001", "数量": "3"})])


def test_a_row_far_below_the_sheet_limit_is_refused(tmp_path):
    body = f'<row r="1">{inline("A1", "商家编码")}</row><row r="{SHEET_MAX_ROWS + 1}">{inline("A9", "X")}</row>'
    path = xlsx_with_sheet(tmp_path / "deep.xlsx", f"{SHEET_HEAD}<sheetData>{body}</sheetData></worksheet>".encode())

    refused_quickly(path, f"deep.xlsx：超过 {SHEET_MAX_ROWS} 行")


def test_entity_expansion_in_the_shared_strings_is_refused(tmp_path):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>&lol2;</t></si></sst>"
    )
    types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" '
        b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Override PartName="/xl/'
        b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="'
        b'application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    sheet = f'{SHEET_HEAD}<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    path = xlsx_with_sheet(
        tmp_path / "laughs.xlsx",
        sheet.encode(),
        extra={"xl/sharedStrings.xml": laughs, "[Content_Types].xml": types},
    )

    with pytest.raises(TableError, match=re.escape("laughs.xlsx: not a readable .xlsx workbook")):
        read_table(path)


def test_openpyxl_parses_xml_through_defusedxml():
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_an_oversized_csv_cell_is_refused_naming_row_and_column(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("商家编码,名称\nTEA-001,茶\nCUP-002," + "长" * (MAX_CELL_CHARS + 1) + "\n", encoding="utf-8")

    refused_quickly(path, f"long.csv：第 3 行第 2 列超过 {MAX_CELL_CHARS} 个字符")


def test_a_csv_row_with_a_value_past_the_column_limit_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("商家编码,数量\n" + "A," * (MAX_COLUMNS + 5) + "X\n", encoding="utf-8")

    refused_quickly(path, f"wide.csv：第 2 行超过 {MAX_COLUMNS} 列")


def test_trailing_empty_csv_cells_past_the_column_limit_are_not_a_problem(tmp_path):
    path = tmp_path / "commas.csv"
    path.write_text("商家编码,数量" + "," * 500 + "\nTEA-001,3" + "," * 500 + "\n", encoding="utf-8")

    assert read_table(path) == Table(header=["商家编码", "数量"], rows=[(2, {"商家编码": "TEA-001", "数量": "3"})])


def test_reading_csv_and_starting_the_cli_do_not_import_openpyxl(tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("商家编码,数量\nTEA-001,3\n", encoding="utf-8")
    script = (
        "import sys, django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'kuaifa.config.settings');"
        "django.setup(); import kuaifa.cli.main;"
        "from kuaifa.platforms.pdd_export.table import read_table;"
        f"read_table({str(path)!r}); print('openpyxl' in sys.modules)"
    )

    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"


def test_control_characters_in_xlsx_text_are_written_visibly_not_fatal(tmp_path):
    path = tmp_path / "control.xlsx"

    write_table(path, ["名称"], [["茶\x1f叶"]])

    assert read_table(path) == Table(header=["名称"], rows=[(2, {"名称": "茶\\x1f叶"})])


def test_csv_cells_that_a_spreadsheet_would_run_get_a_quote_and_numbers_stay_numbers(tmp_path):
    path = tmp_path / "out.csv"

    write_table(
        path, ["a", "b", "c", "d", "e", "f", "g", "h"], [["=1+1", "+x", "-x", "@SUM(A1)", "\tA", "\rB", -5, "-5.50"]]
    )

    assert path.read_bytes().decode("utf-8-sig").split("\r\n")[1] == "'=1+1,'+x,'-x,'@SUM(A1),'\tA,\"'\rB\",-5,-5.50"


def test_a_shared_strings_table_too_big_to_hold_is_refused_before_parsing(tmp_path, monkeypatch):
    from kuaifa.platforms.pdd_export import table

    monkeypatch.setattr(table, "MAX_SHARED_STRINGS", 1000)
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + "".join(f"<si><t>{n:08d}</t></si>" for n in range(200))
        + "</sst>"
    )
    sheet = f'{SHEET_HEAD}<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    path = xlsx_with_sheet(tmp_path / "strings.xlsx", sheet.encode(), extra={"xl/sharedStrings.xml": strings.encode()})

    with pytest.raises(TableError, match=re.escape("strings.xlsx：工作簿解压后远大于文件本身")):
        read_table(path)
