"""The SKU master as the merchant's sheet holds it, and the structure of bundles."""

from collections import defaultdict

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.persistence.bundles import load_bundle_graph
from kuaifa.persistence.models import BundleComponent, Sku


def sku_specs() -> list[SkuSpec]:
    """The SKU master as the merchant's sheet holds it, bundles with their components."""
    components: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for bundle_id, code, quantity in BundleComponent.objects.order_by("id").values_list(
        "bundle_id", "component__code", "quantity"
    ):
        components[bundle_id].append((code, quantity))
    return [
        SkuSpec(
            code=s.code,
            name=s.name,
            spec=s.spec,
            barcode=s.barcode,
            weight_g=s.weight_g,
            length_mm=s.length_mm,
            width_mm=s.width_mm,
            height_mm=s.height_mm,
            bin_location=s.bin_location,
            enclosures=tuple(s.enclosures),
            components=tuple(components.get(s.id, ())),
        )
        for s in Sku.objects.order_by("code")
    ]


def bundle_components(sku_ids: set[int]) -> dict[int, list[tuple[int, int]]]:
    """Bundle id → its direct components (id, units per bundle), following bundles of bundles (see
    ``persistence.bundles``, the one loader)."""
    return load_bundle_graph(sku_ids)
