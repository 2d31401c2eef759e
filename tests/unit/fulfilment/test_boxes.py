"""Box choice: the smallest box the items are shown to fit in, by rotation, weight, fill and a real arrangement."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuaifa.domain.fulfilment.boxes import (
    Box,
    FitFailure,
    InvalidBox,
    InvalidFillPercent,
    InvalidPackItem,
    NothingToPack,
    PackItem,
    Placement,
    box_order,
    check_fit,
    choose_box,
)

SMALL = Box("S", 200, 150, 100, max_load_g=2_000, price_fen=80, weight_g=60)
MEDIUM = Box("M", 300, 200, 150, max_load_g=5_000, price_fen=120, weight_g=110)
LARGE = Box("L", 400, 300, 250, max_load_g=10_000, price_fen=200, weight_g=200)
CATALOGUE = (LARGE, SMALL, MEDIUM)


def item(sku: str, dims: tuple[int, int, int], weight_g: int = 100, quantity: int = 1) -> PackItem:
    return PackItem(sku, *dims, weight_g=weight_g, quantity=quantity)


def assert_valid_arrangement(placements: tuple[Placement, ...], box: Box, items: list[PackItem]) -> None:
    """Independent check of the guarantee: inside the box, no overlap, every unit once, a rotation of its SKU."""
    assert len(placements) == sum(i.quantity for i in items)
    dims_of = {i.sku_code: sorted(i.dims) for i in items}
    for p in placements:
        assert sorted((p.length, p.width, p.height)) == dims_of[p.sku_code]
        assert p.x >= 0 and p.x + p.length <= box.length_mm
        assert p.y >= 0 and p.y + p.width <= box.width_mm
        assert p.z >= 0 and p.z + p.height <= box.height_mm
    for a, b in combinations(placements, 2):
        apart = (
            a.x + a.length <= b.x
            or b.x + b.length <= a.x
            or a.y + a.width <= b.y
            or b.y + b.width <= a.y
            or a.z + a.height <= b.z
            or b.z + b.height <= a.z
        )
        assert apart, (a, b)


# --- examples -----------------------------------------------------------------------------------------------------


def test_the_smallest_box_that_holds_the_items_is_chosen() -> None:
    items = [item("TEA-001", (180, 140, 40), quantity=2)]

    choice = choose_box(items, CATALOGUE)

    assert choice.box == SMALL
    assert choice.rejected == ()
    assert choice.fit is not None and choice.fit.fits
    assert_valid_arrangement(choice.fit.placements, SMALL, items)


def test_an_item_may_be_rotated_to_fit() -> None:
    standing = item("VASE-01", (90, 120, 190))  # taller than the small box, fits lying down

    assert choose_box([standing], CATALOGUE).box == SMALL


def test_too_heavy_for_the_small_box_moves_up_to_the_medium_and_says_why() -> None:
    heavy = [item("IRON-01", (100, 100, 50), weight_g=2_500)]

    choice = choose_box(heavy, CATALOGUE)

    assert choice.box == MEDIUM
    assert [(r.box.code, r.failure) for r in choice.rejected] == [("S", FitFailure.TOO_HEAVY)]


def test_an_item_longer_than_the_box_in_every_rotation_is_named() -> None:
    pole = item("POLE-01", (380, 20, 20))

    choice = choose_box([pole], CATALOGUE)

    assert choice.box == LARGE
    assert [(r.box.code, r.failure, r.detail) for r in choice.rejected] == [
        ("S", FitFailure.ITEM_TOO_LARGE, "POLE-01"),
        ("M", FitFailure.ITEM_TOO_LARGE, "POLE-01"),
    ]


def test_items_filling_more_than_the_fill_factor_need_a_bigger_box() -> None:
    # 2 × 200×150×50 fills the small box exactly: 100 % > 90 %
    exact = [item("BOOK-01", (200, 150, 50), quantity=2)]

    assert check_fit(exact, SMALL).failure is FitFailure.OVERFILLED
    assert check_fit(exact, SMALL, fill_percent=100).fits
    assert choose_box(exact, CATALOGUE).box == MEDIUM


def test_volume_alone_is_not_enough_an_arrangement_must_exist() -> None:
    # two 100 mm cubes in a 150 mm cube: 2,000,000 mm³ ≤ 90 % of 3,375,000 mm³, but any two side by side need 200 mm
    cube_box = Box("CUBE", 150, 150, 150, max_load_g=5_000)
    cubes = [item("CUBE-01", (100, 100, 100), quantity=2)]

    assert check_fit(cubes, cube_box).failure is FitFailure.NO_ARRANGEMENT


def test_nothing_fits_gives_no_box_and_every_verdict() -> None:
    huge = [item("SOFA-01", (2_000, 900, 800), weight_g=40_000)]

    choice = choose_box(huge, CATALOGUE)

    assert choice.box is None
    assert [r.box.code for r in choice.rejected] == ["S", "M", "L"]


def test_equal_volumes_go_to_the_cheaper_box_then_by_code() -> None:
    cheap = Box("B-CHEAP", 300, 200, 150, max_load_g=5_000, price_fen=90)
    dear = Box("A-DEAR", 200, 300, 150, max_load_g=5_000, price_fen=150)
    twin = Box("A-TWIN", 300, 200, 150, max_load_g=5_000, price_fen=90)

    assert choose_box([item("X", (10, 10, 10))], [dear, cheap, twin]).box == twin
    assert sorted([dear, cheap, twin], key=box_order) == [twin, cheap, dear]


def test_mixed_items_are_packed_in_layers_and_shelves_without_overlap() -> None:
    items = [
        item("A", (150, 100, 80), quantity=3),
        item("B", (60, 60, 60), quantity=5),
        item("C", (300, 40, 30)),
        item("D", (90, 90, 200), quantity=2),
    ]

    fit = check_fit(items, LARGE)

    assert fit.fits
    assert_valid_arrangement(fit.placements, LARGE, items)


def test_nothing_to_pack_is_refused() -> None:
    with pytest.raises(NothingToPack):
        choose_box([], CATALOGUE)


def test_unknown_dimensions_and_nonsense_boxes_are_refused() -> None:
    with pytest.raises(InvalidPackItem):
        PackItem("NO-DIMS", 0, 10, 10, weight_g=100)
    with pytest.raises(InvalidPackItem):
        PackItem("NONE", 10, 10, 10, weight_g=100, quantity=0)
    with pytest.raises(InvalidBox):
        Box("FLAT", 100, 100, 0, max_load_g=100)
    with pytest.raises(InvalidFillPercent):
        check_fit([item("X", (1, 1, 1))], SMALL, fill_percent=0)


# --- properties ---------------------------------------------------------------------------------------------------

side = st.integers(min_value=10, max_value=400)
item_strategy = st.builds(
    PackItem,
    sku_code=st.sampled_from(["A", "B", "C", "D"]),
    length_mm=st.integers(min_value=5, max_value=250),
    width_mm=st.integers(min_value=5, max_value=250),
    height_mm=st.integers(min_value=5, max_value=250),
    weight_g=st.integers(min_value=0, max_value=3_000),
    quantity=st.integers(min_value=1, max_value=4),
)
box_strategy = st.builds(
    Box,
    code=st.text(alphabet="BXYZ", min_size=1, max_size=3),
    length_mm=side,
    width_mm=side,
    height_mm=side,
    max_load_g=st.integers(min_value=500, max_value=20_000),
    price_fen=st.integers(min_value=0, max_value=500),
)
fill_strategy = st.integers(min_value=50, max_value=100)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(item_strategy, min_size=1, max_size=4, unique_by=lambda i: i.sku_code),
    st.lists(box_strategy, min_size=1, max_size=6),
    fill_strategy,
)
def test_the_chosen_box_fits_and_no_smaller_box_passes_the_same_check(
    items: list[PackItem], catalogue: list[Box], fill_percent: int
) -> None:
    choice = choose_box(items, catalogue, fill_percent=fill_percent)

    if choice.box is None:
        assert all(not check_fit(items, b, fill_percent=fill_percent).fits for b in catalogue)
        return
    assert choice.fit is not None and choice.fit.fits
    assert check_fit(items, choice.box, fill_percent=fill_percent).fits
    smaller = [b for b in catalogue if box_order(b) < box_order(choice.box)]
    assert all(not check_fit(items, b, fill_percent=fill_percent).fits for b in smaller)


@settings(max_examples=150, deadline=None)
@given(st.lists(item_strategy, min_size=1, max_size=4, unique_by=lambda i: i.sku_code), box_strategy, fill_strategy)
def test_a_positive_fit_always_comes_with_a_real_arrangement_within_weight_and_fill(
    items: list[PackItem], box: Box, fill_percent: int
) -> None:
    fit = check_fit(items, box, fill_percent=fill_percent)

    if fit.fits:
        assert_valid_arrangement(fit.placements, box, items)
        assert sum(i.weight_g * i.quantity for i in items) <= box.max_load_g
        assert sum(i.unit_volume_mm3 * i.quantity for i in items) * 100 <= box.volume_mm3 * fill_percent


@given(st.tuples(side, side, side), st.tuples(side, side, side))
def test_a_single_item_fits_exactly_when_some_rotation_fits(
    item_dims: tuple[int, int, int], box_dims: tuple[int, int, int]
) -> None:
    box = Box("B", *box_dims, max_load_g=1_000)

    fit = check_fit([item("ONE", item_dims, weight_g=1)], box, fill_percent=100)

    rotations_fit = all(a <= b for a, b in zip(sorted(item_dims), sorted(box_dims), strict=True))
    assert fit.fits == rotations_fit
