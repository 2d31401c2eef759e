"""The merchant's own sheets: the SKU master (商品资料) and a stock count (盘点 / opening stock).

Business rules:

- A SKU is known by its 商家编码, the same code the merchant sets on PDD (it arrives in orders as outer_id). The code
  is required and appears once per sheet; a second row with the same code is a problem, the first row stands.
- Sizes are whole grams and millimetres, blank meaning "not filled in yet" (0), at most :data:`MAX_SIZE`. Text
  fields have the lengths the database keeps (:func:`max_lengths`, from the models: code and barcode 64, name and
  spec 200, bin and warehouse 32; 附件 and 组合明细 :data:`LIST_LIMIT`); longer is a problem, never truncated.
  A NUL character in any cell is a problem.
- Numbers are ASCII digits 0-9; full-width or other digits are refused, not normalised.
- 附件 lists what goes into the parcel with the item (发票, 说明书, 赠品…), separated by ``/``, ``／``, ``,``, ``，``,
  ``;`` or ``；``.
- 组合明细 makes the row a bundle (组合装): ``A001*2;B002*1`` (``;``, ``；``, ``,`` or ``，`` between parts; ``*``,
  ``＊`` or ``×`` before the count; a bare code means one unit). A bundle cannot contain itself or list a component
  twice. Whether the components exist is checked when the sheet is stored, against the whole catalogue.
- Stock counts are whole numbers from 0 to :data:`MAX_COUNT` per SKU and warehouse (仓库, default ``MAIN``); one
  count per pair per sheet. Whether the warehouse exists is checked when the count is stored.
- A row with any problem yields nothing; every problem names the row, column and value.

:func:`sku_rows` writes specs back in :data:`SKU_SHEET_HEADER` order so an exported sheet re-imports unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from django.utils.translation import gettext as _

from kuaifa.domain.inventory.catalog import SkuSpec, StockCount
from kuaifa.platforms.pdd_export.table import RowProblem, Table, find_column

CODE = "商家编码"
NAME = "名称"
SPEC = "规格"
BARCODE = "条码"
WEIGHT = "重量(g)"
LENGTH = "长(mm)"
WIDTH = "宽(mm)"
HEIGHT = "高(mm)"
BIN = "库位"
ENCLOSURES = "附件"
COMPONENTS = "组合明细"
WAREHOUSE = "仓库"
QUANTITY = "数量"

SKU_SHEET_HEADER = [CODE, NAME, SPEC, BARCODE, WEIGHT, LENGTH, WIDTH, HEIGHT, BIN, ENCLOSURES, COMPONENTS]
STOCK_SHEET_HEADER = [CODE, WAREHOUSE, QUANTITY]

DEFAULT_WAREHOUSE = "MAIN"

LIST_LIMIT = 1000
"""Characters of 附件 or 组合明细 (stored as separate values, each within its own column)."""
MAX_SIZE = 1_000_000
"""Grams or millimetres of one SKU (a tonne, a kilometre): more is a typo."""
MAX_COUNT = 100_000_000
"""Units of one SKU counted in one warehouse; far inside the stock columns (32-bit)."""

_STORED_AS = {CODE: ("Sku", "code"), NAME: ("Sku", "name"), SPEC: ("Sku", "spec"), BARCODE: ("Sku", "barcode"),
              BIN: ("Sku", "bin_location"), WAREHOUSE: ("Warehouse", "code")}  # fmt: skip


@cache
def max_lengths() -> dict[str, int]:
    """Each text column's longest accepted value: the storing model field's ``max_length``."""
    from kuaifa.persistence import models

    stored = {name: getattr(models, model)._meta.get_field(field).max_length for name, (model, field) in
              _STORED_AS.items()}  # fmt: skip
    return {**stored, ENCLOSURES: LIST_LIMIT, COMPONENTS: LIST_LIMIT}


_ENCLOSURE_SEPARATORS = re.compile(r"[/／,，;；]")
_COMPONENT_SEPARATORS = re.compile(r"[;；,，\n]")
_COMPONENT = re.compile(r"(?P<code>[^\s*＊×]+)\s*(?:[*＊×]\s*(?P<count>[0-9]+))?")
_WHOLE = re.compile(r"[0-9]+")


def parse_sku_sheet(table: Table) -> tuple[list[SkuSpec], list[RowProblem]]:
    """Read the SKU master sheet into specs, in sheet order; see the module docstring for the rules."""
    columns = {name: find_column(table.header, name) for name in SKU_SHEET_HEADER}
    if columns[CODE] is None:
        return [], [RowProblem(1, CODE, "", "required column is missing")]
    specs: list[SkuSpec] = []
    problems: list[RowProblem] = []
    first_row_of: dict[str, int] = {}
    for number, row in table.rows:
        cells = _Cells(number, row, columns)
        code = cells.text(CODE, required=True)
        if code and code in first_row_of:
            cells.problem(CODE, code, _("duplicate of row %(row)s") % {"row": first_row_of[code]})
        elif code:
            first_row_of[code] = number
        spec = SkuSpec(
            code=code,
            name=cells.text(NAME),
            spec=cells.text(SPEC),
            barcode=cells.text(BARCODE),
            weight_g=cells.whole(WEIGHT, high=MAX_SIZE),
            length_mm=cells.whole(LENGTH, high=MAX_SIZE),
            width_mm=cells.whole(WIDTH, high=MAX_SIZE),
            height_mm=cells.whole(HEIGHT, high=MAX_SIZE),
            bin_location=cells.text(BIN),
            enclosures=tuple(
                part.strip() for part in _ENCLOSURE_SEPARATORS.split(cells.text(ENCLOSURES)) if part.strip()
            ),
            components=cells.components(code),
        )
        problems.extend(cells.problems)
        if not cells.problems:
            specs.append(spec)
    return specs, problems


def parse_stock_sheet(table: Table) -> tuple[list[StockCount], list[RowProblem]]:
    """Read a stock count sheet (商家编码, 仓库, 数量) into counts, in sheet order."""
    columns = {name: find_column(table.header, name) for name in STOCK_SHEET_HEADER}
    missing = [name for name in (CODE, QUANTITY) if columns[name] is None]
    if missing:
        return [], [RowProblem(1, name, "", "required column is missing") for name in missing]
    counts: list[StockCount] = []
    problems: list[RowProblem] = []
    first_row_of: dict[tuple[str, str], int] = {}
    for number, row in table.rows:
        cells = _Cells(number, row, columns)
        code = cells.text(CODE, required=True)
        warehouse = cells.text(WAREHOUSE) or DEFAULT_WAREHOUSE
        quantity = cells.whole(QUANTITY, required=True, high=MAX_COUNT)
        if code and (code, warehouse) in first_row_of:
            cells.problem(
                CODE,
                code,
                _("counted twice for %(warehouse)s: see row %(row)s")
                % {"warehouse": warehouse, "row": first_row_of[code, warehouse]},
            )
        elif code:
            first_row_of[code, warehouse] = number
        problems.extend(cells.problems)
        if not cells.problems:
            counts.append(StockCount(sku_code=code, warehouse=warehouse, quantity=quantity))
    return counts, problems


def sku_rows(specs: Sequence[SkuSpec]) -> list[list[str]]:
    """Specs as sheet rows under :data:`SKU_SHEET_HEADER`; 0 sizes are left blank (not filled in)."""
    return [
        [
            spec.code,
            spec.name,
            spec.spec,
            spec.barcode,
            _size(spec.weight_g),
            _size(spec.length_mm),
            _size(spec.width_mm),
            _size(spec.height_mm),
            spec.bin_location,
            "/".join(spec.enclosures),
            ";".join(f"{code}*{count}" for code, count in spec.components),
        ]
        for spec in specs
    ]


def _ascii_digits() -> str:
    return _("write numbers with the digits 0-9 (half-width), not full-width or other digits")


def _size(value: int) -> str:
    return str(value) if value else ""


class _Cells:
    """One sheet row's values, read with their rules; problems are collected, not raised."""

    def __init__(self, number: int, row: dict[str, str], columns: dict[str, str | None]) -> None:
        self.number = number
        self.row = row
        self.columns = columns
        self.problems: list[RowProblem] = []

    def problem(self, name: str, value: str, reason: str) -> None:
        self.problems.append(RowProblem(self.number, self.columns[name] or name, value, reason))

    def text(self, name: str, *, required: bool = False) -> str:
        column = self.columns[name]
        value = self.row[column] if column is not None else ""
        if required and not value:
            self.problem(name, value, _("required value is empty"))
        if "\x00" in value:
            self.problem(name, value.replace("\x00", "\\0"), _("contains a NUL character"))
            return ""
        limit = max_lengths().get(name)
        if limit is not None and len(value) > limit:
            self.problem(name, value, _("longer than %(limit)s characters") % {"limit": limit})
        return value

    def whole(self, name: str, *, required: bool = False, high: int) -> int:
        value = self.text(name, required=required)
        if not value:
            return 0
        if not _WHOLE.fullmatch(value):
            if value.isascii():
                self.problem(name, value, _("must be a whole number, 0 or more"))
            else:
                self.problem(name, value, _ascii_digits())
            return 0
        if int(value) > high:
            self.problem(name, value, _("must be at most %(limit)s") % {"limit": high})
            return 0
        return int(value)

    def components(self, bundle_code: str) -> tuple[tuple[str, int], ...]:
        value = self.text(COMPONENTS)
        found: dict[str, int] = {}
        for part in (piece.strip() for piece in _COMPONENT_SEPARATORS.split(value)):
            if not part:
                continue
            match = _COMPONENT.fullmatch(part)
            code, count = (match["code"], int(match["count"] or 1)) if match else (part, 0)
            if count == 0:
                self.problem(
                    COMPONENTS, value, _("%(part)r: write a component as code*count, e.g. TEA-001*2") % {"part": part}
                )
            elif code == bundle_code:
                self.problem(COMPONENTS, value, _("a bundle cannot contain itself"))
            elif code in found:
                self.problem(COMPONENTS, value, _("component %(code)s is listed twice") % {"code": code})
            else:
                found[code] = count
        return tuple(found.items())
