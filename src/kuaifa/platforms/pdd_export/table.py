"""Spreadsheet files as header + rows: the one reader and writer every merchant file goes through.

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

Hostile or broken files are bounded before they cost memory or time (see :data:`LIMITS`): at most
:data:`MAX_COLUMNS` columns and :data:`MAX_CELL_CHARS` characters per cell, a row limit per kind of sheet, and for
``.xlsx`` the zip's declared uncompressed size and compression ratio are checked before any XML is parsed. Sheets
are read row by row (the XML is streamed, the sheet's ``<dimension>`` is ignored), XML goes through defusedxml
(openpyxl uses it when installed; it is a dependency), so a bomb is refused at its first offending row with a
sentence saying which limit it broke. :func:`stream_table` keeps memory flat for files of any length;
:func:`read_table` holds the rows in a list, for the small sheets (SKUs, stock, tariffs).

Written files are UTF-8 with a BOM (Excel on Chinese Windows then opens them correctly) or ``.xlsx`` with every
text cell stored as text, so codes such as ``00123`` or ``=A1`` come back unchanged. CSV text that a spreadsheet
would run as a formula is neutralised (:func:`safe_csv_cell`); the reader undoes exactly that, so our own exports
re-import unchanged. openpyxl is imported only when an ``.xlsx`` is read or written.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

CSV_SUFFIX = ".csv"
XLSX_SUFFIX = ".xlsx"

MAX_COLUMNS = 200
"""Columns a sheet may use; the PDD order export has about 60."""
MAX_CELL_CHARS = 10_000
"""Characters in one cell; the longest field we store is far shorter (the parsers check each field's own limit)."""
MAX_ROWS = 1_048_576
"""Rows of a streamed file (Excel's own sheet limit): an order export of a big sale."""
SHEET_MAX_ROWS = 200_000
"""Rows of a sheet read whole (SKU master, stock count, tariffs)."""
MAX_XLSX_UNCOMPRESSED = 2 * 1024**3
"""Declared uncompressed size of all parts of an ``.xlsx``."""
MAX_COMPRESSION_RATIO = 100
"""Uncompressed ÷ compressed size of one part above :data:`_RATIO_FLOOR`; real sheets stay well below 30."""
_RATIO_FLOOR = 1024 * 1024
MAX_SHARED_STRINGS = 256 * 1024**2
"""Unpacked size of the shared-strings table, the one part read whole (a 1M-row export needs well under 100 MB)."""
MAX_XLSX_PARTS = 10_000
_MAX_LINE_CHARS = MAX_COLUMNS * (MAX_CELL_CHARS + 3)

LIMITS = {
    "columns": MAX_COLUMNS,
    "cell_chars": MAX_CELL_CHARS,
    "rows_streamed": MAX_ROWS,
    "rows_sheet": SHEET_MAX_ROWS,
    "xlsx_uncompressed_bytes": MAX_XLSX_UNCOMPRESSED,
    "xlsx_compression_ratio": MAX_COMPRESSION_RATIO,
    "xlsx_shared_strings_bytes": MAX_SHARED_STRINGS,
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


class TableError(Exception):
    """A file could not be read or written as a table; the message names the file and says why."""


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet: its header texts, and each non-blank data row keyed by header text with its row number.

    ``rows`` is a list for :func:`read_table` and a one-pass iterator for :func:`stream_table`."""

    header: list[str]
    rows: Iterable[tuple[int, dict[str, str]]]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one value of one row was not accepted. ``row`` is the file's row number (header = 1)."""

    row: int
    column: str
    value: str
    reason: str


def read_table(path: str | PathLike[str], *, max_rows: int = SHEET_MAX_ROWS) -> Table:
    """Read a ``.csv`` (UTF-8, UTF-8 with BOM or GB18030) or ``.xlsx`` file into a :class:`Table` held in memory."""
    streamed = stream_table(path, max_rows=max_rows)
    return Table(header=streamed.header, rows=list(streamed.rows))


def stream_table(path: str | PathLike[str], *, max_rows: int = MAX_ROWS) -> Table:
    """Open a table whose rows are read one at a time as ``rows`` is iterated (memory flat in the file's length).

    The header is read now; a limit broken further down raises :class:`TableError` while iterating."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix == CSV_SUFFIX:
        records = _csv_records(file)
    elif suffix == XLSX_SUFFIX:
        records = _xlsx_records(file)
    else:
        raise TableError(f"{file.name}: unsupported file type {file.suffix or '(none)'!r}; use .csv or .xlsx")
    return _build(file, _bounded(file, records, max_rows))


def write_table(path: str | PathLike[str], header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a ``.csv`` (UTF-8 with BOM) or ``.xlsx`` file; ``None`` is written as an empty cell.

    CSV text cells go through :func:`safe_csv_cell`; numbers are written as numbers. XLSX text cells are stored as
    text (never a formula), numbers as numbers."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (CSV_SUFFIX, XLSX_SUFFIX):
        raise TableError(f"{file.name}: unsupported file type {file.suffix or '(none)'!r}; use .csv or .xlsx")
    try:
        if suffix == CSV_SUFFIX:
            with file.open("w", encoding="utf-8-sig", newline="") as handle:
                write_csv_rows(handle, header, rows)
        else:
            _write_xlsx(file, header, rows)
    except OSError as error:
        raise TableError(f"{file.name}: cannot be written ({error.strerror or error})") from error


def write_csv_rows(handle: IO[str], header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """CSV rows through :func:`safe_csv_cell`: the one place Kuaifa writes CSV."""
    writer = csv.writer(handle)
    writer.writerow([safe_csv_cell(value) for value in header])
    writer.writerows([safe_csv_cell(value) for value in row] for row in rows)


def safe_csv_cell(value: object) -> object:
    """A cell value a spreadsheet will show, never run (OWASP "CSV injection").

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, which Excel and
    LibreOffice read as "this is text". Text that is a plain decimal number (``-5``, ``+3.50``) cannot be a formula
    and is left alone, as are numbers themselves; ``None`` is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _unneutralise(value: str) -> str:
    """Undo :func:`safe_csv_cell` on reading, so an exported sheet re-imports unchanged."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


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


# -- limits ---------------------------------------------------------------------------------------------------------


def _too_many_columns(file: Path, number: int) -> TableError:
    return TableError(
        _("%(file)s: row %(row)s uses more than %(limit)s columns; the file is refused")
        % {"file": file.name, "row": number, "limit": MAX_COLUMNS}
    )


def _bounded(file: Path, records: Iterator[tuple[int, list[str]]], max_rows: int) -> Iterator[tuple[int, list[str]]]:
    """Rows within the row, column and cell limits; the first row past one raises :class:`TableError`."""
    for number, row in records:
        if number > max_rows:
            raise TableError(
                _("%(file)s: more than %(limit)s rows; split the file and import the parts")
                % {"file": file.name, "limit": max_rows}
            )
        if len(row) > MAX_COLUMNS:
            if any(row[MAX_COLUMNS:]):
                raise _too_many_columns(file, number)
            row = row[:MAX_COLUMNS]
        for index, value in enumerate(row):
            if len(value) > MAX_CELL_CHARS:
                raise TableError(
                    _(
                        "%(file)s: row %(row)s, column %(column)s has more than %(limit)s characters; "
                        "the file is refused"
                    )
                    % {"file": file.name, "row": number, "column": index + 1, "limit": MAX_CELL_CHARS}
                )
        yield number, row


# -- CSV ------------------------------------------------------------------------------------------------------------


def _csv_encoding(file: Path) -> str:
    """UTF-8 (with or without BOM) when every byte decodes as UTF-8, else GB18030; read in chunks, memory flat."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with file.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        except OSError as error:
            raise TableError(f"{file.name}: cannot be read ({error.strerror or error})") from error
        return encoding
    raise TableError(f"{file.name}: the text is neither UTF-8 nor GB18030; save it from Excel as 'CSV UTF-8' and retry")


def _csv_records(file: Path) -> Iterator[tuple[int, list[str]]]:
    encoding = _csv_encoding(file)

    def lines(handle: IO[str]) -> Iterator[str]:
        while line := handle.readline(_MAX_LINE_CHARS + 1):
            if len(line) > _MAX_LINE_CHARS:
                raise TableError(
                    _("%(file)s: a line is longer than %(limit)s characters; the file is refused")
                    % {"file": file.name, "limit": _MAX_LINE_CHARS}
                )
            yield line

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            with file.open(encoding=encoding, newline="") as handle:
                reader = csv.reader(lines(handle))
                for number, row in enumerate(reader, start=1):
                    yield number, [_unneutralise(value) for value in row]
        except csv.Error as error:
            raise TableError(f"{file.name}: not a readable CSV file ({error})") from error
        except OSError as error:
            raise TableError(f"{file.name}: cannot be read ({error.strerror or error})") from error

    return records()


# -- XLSX -----------------------------------------------------------------------------------------------------------


def _check_archive(file: Path) -> None:
    """Refuse a zip bomb from its central directory, before anything is decompressed.

    Python's zipfile never returns more bytes than a part declares, so the declared sizes bound the work."""
    try:
        with zipfile.ZipFile(file) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile as error:
        raise TableError(f"{file.name}: not a readable .xlsx workbook ({error})") from error
    except OSError as error:
        raise TableError(f"{file.name}: cannot be read ({error.strerror or error})") from error
    bomb = _("%(file)s: the workbook unpacks to far more than its size (a zip bomb?); the file is refused")
    if len(parts) > MAX_XLSX_PARTS or sum(part.file_size for part in parts) > MAX_XLSX_UNCOMPRESSED:
        raise TableError(bomb % {"file": file.name})
    for part in parts:
        if part.file_size > _RATIO_FLOOR and part.file_size > MAX_COMPRESSION_RATIO * max(part.compress_size, 1):
            raise TableError(bomb % {"file": file.name})
        if part.filename.lower().endswith("sharedstrings.xml") and part.file_size > MAX_SHARED_STRINGS:
            raise TableError(bomb % {"file": file.name})  # openpyxl holds this table in memory whole


def _xlsx_records(file: Path) -> Iterator[tuple[int, list[str]]]:
    _check_archive(file)
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError) as error:
        raise TableError(f"{file.name}: not a readable .xlsx workbook ({error})") from error
    except OSError as error:
        raise TableError(f"{file.name}: cannot be read ({error.strerror or error})") from error
    except Exception as error:  # defusedxml refusals and broken XML: ParseError, EntitiesForbidden, …
        raise TableError(f"{file.name}: not a readable .xlsx workbook ({error})") from error

    def records() -> Iterator[tuple[int, list[str]]]:
        try:
            if not workbook.worksheets:
                return
            yield from _sheet_rows(file, workbook, workbook.worksheets[0])
        finally:
            workbook.close()

    return records()


def _sheet_rows(file: Path, workbook: Any, sheet: Any) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows as the XML states them, one at a time.

    openpyxl's own streaming parser is used directly, not ``iter_rows``: that pads every row to the widest
    cell (one cell in column XFD makes every row 16,384 values wide) and fills gaps up to the stated dimension.
    Here a cell beyond :data:`MAX_COLUMNS` or a row beyond :data:`MAX_ROWS` is refused as soon as it is seen."""
    from openpyxl.worksheet._reader import WorkSheetParser

    try:
        with sheet._get_source() as source:
            parser = WorkSheetParser(
                source,
                sheet._shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            for number, cells in parser.parse():
                if number > MAX_ROWS:
                    raise TableError(
                        _("%(file)s: more than %(limit)s rows; split the file and import the parts")
                        % {"file": file.name, "limit": MAX_ROWS}
                    )
                values: dict[int, str] = {}
                for cell in cells:
                    column = cell["column"]
                    if column > MAX_COLUMNS:
                        raise _too_many_columns(file, number)
                    text = _cell_text(cell["value"])
                    if text:
                        values[column] = text
                width = max(values, default=0)
                yield number, [values.get(column, "") for column in range(1, width + 1)]
    except TableError:
        raise
    except Exception as error:  # broken or refused XML inside the sheet
        raise TableError(f"{file.name}: not a readable .xlsx workbook ({error})") from error


def _cell_text(value: object) -> str:
    """The text Excel shows for a cell value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        amount = Decimal(repr(value))  # shortest repr: 19.9 stays 19.9, 1.2345678901234e+17 keeps its digits
        if not amount.is_finite():
            return str(value)
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


def _write_xlsx(file: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()

    def text(value: str) -> Any:
        # XML cannot hold most control characters: they are written visibly (\x1f), never dropped or fatal
        value = ILLEGAL_CHARACTERS_RE.sub(lambda found: f"\\x{ord(found[0]):02x}", value)
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
        return cell

    sheet.append([text(value) for value in header])
    for row in rows:
        sheet.append([text(value) if isinstance(value, str) else value for value in row])
    workbook.save(file)


def _build(file: Path, records: Iterator[tuple[int, list[str]]]) -> Table:
    header_cells: list[str] = []
    for _number, row in records:
        header_cells = [value.strip() for value in row]
        if any(header_cells):
            break
    if not any(header_cells):
        raise TableError(f"{file.name}: the file is empty (no header row)")
    seen: set[str] = set()
    for text in header_cells:
        if text and text in seen:
            raise TableError(f"{file.name}: column {text!r} appears twice in the header")
        seen.add(text)
    columns = [(index, text) for index, text in enumerate(header_cells) if text]

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, row in records:
            cells = {text: (row[index].strip() if index < len(row) else "") for index, text in columns}
            if any(cells.values()):
                yield number, cells

    return Table(header=[text for _, text in columns], rows=rows())
