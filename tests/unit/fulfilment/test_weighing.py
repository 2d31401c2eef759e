"""Weighing: expected weight of items + box + material, and a configurable tolerance check."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kuaifa.domain.fulfilment.weighing import (
    Combine,
    ExpectedWeight,
    InvalidTolerance,
    InvalidWeight,
    WeighedItem,
    WeighResult,
    WeighTolerance,
    WeighVerdict,
    check_weight,
    expected_weight,
)


def test_expected_weight_adds_items_box_and_packing_material() -> None:
    items = [WeighedItem("TEA-001", 250, 2), WeighedItem("CUP-002", 180, 1)]

    assert expected_weight(items, box_weight_g=110, packing_material_g=15) == ExpectedWeight(805)


def test_skus_without_a_known_weight_count_as_zero_and_are_named() -> None:
    items = [WeighedItem("TEA-001", 250, 1), WeighedItem("NEW-009", 0, 2), WeighedItem("NEW-009", 0, 1)]

    assert expected_weight(items, box_weight_g=100) == ExpectedWeight(350, ("NEW-009",))


def test_a_reading_within_the_allowance_is_ok_and_reports_the_difference() -> None:
    assert check_weight(1_000, 1_030, WeighTolerance(absolute_g=20, percent=5)) == WeighResult(
        WeighVerdict.OK, 1_000, 1_030, 30, 50
    )


def test_a_missing_unit_makes_the_parcel_too_light() -> None:
    result = check_weight(1_000, 749, WeighTolerance(absolute_g=20, percent=None))

    assert (result.verdict, result.difference_g, result.allowance_g) == (WeighVerdict.TOO_LIGHT, -251, 20)
    assert not result.ok


def test_an_extra_unit_makes_the_parcel_too_heavy() -> None:
    result = check_weight(1_000, 1_251, WeighTolerance(absolute_g=None, percent=10))

    assert (result.verdict, result.difference_g, result.allowance_g) == (WeighVerdict.TOO_HEAVY, 251, 100)


def test_the_allowance_itself_is_still_ok_one_gram_more_is_not() -> None:
    tolerance = WeighTolerance(absolute_g=20, percent=None)

    assert check_weight(500, 520, tolerance).verdict is WeighVerdict.OK
    assert check_weight(500, 480, tolerance).verdict is WeighVerdict.OK
    assert check_weight(500, 521, tolerance).verdict is WeighVerdict.TOO_HEAVY
    assert check_weight(500, 479, tolerance).verdict is WeighVerdict.TOO_LIGHT


def test_lenient_takes_the_larger_allowance_and_strict_the_smaller() -> None:
    assert WeighTolerance(absolute_g=20, percent=5).allowance_g(200) == 20  # 5 % of 200 g = 10 g
    assert WeighTolerance(absolute_g=20, percent=5).allowance_g(2_000) == 100
    assert WeighTolerance(absolute_g=20, percent=5, combine=Combine.STRICT).allowance_g(2_000) == 20
    assert WeighTolerance(absolute_g=20, percent=5, combine=Combine.STRICT).allowance_g(200) == 10


def test_a_fractional_percentage_rounds_the_allowance_down_to_whole_grams() -> None:
    assert WeighTolerance(absolute_g=None, percent=Decimal("2.5")).allowance_g(999) == 24  # 24.975 g


def test_bad_tolerances_and_weights_are_refused() -> None:
    with pytest.raises(InvalidTolerance):
        WeighTolerance(absolute_g=None, percent=None)
    with pytest.raises(InvalidTolerance):
        WeighTolerance(absolute_g=-1)
    with pytest.raises(InvalidTolerance):
        WeighTolerance(percent=101)
    with pytest.raises(InvalidWeight):
        check_weight(1_000, -5)
    with pytest.raises(InvalidWeight):
        expected_weight([WeighedItem("X", -1, 1)])


@given(st.integers(0, 50_000), st.integers(0, 50_000), st.integers(0, 500), st.integers(0, 20))
def test_the_verdict_is_ok_exactly_when_the_difference_is_within_the_allowance(
    expected: int, measured: int, absolute: int, percent: int
) -> None:
    tolerance = WeighTolerance(absolute_g=absolute, percent=percent)

    result = check_weight(expected, measured, tolerance)

    exact_allowance = max(Decimal(absolute), Decimal(expected) * percent / 100)
    assert result.ok == (abs(measured - expected) <= exact_allowance)
    assert result.difference_g == measured - expected
