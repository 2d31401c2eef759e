"""The SKU import keeps the bundle structure sound: no cycle (in one sheet or across imports), no bundle nested
deeper than the rule, no stocked SKU silently turned into a bundle; a refused sheet changes nothing."""

import pytest

from kuaifa.domain.inventory.bundles import MAX_BUNDLE_DEPTH, BundleCycle, BundleTooDeep
from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.persistence.models import BundleComponent, Sku
from kuaifa.services.catalog import StockedSkuCannotBecomeBundle, upsert_skus
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def structure() -> set[tuple[str, str, int]]:
    return set(BundleComponent.objects.values_list("bundle__code", "component__code", "quantity"))


def catalogue() -> tuple[set, set]:
    return set(Sku.objects.values_list("code", "is_bundle")), structure()


def test_a_cycle_within_one_sheet_is_refused_naming_it_and_nothing_is_stored(db):
    with pytest.raises(BundleCycle) as refused:
        upsert_skus(
            [SkuSpec("TEA"), SkuSpec("A", components=(("B", 1),)), SkuSpec("B", components=(("A", 2), ("TEA", 1)))],
            now=NOW,
        )
    assert refused.value.params == {"cycle": "A → B → A"}
    assert "A → B → A" in refused.value.message
    assert catalogue() == (set(), set())


def test_a_longer_cycle_across_imports_is_refused_and_the_stored_catalogue_is_unchanged(catalog):
    upsert_skus([SkuSpec("DUO", components=(("GIFT-SET", 1),)), SkuSpec("TRIO", components=(("DUO", 1),))], now=NOW)
    before = catalogue()

    with pytest.raises(BundleCycle) as refused:  # the new sheet only touches GIFT-SET, the cycle runs through stock
        upsert_skus([SkuSpec("GIFT-SET", components=(("TEA-001", 2), ("TRIO", 1)))], now=NOW)

    assert refused.value.params == {"cycle": "GIFT-SET → TRIO → DUO → GIFT-SET"}
    assert catalogue() == before


def test_a_bundle_nested_deeper_than_the_rule_is_refused_at_import(catalog):
    chain = [SkuSpec(f"L{n}", components=((f"L{n + 1}" if n + 1 < MAX_BUNDLE_DEPTH else "TEA-001", 1),))
             for n in range(MAX_BUNDLE_DEPTH)]  # fmt: skip
    upsert_skus(chain, now=NOW)  # L0 → L1 → L2 → L3 → TEA-001: four bundles deep, allowed
    before = catalogue()

    with pytest.raises(BundleTooDeep) as refused:
        upsert_skus([SkuSpec("TOP", components=(("L0", 1),))], now=NOW)

    assert refused.value.params == {"path": "TOP → L0 → L1 → L2 → L3", "limit": MAX_BUNDLE_DEPTH}
    assert catalogue() == before


def test_a_bundle_made_deeper_from_below_is_refused_too(catalog):
    upsert_skus(
        [
            SkuSpec("L1", components=(("GIFT-SET", 1),)),
            SkuSpec("L2", components=(("L1", 1),)),
            SkuSpec("L3", components=(("L2", 1),)),
        ],
        now=NOW,
    )  # fmt: skip  L3 → L2 → L1 → GIFT-SET: 4 deep

    with pytest.raises(BundleTooDeep) as refused:  # GIFT-SET now holds a bundle: L3 would be 5 deep
        upsert_skus([SkuSpec("PAIR", components=(("TEA-001", 2),)),
                     SkuSpec("GIFT-SET", components=(("PAIR", 1), ("CUP-002", 1)))], now=NOW)  # fmt: skip

    assert refused.value.params["path"] == "L3 → L2 → L1 → GIFT-SET → PAIR"


def test_a_sku_with_stock_cannot_become_a_bundle(shop, catalog):  # the shop fixture sets up the warehouse
    receive_stock("TEA-001", 3, actor=ACTOR, now=NOW)
    before = catalogue()

    with pytest.raises(StockedSkuCannotBecomeBundle) as refused:
        upsert_skus([SkuSpec("TEA-001", components=(("CUP-002", 2),))], now=NOW)

    assert refused.value.params == {"sku": "TEA-001", "on_hand": 3, "reserved": 0}
    assert "cannot become a bundle" in refused.value.message
    assert catalogue() == before


def test_a_sku_with_reservations_cannot_become_a_bundle(shop, catalog):
    receive_stock("CUP-002", 1, actor=ACTOR, now=NOW)
    ingest_orders(shop, [make_order("o1", ("CUP-002", 1))], source="api", actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)

    with pytest.raises(StockedSkuCannotBecomeBundle) as refused:
        upsert_skus([SkuSpec("CUP-002", components=(("TEA-001", 1),))], now=NOW)

    assert refused.value.params == {"sku": "CUP-002", "on_hand": 1, "reserved": 1}


def test_a_sku_without_stock_may_become_a_bundle_and_a_bundle_row_without_components_is_plain_again(catalog):
    upsert_skus([SkuSpec("LID"), SkuSpec("TEA-001", components=(("LID", 2),))], now=NOW)
    assert ("TEA-001", "LID", 2) in structure()

    upsert_skus([SkuSpec("TEA-001")], now=NOW)

    assert Sku.objects.get(code="TEA-001").is_bundle is False
    assert structure() == {("GIFT-SET", "TEA-001", 2), ("GIFT-SET", "CUP-002", 1)}
