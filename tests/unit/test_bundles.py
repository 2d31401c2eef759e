"""One bundle expansion: leaf units, the bundles passed through, one depth rule, cycles named."""

import pytest

from kuaifa.domain.inventory.bundles import (
    MAX_BUNDLE_DEPTH,
    BundleCycle,
    BundleTooDeep,
    Expansion,
    check_graph,
    expand,
)

CATALOGUE = {
    "DELUXE": [("GIFT", 2), ("LID", 1)],
    "GIFT": [("TEA", 2), ("CUP", 1)],
}


def test_a_bundle_of_bundles_expands_to_leaf_units_and_names_every_bundle_passed() -> None:
    assert expand("DELUXE", 3, CATALOGUE) == Expansion(
        units=(("TEA", 12), ("CUP", 6), ("LID", 3)), bundles=("DELUXE", "GIFT")
    )


def test_a_plain_sku_is_its_own_leaf() -> None:
    assert expand("TEA", 5, CATALOGUE) == Expansion(units=(("TEA", 5),), bundles=())


def test_a_leaf_reached_twice_is_counted_once_with_both_quantities() -> None:
    graph = {"DUO": [("GIFT", 1), ("TEA", 3)], "GIFT": [("TEA", 2), ("CUP", 1)]}
    assert expand("DUO", 2, graph).units == (("TEA", 10), ("CUP", 2))


@pytest.mark.parametrize(
    ("graph", "root", "cycle"),
    [
        ({"A": [("A", 1)]}, "A", "A → A"),
        ({"A": [("B", 1)], "B": [("A", 2)]}, "A", "A → B → A"),
        ({"A": [("B", 1)], "B": [("C", 1)], "C": [("TEA", 1), ("B", 1)]}, "A", "B → C → B"),
    ],
)
def test_a_cycle_is_refused_naming_it(graph, root, cycle) -> None:
    with pytest.raises(BundleCycle) as caught:
        expand(root, 1, graph)
    assert caught.value.params == {"cycle": cycle}
    assert cycle in caught.value.message


def test_the_deepest_allowed_chain_expands_and_one_more_level_is_refused() -> None:
    chain = {f"L{level}": [(f"L{level + 1}", 1)] for level in range(MAX_BUNDLE_DEPTH - 1)}
    chain[f"L{MAX_BUNDLE_DEPTH - 1}"] = [("TEA", 2)]
    assert expand("L0", 1, chain).units == (("TEA", 2),)
    deeper = {"TOP": [("L0", 1)], **chain}
    with pytest.raises(BundleTooDeep) as caught:
        expand("TOP", 1, deeper)
    assert caught.value.params == {"path": "TOP → L0 → L1 → L2 → L3", "limit": MAX_BUNDLE_DEPTH}


def test_checking_a_catalogue_finds_a_cycle_not_reachable_from_the_first_bundle() -> None:
    check_graph(CATALOGUE)  # a clean catalogue passes
    with pytest.raises(BundleCycle) as caught:
        check_graph({**CATALOGUE, "X": [("Y", 1)], "Y": [("X", 1)]})
    assert caught.value.params == {"cycle": "X → Y → X"}
