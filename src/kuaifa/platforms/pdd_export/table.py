"""Spreadsheet files as header + rows: the one reader every merchant file goes through.

Merchants hand us what their tools produce: the PDD back office exports ``.csv`` or ``.xlsx``; sheets saved by
Excel on Chinese Windows are GB18030 (ANSI) unless "CSV UTF-8" was chosen, which adds a BOM. The rules:

- Columns are known by header text, never by position; the header is the first non-blank row.
- Row numbers are the ones the merchant sees in Excel (the header row of a normal file is row 1), so a problem
  report can say "row 7" and the merchant finds it.
- Every value is a stripped string. Spreadsheet cells are turned into the text Excel shows: whole numbers without
  ``.0`` and never in scientific notation (long ids), datetimes as ``YYYY-MM-DD HH:MM:SS``.
- Fully blank rows are skipped; nothing else is. Columns with a blank header are ignored, two columns with the same
  header are refused (we could not tell which one the merchant meant).
- Files we cannot read raise :class:`TableError` with a sentence naming the file.

Written files are UTF-8 with a BOM (Excel on Chinese Windows then opens them correctly) or ``.xlsx`` with every
text cell stored as text, so codes such as ``00123`` or ``=A1`` come back unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from os import PathLike
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException

CSV_SUFFIX = ".csv"
XLSX_SUFFIX = ".xlsx"


class TableError(Exception):
    """A file could not be read or written as a table; the message names the file and says why."""


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet: its header texts, and each non-blank data row keyed by header text with its row number."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one value of one row was not accepted. ``row`` is the file's row number (header = 1)."""

    row: int
    column: str
    value: str
    reason: str


def read_table(path: str | PathLike[str]) -> Table:
    """Read a ``.csv`` (UTF-8, UTF-8 with BOM or GB18030) or ``.xlsx`` file into a :class:`Table`."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == CSV_SUFFIX:
        records = _csv_records(file)
    elif suffix == XLSX_SUFFIX:
        records = _xlsx_records(file)
    else:
        raise TableError(f"{file.name}: unsupported file type {file.suffix or '(none)'!r}; use .csv or .xlsx")
    return _build(file, records)


def write_table(path: str | PathLike[str], header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a ``.csv`` (UTF-8 with BOM) or ``.xlsx`` file; ``None`` is written as an empty cell."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (CSV_SUFFIX, XLSX_SUFFIX):
        raise TableError(f"{file.name}: unsupported file type {file.suffix or '(none)'!r}; use .csv or .xlsx")
    try:
        if suffix == CSV_SUFFIX:
            with file.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows([("" if value is None else value) for value in row] for row in rows)
        else:
            workbook = openpyxl.Workbook(write_only=True)
            sheet = workbook.create_sheet()
            sheet.append([_text_cell(sheet, value) for value in header])
            for row in rows:
                sheet.append([_text_cell(sheet, value) if isinstance(value, str) else value for value in row])
            workbook.save(file)
    except OSError as error:
        raise TableError(f"{file.name}: cannot be written ({error.strerror or error})") from error


def find_column(header: Sequence[str], *names: str) -> str | None:
    """The header text of the first of ``names`` present, ignoring spaces, case and full-width brackets."""
    present = {_header_key(text): text for text in header}
    for name in names:
        found = present.get(_header_key(name))
        if found is not None:
            return found
    return None


_SPACES = re.compile(r"\s+")
_BRACKETS = str.maketrans({"（": "(", "）": ")"})


def _header_key(text: str) -> str:
    return _SPACES.sub("", text.translate(_BRACKETS)).casefold()


def _csv_records(file: Path) -> list[tuple[int, list[str]]]:
    try:
        data = file.read_bytes()
    except OSError as error:
        raise TableError(f"{file.name}: cannot be read ({error.strerror or error})") from error
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise TableError(
                f"{file.name}: the text is neither UTF-8 nor GB18030; save it from Excel as 'CSV UTF-8' and retry"
            ) from None
    try:
        return [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)]
    except csv.Error as error:
        raise TableError(f"{file.name}: not a readable CSV file ({error})") from error


def _xlsx_records(file: Path) -> list[tuple[int, list[str]]]:
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise TableError(f"{file.name}: not a readable .xlsx workbook ({error})") from error
    except OSError as error:
        raise TableError(f"{file.name}: cannot be read ({error.strerror or error})") from error
    try:
        if not workbook.worksheets:
            return []
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some exporters write a wrong <dimension>; read what is really there
        return [
            (number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
        ]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """The text Excel shows for a cell value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        amount = Decimal(repr(value))  # shortest repr: 19.9 stays 19.9, 1.2345678901234e+17 keeps its digits
        if amount == amount.to_integral_value():
            return str(int(amount))
        return format(amount, "f")
    if isinstance(value, datetime):
        if value.microsecond >= 500_000:  # Excel serial floats land a hair before the second
            value += timedelta(seconds=1)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)


def _text_cell(sheet: object, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
    return cell


def _build(file: Path, records: list[tuple[int, list[str]]]) -> Table:
    lines = [(number, [value.strip() for value in row]) for number, row in records]
    lines = [(number, row) for number, row in lines if any(row)]
    if not lines:
        raise TableError(f"{file.name}: the file is empty (no header row)")
    _, header_cells = lines[0]
    seen: set[str] = set()
    for text in header_cells:
        if text and text in seen:
            raise TableError(f"{file.name}: column {text!r} appears twice in the header")
        seen.add(text)
    columns = [(index, text) for index, text in enumerate(header_cells) if text]
    rows = [
        (number, {text: (row[index] if index < len(row) else "") for index, text in columns})
        for number, row in lines[1:]
    ]
    return Table(header=[text for _, text in columns], rows=[(n, r) for n, r in rows if any(r.values())])
