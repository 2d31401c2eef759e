"""Shops, SKUs, bundles, platform mappings and warehouses: the reference data orders are matched against."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from kuaifa.domain.inventory.bundles import check_graph
from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.orders.review import parse_rules
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import BundleComponent, PlatformSku, Reservation, Shop, Sku, StockLevel, Warehouse
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.review_due import (
    mark_due_for_catalogue_change,
    mark_due_for_codes,
    mark_due_for_listing,
    mark_due_for_shop,
)

DEFAULT_WAREHOUSE = "MAIN"


@transaction.atomic(durable=True)
def add_shop(name: str, *, platform: str = Shop.Platform.PDD, ship_by_hours: int = 48, now: datetime) -> Shop:
    """Register a shop; names are unique because every command names shops by name."""
    name = name.strip()
    if not name:
        raise InvalidInput(field="name", reason=Text("a shop needs a name"))
    if platform not in Shop.Platform.values:
        raise InvalidInput(field="platform", reason=Text("unknown platform %(platform)r", platform=platform))
    if Shop.objects.filter(name=name).exists():
        raise InvalidInput(field="name", reason=Text("a shop named %(name)r already exists", name=name))
    return Shop.objects.create(name=name, platform=platform, ship_by_hours=ship_by_hours, created_at=now)


@transaction.atomic(durable=True)
def set_review_rules(shop_id: int, rules: list[dict[str, Any]]) -> None:
    """Replace a shop's review rules after validating them (mandatory rules cannot be switched off)."""
    parse_rules(rules)
    Shop.objects.filter(id=shop_id).update(review_rules=rules)
    mark_due_for_shop(shop_id)


def ensure_warehouse(code: str = DEFAULT_WAREHOUSE, *, name: str = "") -> Warehouse:
    warehouse, _ = Warehouse.objects.get_or_create(code=code, defaults={"name": name or code})
    return warehouse


class StockedSkuCannotBecomeBundle(DomainError):
    code = "catalog.stocked_sku_cannot_become_bundle"
    template = (
        "SKU %(sku)s has %(on_hand)s unit(s) on hand and %(reserved)s reserved: it cannot become a bundle, which "
        "holds no stock of its own. Move its stock out first, or give the bundle a new code."
    )


@dataclass(frozen=True)
class SkuImportReport:
    created: int
    updated: int
    unchanged: int


_SKU_FIELDS = ("name", "spec", "barcode", "weight_g", "length_mm", "width_mm", "height_mm", "bin_location")


