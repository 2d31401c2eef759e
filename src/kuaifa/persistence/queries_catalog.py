"""The catalogue pages' reads: one SKU with its bundle components, and a warehouse's counts for a stocktake."""

from typing import NamedTuple

from kuaifa.persistence.models import BundleComponent, Sku, StockLevel, Warehouse


class ComponentRow(NamedTuple):
    code: str
    name: str
    quantity: int  # units per bundle


class WarehouseRow(NamedTuple):
    code: str
    name: str


class CountRow(NamedTuple):
    """A SKU on the stocktake sheet with what the books say."""

    code: str
    name: str
    on_hand: int
    reserved: int


def sku_with_components(code: str) -> tuple[Sku, list[ComponentRow]] | None:
    """The SKU and, for a bundle, its direct components (code, name, units per bundle) in code order."""
    sku = Sku.objects.filter(code=code).first()
    if sku is None:
        return None
    components = (
        BundleComponent.objects.filter(bundle=sku)
        .order_by("component__code")
        .values_list("component__code", "component__name", "quantity")
    )
    return sku, [ComponentRow(*row) for row in components]


def bundles_by_code(codes: list[str]) -> dict[str, list[str]]:
    """For the listed bundles: ``COMPONENT ×n`` per component, in one query."""
    found: dict[str, list[str]] = {}
    for bundle, component, quantity in (
        BundleComponent.objects.filter(bundle__code__in=codes)
        .order_by("bundle__code", "component__code")
        .values_list("bundle__code", "component__code", "quantity")
    ):
        found.setdefault(bundle, []).append(f"{component} ×{quantity}")
    return found


def warehouses() -> list[WarehouseRow]:
    return [WarehouseRow(*row) for row in Warehouse.objects.order_by("priority", "code").values_list("code", "name")]


def count_sheet(warehouse: str, search: str = "", limit: int = 500) -> list[CountRow]:
    """Plain SKUs (bundles hold no stock) with what the books say is in ``warehouse``: on hand and reserved."""
    books = {
        code: (on_hand, reserved)
        for code, on_hand, reserved in StockLevel.objects.filter(warehouse__code=warehouse).values_list(
            "sku__code", "on_hand", "reserved"
        )
    }
    query = Sku.objects.filter(is_bundle=False)
    if search:
        query = query.filter(code__icontains=search) | query.filter(name__icontains=search)
    return [
        CountRow(code, name, *books.get(code, (0, 0)))
        for code, name in query.order_by("code").values_list("code", "name")[:limit]
    ]
