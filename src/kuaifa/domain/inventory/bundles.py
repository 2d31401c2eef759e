"""Bundles (组合装): one expansion and one depth rule for every use of a bundle.

A bundle is sold as one SKU and holds no stock: selling one consumes ``quantity`` of each component, and a
component may itself be a bundle. Allocation, explain, the pack station, labels and packing slips all see the same
thing: the leaf units (SKUs that hold stock) with their quantities, plus the bundles passed through on the way
(whose enclosures go in the parcel).

The rule: a bundle nests at most ``MAX_BUNDLE_DEPTH`` bundles deep (a bundle of plain SKUs is depth 1), and a bundle
never contains itself, directly or through other bundles. The SKU import refuses either; expansion refuses them
too, so data that slipped past the import stops one order, never a silent wrong count.

The functions work on any hashable key: SKU ids when orders are expanded, SKU codes when a sheet is checked.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from kuaifa.domain.shared.errors import DomainError

MAX_BUNDLE_DEPTH = 4

K = TypeVar("K", bound=Hashable)

#: bundle → its direct components as (component, units per bundle); a key absent (or empty) is a plain SKU
BundleGraph = Mapping[K, Sequence[tuple[K, int]]]


class BundleCycle(DomainError):
    code = "inventory.bundle_cycle"
    template = "Bundle %(cycle)s contains itself: a bundle cannot contain itself, directly or through other bundles."


class BundleTooDeep(DomainError):
    code = "inventory.bundle_too_deep"
    template = "Bundle %(path)s nests more than %(limit)s bundles deep."


def _path(path: Sequence[object]) -> str:
    return " → ".join(str(key) for key in path)


@dataclass(frozen=True, slots=True)
class Expansion(Generic[K]):
    """What selling ``quantity`` of one SKU takes: leaf units in first-seen order (repeats merged), and the bundles
    passed through (outermost first, each once)."""

    units: tuple[tuple[K, int], ...]
    bundles: tuple[K, ...]


def expand(sku: K, quantity: int, graph: BundleGraph[K]) -> Expansion[K]:
    """Expand ``quantity`` of ``sku`` to leaf units; raises ``BundleCycle`` or ``BundleTooDeep``."""
    units: dict[K, int] = {}
    bundles: dict[K, None] = {}

    def walk(key: K, count: int, path: tuple[K, ...]) -> None:
        components = graph.get(key)
        if not components:
            units[key] = units.get(key, 0) + count
            return
        if key in path:
            raise BundleCycle(cycle=_path((*path[path.index(key) :], key)))
        if len(path) >= MAX_BUNDLE_DEPTH:
            raise BundleTooDeep(path=_path((*path, key)), limit=MAX_BUNDLE_DEPTH)
        bundles.setdefault(key, None)
        for component, per_bundle in components:
            walk(component, count * per_bundle, (*path, key))

    walk(sku, quantity, ())
    return Expansion(tuple(units.items()), tuple(bundles))


def check_graph(graph: BundleGraph[K], roots: Sequence[K] | None = None) -> None:
    """Refuse a catalogue (or the part reachable from ``roots``) with a cycle or a bundle nested too deep; the
    first problem found is raised, roots taken in the given (or sorted) order so the message is stable."""
    keys = list(roots) if roots is not None else sorted(graph, key=str)
    for key in keys:
        expand(key, 1, graph)