@transaction.atomic(durable=True)
def upsert_skus(specs: Sequence[SkuSpec], *, now: datetime) -> SkuImportReport:
    """Create or update SKUs from the merchant's master sheet, all or nothing.

    A SKU written by the merchant is complete (no longer flagged as auto-created). Bundle components must name
    SKUs in the sheet or already known; a row without components is a plain SKU. The catalogue the sheet leaves
    behind (sheet + what is already stored) is checked as a whole: a bundle that contains itself, directly or
    through other bundles (``A → B → A``), or nests deeper than the bundle rule allows is refused, and so is a SKU
    with stock or reservations that the sheet would turn into a bundle.
    """
    _check_bundle_graph(specs)
    _refuse_stocked_skus_becoming_bundles(specs)
    codes = [spec.code for spec in specs]
    existing = {sku.code: sku for sku in Sku.objects.filter(code__in=codes)}
    created = updated = unchanged = 0
    for spec in specs:
        values = {field: getattr(spec, field) for field in _SKU_FIELDS}
        values |= {"enclosures": list(spec.enclosures), "is_bundle": bool(spec.components), "incomplete": False}
        sku = existing.get(spec.code)
        if sku is None:
            existing[spec.code] = Sku.objects.create(code=spec.code, created_at=now, **values)
            created += 1
        elif any(getattr(sku, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(sku, key, value)
            sku.save(update_fields=list(values))
            updated += 1
        else:
            unchanged += 1
    missing = {code for spec in specs for code, _ in spec.components} - set(existing)
    if missing:
        known = set(Sku.objects.filter(code__in=missing).values_list("code", flat=True))
        if missing - known:
            raise InvalidInput(
                field="组合明细",
                reason=Text("unknown component SKU(s): %(names)s", names=", ".join(sorted(missing - known))),
            )
        existing |= {sku.code: sku for sku in Sku.objects.filter(code__in=missing)}
    recomposed: list[int] = []
    for spec in specs:
        if not spec.components:
            if BundleComponent.objects.filter(bundle=existing[spec.code]).delete()[0]:  # the row says: plain SKU now
                recomposed.append(existing[spec.code].id)
            continue
        bundle = existing[spec.code]
        wanted = {existing[code].id: qty for code, qty in spec.components}
        have = dict(BundleComponent.objects.filter(bundle=bundle).values_list("component_id", "quantity"))
        if wanted != have:
            BundleComponent.objects.filter(bundle=bundle).delete()
            BundleComponent.objects.bulk_create(
                BundleComponent(bundle=bundle, component_id=cid, quantity=qty) for cid, qty in wanted.items()
            )
            recomposed.append(bundle.id)
    mark_due_for_codes(code for code in codes if code in existing)
    mark_due_for_catalogue_change(recomposed)
    return SkuImportReport(created, updated, unchanged)


def _check_bundle_graph(specs: Sequence[SkuSpec]) -> None:
    """The bundle structure after this sheet (its rows replace what is stored for their codes) has no cycle and no
    bundle nested too deep; raises ``BundleCycle`` / ``BundleTooDeep`` naming the codes."""
    sheet = {spec.code: list(spec.components) for spec in specs}
    graph: dict[str, list[tuple[str, int]]] = {}
    for bundle, component, quantity in BundleComponent.objects.order_by("bundle_id", "id").values_list(
        "bundle__code", "component__code", "quantity"
    ):
        if bundle not in sheet:
            graph.setdefault(bundle, []).append((component, quantity))
    graph |= {code: components for code, components in sheet.items() if components}
    check_graph(graph, roots=[*(spec.code for spec in specs if spec.components), *sorted(graph)])


def _refuse_stocked_skus_becoming_bundles(specs: Sequence[SkuSpec]) -> None:
    becoming = {spec.code for spec in specs if spec.components}
    if not becoming:
        return
    plain = dict(Sku.objects.filter(code__in=becoming, is_bundle=False).values_list("id", "code"))
    if not plain:
        return
    held: dict[int, list[int]] = {}
    for sku_id, on_hand, reserved in StockLevel.objects.filter(sku_id__in=plain).values_list(
        "sku_id", "on_hand", "reserved"
    ):
        totals = held.setdefault(sku_id, [0, 0])
        totals[0] += on_hand
        totals[1] += reserved
    open_reserved = set(
        Reservation.objects.filter(sku_id__in=plain, state=Reservation.State.OPEN).values_list("sku_id", flat=True)
    )
    for spec in specs:
        stocked = next((i for i, code in plain.items() if code == spec.code), None)
        if stocked is None:
            continue
        on_hand, reserved = held.get(stocked, [0, 0])
        if on_hand or reserved or stocked in open_reserved:
            raise StockedSkuCannotBecomeBundle(sku=spec.code, on_hand=on_hand, reserved=reserved)


@transaction.atomic(durable=True)
def map_platform_sku(shop_id: int, goods_id: str, platform_sku_id: str, sku_code: str) -> PlatformSku:
    """Say which of our SKUs a platform listing (goods id + 样式ID) is; orders held as unmapped pick it up on review."""
    sku = Sku.objects.filter(code=sku_code).first()
    if sku is None:
        raise NotFound(kind="SKU", key=sku_code)
    mapping, _ = PlatformSku.objects.update_or_create(
        shop_id=shop_id, goods_id=goods_id, platform_sku_id=platform_sku_id, defaults={"sku": sku}
    )
    mark_due_for_listing(shop_id, goods_id, platform_sku_id)
    return mapping
