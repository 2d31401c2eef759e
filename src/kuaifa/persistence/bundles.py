"""The one loader of bundle structure: the components of some SKUs, followed through bundles of bundles.

One query a level, at most ``MAX_BUNDLE_DEPTH + 1`` levels: enough for the domain expansion to see a bundle nested
one level too deep (and refuse it), never an endless walk round a cycle that slipped into the database.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import NamedTuple

from kuaifa.domain.inventory.bundles import MAX_BUNDLE_DEPTH
from kuaifa.persistence.models import BundleComponent
from kuaifa.persistence.statements import select_from


class _Component(NamedTuple):
    bundle_id: int
    component_id: int
    quantity: int


_COMPONENTS = select_from(BundleComponent, _Component, "bundle_id IN %l", order_by="bundle_id, id")


def load_bundle_graph(sku_ids: Iterable[int], *, plain: Collection[int] = ()) -> dict[int, list[tuple[int, int]]]:
    """Bundle id → its direct components (component id, units per bundle), for every bundle reachable from
    ``sku_ids``; SKUs that are not bundles are absent. ``plain``: SKUs the caller read, in this transaction, as
    having no components (not read again)."""
    graph: dict[int, list[tuple[int, int]]] = defaultdict(list)
    seen = set(sku_ids)
    frontier = seen.difference(plain)
    for _ in range(MAX_BUNDLE_DEPTH + 1):
        if not frontier:
            break
        rows = _COMPONENTS.all(sorted(frontier))
        for bundle_id, component_id, quantity in rows:
            graph[bundle_id].append((component_id, quantity))
        frontier = {component_id for _, component_id, _ in rows} - seen
        seen |= frontier
    return dict(graph)
