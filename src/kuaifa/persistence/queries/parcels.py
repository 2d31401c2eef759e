"""What goes into an order's parcel (bundles expanded to their units), and the box types it may go in."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import QuerySet

from kuaifa.domain.inventory.bundles import BundleCycle, BundleTooDeep
from kuaifa.domain.inventory.bundles import expand as expand_bundle
from kuaifa.persistence.bundles import load_bundle_graph
from kuaifa.persistence.models import OrderLine, Sku


class ParcelUnit(NamedTuple):  # a tuple: 4× cheaper to build than a dataclass, and there are many
    """One physical SKU of an order (bundles expanded to their components), as the pack station needs it."""

    sku_id: int
    sku_code: str
    name: str
    spec: str
    barcode: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    bin_location: str
    enclosures: tuple[str, ...]
    quantity: int


class OrderContents(NamedTuple):
    """What goes into an order's parcel: physical units per SKU in line order, the enclosures a bundle asks for
    (they go in once per parcel), what the buyer bought as sold (bundle codes kept), and lines mapped to no SKU.
    ``problem``: why a bundle line could not be expanded (a cycle, nested too deep); the units are then incomplete
    and the order must not be picked or packed."""

    units: tuple[ParcelUnit, ...]
    parcel_enclosures: tuple[str, ...]
    sold: tuple[tuple[str, int], ...]
    unmapped: tuple[str, ...]
    problem: str = ""


class _SkuRow(NamedTuple):
    """A SKU as a parcel unit needs it (a :class:`ParcelUnit` without the quantity)."""

    sku_id: int
    sku_code: str
    name: str
    spec: str
    barcode: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    bin_location: str
    enclosures: tuple[str, ...]


#: order_id, sku_id, quantity, outer_id, goods_name (order_id None: the sentinel after the last line)
_LineRow = tuple[int | None, int | None, int, str, str]


_UNIT_FIELDS = ("id", "code", "name", "spec", "barcode", "weight_g", "length_mm", "width_mm", "height_mm",
                "bin_location", "enclosures")  # fmt: skip


def order_contents(order_ids: Iterable[int] | QuerySet[Any, Any]) -> dict[int, OrderContents]:
    """Contents of many orders with a fixed number of queries. ``order_ids``: ids, or a subquery of order ids
    (``Order.objects.filter(…).values("id")``), which keeps a 10,000-order wave out of a parameter list."""
    lines: list[_LineRow] = list(  # plain tuples, read by position: 16,000 lines make no objects
        OrderLine.objects.filter(order_id__in=order_ids)
        .order_by("order_id", "id")
        .values_list("order_id", "sku_id", "quantity", "outer_id", "goods_name")
    )
    sku_ids = {line[1] for line in lines if line[1] is not None}
    components = load_bundle_graph(sku_ids)
    sku_ids |= {component for parts in components.values() for component, _ in parts}
    base = {
        row[0]: _SkuRow._make((*row[:10], tuple(name for name in (row[10] or ()) if name.strip())))
        for row in Sku.objects.filter(id__in=sku_ids).values_list(*_UNIT_FIELDS)
    }

    def expand(sku_id: int, quantity: int, into: dict[int, int], parcel: list[str]) -> str:
        try:
            expansion = expand_bundle(sku_id, quantity, components)
        except (BundleCycle, BundleTooDeep):  # said again with SKU codes, for a person
            code = base[sku_id].sku_code
            by_code = {base[b].sku_code: [(base[c].sku_code, q) for c, q in parts] for b, parts in components.items()}
            try:
                expand_bundle(code, quantity, by_code)
            except (BundleCycle, BundleTooDeep) as error:
                return error.message
            return f"bundle {code} cannot be expanded"
        for leaf, units in expansion.units:
            into[leaf] = into.get(leaf, 0) + units
        for bundle in expansion.bundles:
            parcel.extend(base[bundle].enclosures)
        return ""

    out: dict[int, OrderContents] = {}
    made: dict[tuple[int, int], ParcelUnit] = {}  # the same SKU and quantity recur across a wave's orders

    def unit(sku_id: int, quantity: int) -> ParcelUnit:
        found = made.get((sku_id, quantity))
        if found is None:
            found = made[sku_id, quantity] = ParcelUnit(*base[sku_id], quantity)
        return found

    order_id: int | None = None
    units: dict[int, int] = {}
    parcel: list[str] = []
    sold: list[tuple[str, int]] = []
    unmapped: list[str] = []
    problem = ""
    lines.append((None, None, 0, "", ""))  # a sentinel closes the last order
    for line_order, sku_id, quantity, outer_id, goods_name in lines:
        if line_order != order_id:
            if order_id is not None:
                out[order_id] = OrderContents(
                    tuple([unit(sku, count) for sku, count in units.items()]),
                    tuple(dict.fromkeys(parcel)) if parcel else (),
                    tuple(sold),
                    tuple(unmapped),
                    problem,
                )
            order_id, units, parcel, sold, unmapped, problem = line_order, {}, [], [], [], ""
        if order_id is None:
            break
        if sku_id is None:
            unmapped.append(outer_id or goods_name)
            sold.append((outer_id or goods_name, quantity))
        elif sku_id in components:
            sold.append((base[sku_id].sku_code, quantity))
            problem = problem or expand(sku_id, quantity, units, parcel)
        else:
            sold.append((base[sku_id].sku_code, quantity))
            units[sku_id] = units.get(sku_id, 0) + quantity
    return out


@dataclass(frozen=True, slots=True)
class BoxTypeRow:
    code: str
    name: str
    length_mm: int
    width_mm: int
    height_mm: int
    max_load_g: int
    weight_g: int
    price_fen: int
    stock: int | None  # None: not counted


def box_types() -> list[BoxTypeRow]:
    from kuaifa.persistence.models import BoxType

    return [
        BoxTypeRow(*row)
        for row in BoxType.objects.order_by("length_mm", "width_mm", "height_mm", "code").values_list(
            "code", "name", "length_mm", "width_mm", "height_mm", "max_load_g", "weight_g", "price_fen", "stock"
        )
    ]
