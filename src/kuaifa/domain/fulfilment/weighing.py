"""Weighing (称重): catch a wrong or missing unit by comparing the sealed parcel with what it should weigh.

Business rule: expected weight = Σ unit weight × quantity + the box's own weight + packing material. The scale
reading passes when it is within the tolerance of the expected weight; below it the parcel is too light (a unit is
probably missing), above it too heavy (an extra or wrong unit). The tolerance is configurable per station:
an absolute number of grams, a percentage of the expected weight, or both — combined leniently (the larger
allowance, the usual "±max(20 g, 5 %)") or strictly (the smaller one).

A SKU whose weight is unknown (0 g in the master data) counts as 0 g and is named in ``unknown_skus``, so the
caller can tell a person that this parcel's check proves less than usual.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from kuaifa.domain.shared.errors import DomainError, Text


class InvalidTolerance(DomainError):
    code = "weigh.invalid_tolerance"
    template = "Weight tolerance: %(reason)s"


class InvalidWeight(DomainError):
    code = "weigh.invalid_weight"
    template = "%(what)s must be a whole number of grams ≥ 0, not %(value)r."


class Combine(StrEnum):
    LENIENT = "lenient"  # the larger of the two allowances
    STRICT = "strict"  # the smaller of the two allowances


class WeighVerdict(StrEnum):
    OK = "weigh.ok"
    TOO_LIGHT = "weigh.too_light"
    TOO_HEAVY = "weigh.too_heavy"


@dataclass(frozen=True, slots=True)
class WeighTolerance:
    """Allowed deviation: ``absolute_g`` grams and/or ``percent`` % of the expected weight (None: not used)."""

    absolute_g: int | None = 20
    percent: Decimal | int | None = 5
    combine: Combine = Combine.LENIENT

    def __post_init__(self) -> None:
        if self.absolute_g is None and self.percent is None:
            raise InvalidTolerance(reason=Text("give an absolute allowance, a percentage or both"))
        if self.absolute_g is not None and (isinstance(self.absolute_g, bool) or self.absolute_g < 0):
            raise InvalidTolerance(reason=Text("the absolute allowance cannot be negative"))
        if self.percent is not None and (isinstance(self.percent, bool) or not 0 <= Decimal(self.percent) <= 100):
            raise InvalidTolerance(reason=Text("the percentage must be between 0 and 100"))

    def allowance_g(self, expected_g: int) -> int:
        """The whole grams the reading may differ by (rounded down: readings are whole grams, so this is exact)."""
        allowances = []
        if self.absolute_g is not None:
            allowances.append(self.absolute_g)
        if self.percent is not None:
            allowances.append(math.floor(Decimal(expected_g) * Decimal(self.percent) / 100))
        return max(allowances) if self.combine is Combine.LENIENT else min(allowances)


@dataclass(frozen=True, slots=True)
class WeighedItem:
    sku_code: str
    unit_weight_g: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ExpectedWeight:
    grams: int
    unknown_skus: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WeighResult:
    verdict: WeighVerdict
    expected_g: int
    measured_g: int
    difference_g: int  # measured − expected: negative when light
    allowance_g: int

    @property
    def ok(self) -> bool:
        return self.verdict is WeighVerdict.OK


def _grams(what: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidWeight(what=what, value=value)
    return value


def expected_weight(
    items: Iterable[WeighedItem], *, box_weight_g: int = 0, packing_material_g: int = 0
) -> ExpectedWeight:
    """What the sealed parcel should weigh: the units, the box and the packing material."""
    total = _grams("The box weight", box_weight_g) + _grams("The packing material weight", packing_material_g)
    unknown: list[str] = []
    for item in items:
        total += _grams(f"The weight of {item.sku_code}", item.unit_weight_g) * _grams("A quantity", item.quantity)
        if item.unit_weight_g == 0 and item.quantity > 0 and item.sku_code not in unknown:
            unknown.append(item.sku_code)
    return ExpectedWeight(total, tuple(unknown))


def check_weight(expected_g: int, measured_g: int, tolerance: WeighTolerance = WeighTolerance()) -> WeighResult:
    """Compare a scale reading with the expected weight: ok, too light or too heavy, with the difference."""
    expected_g = _grams("The expected weight", expected_g)
    measured_g = _grams("The measured weight", measured_g)
    allowance = tolerance.allowance_g(expected_g)
    difference = measured_g - expected_g
    if difference < -allowance:
        verdict = WeighVerdict.TOO_LIGHT
    elif difference > allowance:
        verdict = WeighVerdict.TOO_HEAVY
    else:
        verdict = WeighVerdict.OK
    return WeighResult(verdict, expected_g, measured_g, difference, allowance)
