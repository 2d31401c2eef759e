"""Merging (合单) by shop and address key, never across shops or against a flag; splitting (拆单) into parcels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuaifa.domain.fulfilment.boxes import Box, PackItem, check_fit
from kuaifa.domain.fulfilment.merge import (
    InvalidParcelLimit,
    MergeCandidate,
    Parcel,
    SplitError,
    SplitProblem,
    address_key,
    find_merge_groups,
    normalise_text,
    split_into_parcels,
)

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def candidate(
    order_id: int,
    *,
    shop_id: int = 1,
    oaid: str = "",
    address: str = "文三路478号",
    name: str = "张三",
    phone: str = "13812345678",
    due_in: timedelta = 10 * HOUR,
    ready: bool = True,
    mergeable: bool = True,
    province: str = "浙江省",
) -> MergeCandidate:
    return MergeCandidate(
        order_id=order_id,
        order_sn=f"260301-{order_id:015d}",
        shop_id=shop_id,
        ship_by=NOW + due_in,
        open_address_id=oaid,
        province=province,
        city="杭州市",
        town="西湖区",
        address=address,
        receiver_name=name,
        receiver_phone=phone,
        ready=ready,
        mergeable=mergeable,
    )


# --- merge --------------------------------------------------------------------------------------------------------


def test_orders_with_the_same_open_address_id_in_one_shop_merge_most_urgent_first() -> None:
    later = candidate(1, oaid="OA-1", due_in=20 * HOUR)
    sooner = candidate(2, oaid="OA-1", due_in=5 * HOUR)
    elsewhere = candidate(3, oaid="OA-2")

    groups = find_merge_groups([later, sooner, elsewhere])

    assert [(g.shop_id, g.address_key, g.order_ids) for g in groups] == [(1, "oaid:OA-1", (2, 1))]
    assert groups[0].ship_by == NOW + 5 * HOUR


def test_the_open_address_id_decides_even_when_the_written_addresses_differ() -> None:
    groups = find_merge_groups(
        [candidate(1, oaid="OA-1", address="文三路478号"), candidate(2, oaid="OA-1", address="x")]
    )

    assert groups[0].order_ids == (1, 2)


def test_never_across_shops_even_at_the_same_address() -> None:
    assert find_merge_groups([candidate(1, shop_id=1, oaid="OA-1"), candidate(2, shop_id=2, oaid="OA-1")]) == ()


def test_an_order_flagged_not_mergeable_stays_alone() -> None:
    groups = find_merge_groups([candidate(1), candidate(2), candidate(3, mergeable=False)])

    assert [g.order_ids for g in groups] == [(1, 2)]


def test_a_lone_mergeable_order_beside_a_forbidden_one_forms_no_group() -> None:
    assert find_merge_groups([candidate(1), candidate(2, mergeable=False)]) == ()


def test_without_open_address_id_the_normalised_receiver_decides() -> None:
    plain = candidate(1, address="文三路478号 华星大厦", phone="13812345678")
    full_width = candidate(2, address="文三路４７８号　華星大厦".replace("華", "华"), phone="１３８１２３４５６７８")
    spaced = candidate(3, address=" 文三路 478 号华星大厦 ")

    groups = find_merge_groups([plain, full_width, spaced])

    assert [g.order_ids for g in groups] == [(1, 2, 3)]
    assert groups[0].address_key == "addr:浙江省|杭州市|西湖区|文三路478号华星大厦|张三|13812345678"


def test_two_people_at_one_address_are_not_merged() -> None:
    assert find_merge_groups([candidate(1, name="张三"), candidate(2, name="李四")]) == ()


def test_a_masked_address_proves_nothing_and_is_never_merged() -> None:
    masked = [candidate(1, address="文三路****"), candidate(2, address="文三路****")]

    assert address_key(masked[0]) is None
    assert find_merge_groups(masked) == ()


def test_an_order_with_no_address_at_all_is_never_merged() -> None:
    assert find_merge_groups([candidate(1, address=""), candidate(2, address="")]) == ()


def test_orders_not_ready_yet_are_listed_as_waiting_not_merged() -> None:
    groups = find_merge_groups([candidate(1), candidate(2), candidate(3, ready=False)])

    assert [(g.order_ids, tuple(o.order_id for o in g.waiting)) for g in groups] == [((1, 2), (3,))]


def test_one_ready_order_and_one_waiting_form_no_group() -> None:
    assert find_merge_groups([candidate(1), candidate(2, ready=False)]) == ()


def test_an_open_address_id_and_a_written_address_do_not_match_each_other() -> None:
    assert find_merge_groups([candidate(1, oaid="OA-1"), candidate(2)]) == ()


def test_normalising_folds_full_width_drops_whitespace_and_ignores_case() -> None:
    assert normalise_text(" Ａ座\t１２０１ 室\u3000") == "a座1201室"


@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.sampled_from(["OA-1", "OA-2", ""]), st.booleans(), st.booleans()),
        max_size=20,
    )
)
def test_groups_never_mix_shops_or_keys_and_hold_only_ready_mergeable_orders(
    specs: list[tuple[int, str, bool, bool]],
) -> None:
    orders = [
        candidate(i, shop_id=shop, oaid=oaid, ready=ready, mergeable=mergeable)
        for i, (shop, oaid, ready, mergeable) in enumerate(specs)
    ]
    groups = find_merge_groups(orders)

    grouped = [o.order_id for g in groups for o in g.orders]
    assert len(grouped) == len(set(grouped))
    for g in groups:
        assert len(g.orders) >= 2
        assert {o.shop_id for o in (*g.orders, *g.waiting)} == {g.shop_id}
        assert {address_key(o) for o in (*g.orders, *g.waiting)} == {g.address_key}
        assert all(o.ready and o.mergeable for o in g.orders)
        assert all(not o.ready for o in g.waiting)


# --- split --------------------------------------------------------------------------------------------------------

BIG_BOX = Box("L", 400, 300, 250, max_load_g=10_000, weight_g=200)


def test_an_order_that_fits_one_box_stays_one_parcel() -> None:
    items = [PackItem("TEA-001", 100, 100, 50, weight_g=300, quantity=4)]

    result = split_into_parcels(items, BIG_BOX)

    assert result.parcels == (Parcel(1, (("TEA-001", 4),), 1_200, 1_400),)
    assert result.ok


def test_too_heavy_for_one_parcel_is_split_so_each_parcel_stays_under_the_carrier_limit() -> None:
    items = [PackItem("RICE-5KG", 300, 200, 80, weight_g=5_000, quantity=3)]

    result = split_into_parcels(items, BIG_BOX, max_parcel_weight_g=10_500)

    assert result.parcels == (
        Parcel(1, (("RICE-5KG", 2),), 10_000, 10_200),
        Parcel(2, (("RICE-5KG", 1),), 5_000, 5_200),
    )
    assert result.errors == ()


def test_the_carrier_limit_counts_the_box_weight() -> None:
    items = [PackItem("RICE-5KG", 300, 200, 80, weight_g=5_000, quantity=2)]

    result = split_into_parcels(items, BIG_BOX, max_parcel_weight_g=10_100)  # 10,000 + 200 box > 10,100

    assert [p.items for p in result.parcels] == [(("RICE-5KG", 1),), (("RICE-5KG", 1),)]


def test_too_bulky_for_one_box_is_split_by_volume() -> None:
    # each 380×280×120 board takes half the box height; three need two boxes
    items = [PackItem("BOARD-01", 380, 280, 120, weight_g=500, quantity=3)]

    result = split_into_parcels(items, BIG_BOX, fill_percent=100)

    assert [p.items for p in result.parcels] == [(("BOARD-01", 2),), (("BOARD-01", 1),)]


def test_small_items_go_into_the_first_parcel_with_room_listed_in_the_order_of_the_lines() -> None:
    # two boards fill the first box to 10 mm below the lid; the cups ride with the third board
    items = [
        PackItem("CUP-002", 50, 50, 50, weight_g=100, quantity=2),
        PackItem("BOARD-01", 380, 280, 120, weight_g=500, quantity=3),
    ]

    result = split_into_parcels(items, BIG_BOX, fill_percent=100)

    assert result.parcels == (
        Parcel(1, (("BOARD-01", 2),), 1_000, 1_200),
        Parcel(2, (("CUP-002", 2), ("BOARD-01", 1)), 700, 900),
    )


def test_an_item_that_fits_no_box_is_reported_with_a_code_and_the_rest_still_ship() -> None:
    items = [
        PackItem("POLE-2M", 2_000, 30, 30, weight_g=800),
        PackItem("ANVIL", 100, 100, 100, weight_g=30_000, quantity=2),
        PackItem("TEA-001", 100, 100, 50, weight_g=300),
    ]

    result = split_into_parcels(items, BIG_BOX, max_parcel_weight_g=20_000)

    assert result.parcels == (Parcel(1, (("TEA-001", 1),), 300, 500),)
    assert result.errors == (
        SplitError(SplitProblem.ITEM_TOO_LARGE, "POLE-2M", 1),
        SplitError(SplitProblem.ITEM_TOO_HEAVY, "ANVIL", 2),
    )
    assert not result.ok
    assert result.errors[0].code == "split.item_too_large"


def test_a_nonsense_parcel_limit_is_refused() -> None:
    with pytest.raises(InvalidParcelLimit):
        split_into_parcels([PackItem("X", 1, 1, 1, weight_g=1)], BIG_BOX, max_parcel_weight_g=0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.builds(
            PackItem,
            sku_code=st.sampled_from(["A", "B", "C"]),
            length_mm=st.integers(20, 420),
            width_mm=st.integers(20, 320),
            height_mm=st.integers(20, 260),
            weight_g=st.integers(0, 6_000),
            quantity=st.integers(1, 4),
        ),
        min_size=1,
        max_size=3,
        unique_by=lambda i: i.sku_code,
    ),
    st.integers(min_value=1_000, max_value=15_000),
)
def test_every_parcel_fits_the_box_and_the_limits_and_every_unit_is_accounted_for(
    items: list[PackItem], limit_g: int
) -> None:
    result = split_into_parcels(items, BIG_BOX, max_parcel_weight_g=limit_g)

    dims = {i.sku_code: i for i in items}
    for parcel in result.parcels:
        units = [PackItem(s, *dims[s].dims, weight_g=dims[s].weight_g, quantity=q) for s, q in parcel.items]
        assert check_fit(units, BIG_BOX).fits
        assert parcel.gross_weight_g <= limit_g
        assert parcel.content_weight_g <= BIG_BOX.max_load_g
    shipped = sum(q for p in result.parcels for _, q in p.items)
    refused = sum(e.quantity for e in result.errors)
    assert shipped + refused == sum(i.quantity for i in items)
