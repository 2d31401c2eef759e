"""Reading and writing the merchant's files for the CLI: parse, validate, and report rejected rows beside the input."""

from pathlib import Path

from kuaifa.platforms.pdd_export.parser import ParseResult, parse_orders
from kuaifa.platforms.pdd_export.skus import (
    SKU_SHEET_HEADER,
    STOCK_SHEET_HEADER,
    parse_sku_sheet,
    parse_stock_sheet,
    sku_rows,
)
from kuaifa.platforms.pdd_export.table import RowProblem, Table, TableError, read_table, write_table
from kuaifa.services.errors import InvalidInput


def _read(file: Path) -> Table:
    try:
        return read_table(file)
    except TableError as err:
        raise InvalidInput(field=file.name, reason=str(err)) from None


def load_orders(file: Path) -> tuple[Table, ParseResult]:
    table = _read(file)
    return table, parse_orders(table)


def write_rejected(file: Path, table: Table, problems: list[RowProblem]) -> Path:
    """Rejected rows, whole, with every reason, in a CSV beside the input: ``orders.csv`` → ``orders.rejected.csv``."""
    reasons: dict[int, list[str]] = {}
    for p in problems:
        reasons.setdefault(p.row, []).append(f"{p.column}={p.value!r}: {p.reason}" if p.column else p.reason)
    target = file.with_name(f"{file.stem}.rejected.csv")
    rows = [
        [number, "; ".join(reasons[number]), *(row.get(h, "") for h in table.header)]
        for number, row in table.rows
        if number in reasons
    ]
    write_table(target, ["行号", "原因", *table.header], rows)
    return target


def load_skus(file: Path):
    return parse_sku_sheet(_read(file))


def load_tariffs(file: Path):
    from kuaifa.platforms.pdd_export.tariffs import parse_tariff_sheet

    return parse_tariff_sheet(_read(file))


def load_stock(file: Path):
    return parse_stock_sheet(_read(file))


def save_skus(file: Path) -> int:
    from kuaifa.persistence.queries import sku_specs

    specs = sku_specs()
    write_table(file, SKU_SHEET_HEADER, sku_rows(specs))
    return len(specs)


def save_stock(file: Path) -> int:
    """On hand per SKU and warehouse (re-importable as a stocktake), with reserved and available for reading."""
    from kuaifa.persistence.queries import stock_levels

    levels = stock_levels()
    rows = [
        [r["sku__code"], r["warehouse__code"], r["on_hand"], r["reserved"], r["on_hand"] - r["reserved"]]
        for r in levels
    ]
    write_table(file, [*STOCK_SHEET_HEADER, "占用", "可用"], rows)
    return len(rows)
