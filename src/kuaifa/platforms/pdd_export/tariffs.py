"""The merchant's carrier tariff sheet (运费模板): one row per carrier and province group.

Columns (matched by header text): 快递公司 (carrier code or name, required), 省份 (provinces separated by 、 , ， or
spaces; empty = every province no other row of that carrier names), 首重(g), 首重费(元), 续重(g), 续重费(元)
(required), 最大重量(g) and 准时率(%) (optional). Every bad cell is reported with its row and column; a sheet with
any problem imports nothing. Numbers are ASCII digits (full-width digits are refused, not normalised); weights are
at most :data:`MAX_GRAMS`, fees at most :data:`MAX_FEE_FEN`; a NUL character or a cell longer than
:data:`TEXT_LIMIT` is a problem.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from kuaifa.domain.carriers.catalog import CARRIERS, canonical_code, carrier_by_code
from kuaifa.domain.carriers.choice import TariffRow
from kuaifa.domain.shared.errors import InvalidMoney
from kuaifa.domain.shared.money import yuan_to_fen
from kuaifa.platforms.pdd_export.table import RowProblem, Table, find_column

CARRIER, PROVINCES, FIRST_G, FIRST_FEE, STEP_G, STEP_FEE, MAX_G, ON_TIME = (
    "快递公司", "省份", "首重(g)", "首重费(元)", "续重(g)", "续重费(元)", "最大重量(g)", "准时率(%)",
)  # fmt: skip
TARIFF_SHEET_HEADER = [CARRIER, PROVINCES, FIRST_G, FIRST_FEE, STEP_G, STEP_FEE, MAX_G, ON_TIME]
_SPLIT = re.compile(r"[、,，\s/]+")
_WHOLE = re.compile(r"[0-9]+")
MAX_GRAMS = 1_000_000
MAX_FEE_FEN = 1_000_000
TEXT_LIMIT = 1000


def _carrier(text: str) -> str | None:
    found = carrier_by_code(text) or next((c for c in CARRIERS if text in (c.name, *c.aliases)), None)
    return canonical_code(found.code) if found else None


class _Row:
    """One sheet row being read; problems name the row, column and value."""

    def __init__(self, number: int, cells: dict[str, str], columns: dict[str, str | None]) -> None:
        self.number, self.cells, self.columns = number, cells, columns
        self.problems: list[RowProblem] = []

    def text(self, name: str) -> str:
        column = self.columns[name]
        return self.cells.get(column, "").strip() if column else ""

    def check_text(self) -> None:
        """NUL characters and over-long cells, in every column the sheet is read from."""
        for name in self.columns:
            value = self.text(name)
            if "\x00" in value:
                self.problems.append(RowProblem(self.number, name, value.replace("\x00", "\\0"),
                                                _("contains a NUL character")))  # fmt: skip
            elif len(value) > TEXT_LIMIT:
                reason = _("longer than %(limit)s characters") % {"limit": TEXT_LIMIT}
                self.problems.append(RowProblem(self.number, name, value, reason))

    def whole(self, name: str, *, optional: bool = False, low: int = 0, high: int = MAX_GRAMS) -> int | None:
        text = self.text(name)
        if not text and optional:
            return None
        if not text.isascii() and text:
            reason = _("write numbers with the digits 0-9 (half-width), not full-width or other digits")
            self.problems.append(RowProblem(self.number, name, text, reason))
            return None
        if not _WHOLE.fullmatch(text) or int(text) < low or int(text) > high:
            bound = f" between {low} and {high}"
            self.problems.append(RowProblem(self.number, name, text, f"expected a whole number{bound}"))
            return None
        return int(text)

    def fen(self, name: str) -> int | None:
        if not self.text(name).isascii():
            reason = _("write numbers with the digits 0-9 (half-width), not full-width or other digits")
            self.problems.append(RowProblem(self.number, name, self.text(name), reason))
            return None
        try:
            value = yuan_to_fen(self.text(name))
        except InvalidMoney:
            self.problems.append(RowProblem(self.number, name, self.text(name), "not an amount in yuan"))
            return None
        if value < 0:
            self.problems.append(RowProblem(self.number, name, self.text(name), "a fee cannot be negative"))
            return None
        if value > MAX_FEE_FEN:
            reason = _("amount is larger than %(limit)s yuan") % {"limit": MAX_FEE_FEN // 100}
            self.problems.append(RowProblem(self.number, name, self.text(name), reason))
            return None
        return value


def parse_tariff_sheet(table: Table) -> tuple[list[TariffRow], list[RowProblem]]:
    columns = {name: find_column(table.header, name) for name in TARIFF_SHEET_HEADER}
    missing = [name for name in (CARRIER, FIRST_G, FIRST_FEE, STEP_G, STEP_FEE) if columns[name] is None]
    if missing:
        return [], [RowProblem(1, name, "", "required column is missing") for name in missing]
    rows: list[TariffRow] = []
    problems: list[RowProblem] = []
    for number, cells in table.rows:
        row = _Row(number, cells, columns)
        row.check_text()
        code = _carrier(row.text(CARRIER))
        if code is None:
            row.problems.append(
                RowProblem(number, CARRIER, row.text(CARRIER), "unknown carrier (use its code, e.g. ZTO)")
            )
        first_g, first_fee = row.whole(FIRST_G, low=1), row.fen(FIRST_FEE)
        step_g, step_fee = row.whole(STEP_G, low=1), row.fen(STEP_FEE)
        max_g, on_time = row.whole(MAX_G, optional=True, low=1), row.whole(ON_TIME, optional=True, high=100)
        problems += row.problems
        if row.problems or code is None or None in (first_g, first_fee, step_g, step_fee):
            continue
        provinces = tuple(p for p in _SPLIT.split(row.text(PROVINCES)) if p)
        rows.append(TariffRow(number, code, provinces, first_g, first_fee, step_g, step_fee, max_g, on_time))  # type: ignore[arg-type]
    return rows, problems
