"""Reading and writing the merchant's files for the CLI: parse, validate, and report rejected rows beside the input."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kuaifa.domain.orders.canonical import CanonicalOrder
from kuaifa.persistence.queries import sku_specs, stock_levels
from kuaifa.platforms.pdd_export.parser import OrderStream
from kuaifa.platforms.pdd_export.skus import (
    SKU_SHEET_HEADER,
    STOCK_SHEET_HEADER,
    parse_sku_sheet,
    parse_stock_sheet,
    sku_rows,
)
from kuaifa.platforms.pdd_export.table import RowProblem, Table, TableError, read_table, stream_table, write_table
from kuaifa.platforms.pdd_export.tariffs import parse_tariff_sheet
from kuaifa.services.errors import InvalidInput
from kuaifa.services.imports import FileSummary


def _refusal(file: Path, err: TableError) -> InvalidInput:
    """The table's sentence, named once by the file (the error's message already starts with it)."""
    reason = str(err).removeprefix(f"{file.name}: ").removeprefix(f"{file.name}：")
    return InvalidInput(field=file.name, reason=reason)


def _read(file: Path) -> Table:
    try:
        return read_table(file)
    except TableError as err:
        raise _refusal(file, err) from None


@dataclass
class OrderFile:
    """An order export being read: its valid orders as a stream, then a summary and the rejected rows.

    A file with a problem is refused unless ``skip_invalid`` (and always when a required column is missing); once
    it is refused no more orders are handed on, but the rest of the file is still read so every problem is named."""

    file: Path
    header: list[str]
    stream: OrderStream
    skip_invalid: bool

    def orders(self) -> Iterator[CanonicalOrder]:
        try:
            for order in self.stream.orders():
                if not self.refused():
                    yield order
        except TableError as err:
            raise _refusal(self.file, err) from None

    def refused(self) -> bool:
        problems = self.stream.problems
        return bool(problems) and (not self.skip_invalid or any(p.row == 1 for p in problems))

    def summary(self) -> FileSummary:
        rejected = len({p.row for p in self.stream.problems})
        return FileSummary(rows=self.stream.rows, rejected=rejected, refused=self.refused())


def open_orders(file: Path, *, skip_invalid: bool) -> OrderFile:
    try:
        table = stream_table(file)
    except TableError as err:
        raise _refusal(file, err) from None
    return OrderFile(file, table.header, OrderStream(table), skip_invalid)


def write_rejected(file: Path, header: list[str], rows: dict[int, dict[str, str]], problems: list[RowProblem]) -> Path:
    """Rejected rows, whole, with every reason, in a CSV beside the input: ``orders.csv`` → ``orders.rejected.csv``."""
    reasons: dict[int, list[str]] = {}
    for p in problems:
        reasons.setdefault(p.row, []).append(f"{p.column}={p.value!r}: {p.reason}" if p.column else p.reason)
    target = file.with_name(f"{file.stem}.rejected.csv")
    lines = [
        [number, "; ".join(reasons[number]), *(row.get(h, "") for h in header)]
        for number, row in sorted(rows.items())
        if number in reasons
    ]
    write_table(target, ["行号", "原因", *header], lines)
    return target


def load_skus(file: Path):
    return parse_sku_sheet(_read(file))


def load_tariffs(file: Path):
    return parse_tariff_sheet(_read(file))


def load_stock(file: Path):
    return parse_stock_sheet(_read(file))


def save_skus(file: Path) -> int:
    specs = sku_specs()
    write_table(file, SKU_SHEET_HEADER, sku_rows(specs))
    return len(specs)


def save_stock(file: Path) -> int:
    """On hand per SKU and warehouse (re-importable as a stocktake), with reserved and available for reading."""
    levels = stock_levels()
    rows = [[r.sku_code, r.warehouse_code, r.on_hand, r.reserved, r.on_hand - r.reserved] for r in levels]
    write_table(file, [*STOCK_SHEET_HEADER, "占用", "可用"], rows)
    return len(rows)
