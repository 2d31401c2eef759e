"""Box choice (选箱): the smallest carton of the catalogue that the items are shown to fit in.

Business rule: the packer takes the smallest box — by inner volume, then price, then code — that holds the parcel.
A smaller box is cheaper and ships cheaper; a box that turns out too small costs a repack, so the check errs on the
side of a bigger box.

What :func:`check_fit` guarantees when it says a box fits (``FitResult.fits``):

1. every unit fits the box's inner dimensions in some axis-aligned orientation (any of the six rotations);
2. the units weigh at most the box's ``max_load_g`` in total;
3. the units' total volume is at most ``fill_percent`` % of the box's inner volume (room for padding);
4. an arrangement exists and is returned: every unit gets an axis-aligned position inside the box and no two units
   overlap (``FitResult.placements``, checkable by anyone).

The converse does not hold. ``fits`` False can be a false negative: the arrangement is found by a heuristic, not an
exhaustive search, and a cleverer arrangement may exist. It is never a false positive.

The heuristic ("layers of shelves", first fit decreasing): for each choice of which box axis is "up" and which floor
axis the shelves run along (six frames, tried in a fixed order), units are taken tallest first — each measured lying
on its flattest side — and each goes into the first place it fits: an existing shelf of an existing layer, else a
new shelf in an existing layer, else a new layer on top. A layer is as tall as its first unit; a shelf is as deep as
its first unit. Within a layer a unit may take any rotation no taller than the layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import permutations

from kuaifa.domain.shared.errors import DomainError, Text

#: default share of a box's inner volume the items may fill; the rest is padding and air.
DEFAULT_FILL_PERCENT = 90

Dims = tuple[int, int, int]


class InvalidBox(DomainError):
    code = "box.invalid_box"
    template = "Box %(box)s: %(reason)s"


class InvalidPackItem(DomainError):
    code = "box.invalid_item"
    template = "Item %(sku_code)s: %(reason)s"


class InvalidFillPercent(DomainError):
    code = "box.invalid_fill_percent"
    template = "The fill percentage must be a whole number from 1 to 100, not %(value)r."


class NothingToPack(DomainError):
    code = "box.nothing_to_pack"
    template = "There are no items to pack, so there is no box to choose."


@dataclass(frozen=True, slots=True)
class Box:
    """A carton type: inner dimensions in mm, the weight it may carry, its price and its own (tare) weight."""

    code: str
    length_mm: int
    width_mm: int
    height_mm: int
    max_load_g: int
    price_fen: int = 0
    weight_g: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        if min(self.length_mm, self.width_mm, self.height_mm) <= 0:
            raise InvalidBox(box=self.code, reason=Text("inner dimensions must be positive millimetres"))
        if self.max_load_g <= 0:
            raise InvalidBox(box=self.code, reason=Text("the maximum load must be positive grams"))
        if self.price_fen < 0 or self.weight_g < 0:
            raise InvalidBox(box=self.code, reason=Text("price and tare weight cannot be negative"))

    @property
    def dims(self) -> Dims:
        return (self.length_mm, self.width_mm, self.height_mm)

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@dataclass(frozen=True, slots=True)
class PackItem:
    """``quantity`` units of one SKU, each ``length × width × height`` mm and ``weight_g`` grams."""

    sku_code: str
    length_mm: int
    width_mm: int
    height_mm: int
    weight_g: int
    quantity: int = 1

    def __post_init__(self) -> None:
        if min(self.length_mm, self.width_mm, self.height_mm) <= 0:
            raise InvalidPackItem(
                sku_code=self.sku_code, reason=Text("dimensions must be known (positive millimetres)")
            )
        if self.weight_g < 0:
            raise InvalidPackItem(sku_code=self.sku_code, reason=Text("weight cannot be negative"))
        if self.quantity <= 0:
            raise InvalidPackItem(sku_code=self.sku_code, reason=Text("quantity must be at least 1"))

    @property
    def dims(self) -> Dims:
        return (self.length_mm, self.width_mm, self.height_mm)

    @property
    def unit_volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


@dataclass(frozen=True, slots=True)
class Placement:
    """One unit's position in the box: corner ``(x, y, z)`` and extent along the box's length, width, height axes."""

    sku_code: str
    x: int
    y: int
    z: int
    length: int
    width: int
    height: int


class FitFailure(StrEnum):
    ITEM_TOO_LARGE = "box.item_too_large"
    TOO_HEAVY = "box.too_heavy"
    OVERFILLED = "box.overfilled"
    NO_ARRANGEMENT = "box.no_arrangement"


@dataclass(frozen=True, slots=True)
class FitResult:
    """The verdict for one box; ``detail`` names the offending SKU for ``ITEM_TOO_LARGE``."""

    box: Box
    failure: FitFailure | None
    placements: tuple[Placement, ...] = ()
    detail: str = ""

    @property
    def fits(self) -> bool:
        return self.failure is None


@dataclass(frozen=True, slots=True)
class BoxChoice:
    """The chosen box (None: no box in the catalogue passes) and the verdict on every smaller box tried before it."""

    box: Box | None
    fit: FitResult | None
    rejected: tuple[FitResult, ...]


def check_fill_percent(fill_percent: int) -> None:
    if isinstance(fill_percent, bool) or not isinstance(fill_percent, int) or not 1 <= fill_percent <= 100:
        raise InvalidFillPercent(value=fill_percent)


def fits_in_some_orientation(item: Dims, space: Dims) -> bool:
    """A box holds one item in some rotation exactly when, both sorted, each item side ≤ the matching box side."""
    return all(a <= b for a, b in zip(sorted(item), sorted(space), strict=True))


def check_fit(items: Iterable[PackItem], box: Box, *, fill_percent: int = DEFAULT_FILL_PERCENT) -> FitResult:
    """Does ``box`` hold ``items``? See the module docstring for exactly what a positive answer guarantees."""
    check_fill_percent(fill_percent)
    items = tuple(items)
    for item in items:
        if not fits_in_some_orientation(item.dims, box.dims):
            return FitResult(box, FitFailure.ITEM_TOO_LARGE, detail=item.sku_code)
    if sum(i.weight_g * i.quantity for i in items) > box.max_load_g:
        return FitResult(box, FitFailure.TOO_HEAVY)
    if sum(i.unit_volume_mm3 * i.quantity for i in items) * 100 > box.volume_mm3 * fill_percent:
        return FitResult(box, FitFailure.OVERFILLED)
    placements = arrange(items, box.dims)
    if placements is None:
        return FitResult(box, FitFailure.NO_ARRANGEMENT)
    return FitResult(box, None, placements)


def box_order(box: Box) -> tuple[int, int, str]:
    """Smaller first: inner volume, then price, then code (so equal boxes are chosen the same way every time)."""
    return (box.volume_mm3, box.price_fen, box.code)


def choose_box(
    items: Iterable[PackItem], catalogue: Iterable[Box], *, fill_percent: int = DEFAULT_FILL_PERCENT
) -> BoxChoice:
    """The smallest box of ``catalogue`` that passes :func:`check_fit`; no smaller box passes it."""
    items = tuple(items)
    if not items:
        raise NothingToPack()
    check_fill_percent(fill_percent)
    rejected: list[FitResult] = []
    for box in sorted(catalogue, key=box_order):
        result = check_fit(items, box, fill_percent=fill_percent)
        if result.fits:
            return BoxChoice(box, result, tuple(rejected))
        rejected.append(result)
    return BoxChoice(None, None, tuple(rejected))


# --- the arrangement heuristic ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Shelf:
    y: int
    depth: int
    used_x: int = 0


@dataclass(slots=True)
class _Layer:
    z: int
    height: int
    shelves: list[_Shelf]
    used_y: int = 0


def arrange(items: Sequence[PackItem], box_dims: Dims) -> tuple[Placement, ...] | None:
    """Place every unit inside ``box_dims`` without overlap, or None when the heuristic finds no arrangement."""
    # which box axis is up, and which floor axis shelves run along: (x axis, y axis, z axis) as box axis indices
    for frame in permutations(range(3)):
        space: Dims = (box_dims[frame[0]], box_dims[frame[1]], box_dims[frame[2]])
        placed = _arrange_in_frame(items, space)
        if placed is not None:
            return tuple(_to_box_axes(p, frame) for p in placed)
    return None


def _rotations(dims: Dims) -> list[Dims]:
    """The distinct axis-aligned orientations ``(along x, along y, up)`` of a unit, in a fixed order."""
    a, b, c = dims
    return sorted({(a, b, c), (a, c, b), (b, a, c), (b, c, a), (c, a, b), (c, b, a)})


def _flattest(dims: Dims, space: Dims) -> Dims | None:
    """The orientation with the lowest height that fits ``space`` (longest side along x on a tie), if any."""
    fitting = [o for o in _rotations(dims) if o[0] <= space[0] and o[1] <= space[1] and o[2] <= space[2]]
    return min(fitting, key=lambda o: (o[2], -o[0], o)) if fitting else None


def _arrange_in_frame(items: Sequence[PackItem], space: Dims) -> list[Placement] | None:
    sx, sy, sz = space
    units: list[tuple[str, Dims, Dims]] = []  # (sku, original dims, flattest orientation in this frame)
    for item in items:
        flat = _flattest(item.dims, space)
        if flat is None:
            return None
        units.extend((item.sku_code, item.dims, flat) for _ in range(item.quantity))
    units.sort(key=lambda u: (-u[2][2], -(u[2][0] * u[2][1]), u[0]))

    layers: list[_Layer] = []
    placed: list[Placement] = []
    top = 0
    for sku, dims, flat in units:
        orientations = _rotations(dims)
        spot = _place_in_layers(layers, orientations, sx, sy)
        if spot is None:
            if top + flat[2] > sz:
                return None
            layer = _Layer(z=top, height=flat[2], shelves=[_Shelf(y=0, depth=flat[1], used_x=flat[0])], used_y=flat[1])
            layers.append(layer)
            top += flat[2]
            spot = (0, 0, layer.z, flat)
        x, y, z, (lx, ly, lz) = spot
        placed.append(Placement(sku, x, y, z, lx, ly, lz))
    return placed


def _place_in_layers(
    layers: list[_Layer], orientations: Sequence[Dims], sx: int, sy: int
) -> tuple[int, int, int, Dims] | None:
    for layer in layers:
        usable = [o for o in orientations if o[2] <= layer.height]
        for shelf in layer.shelves:
            along = [o for o in usable if o[1] <= shelf.depth and shelf.used_x + o[0] <= sx]
            if along:
                o = min(along, key=lambda o: (o[0], o))
                x = shelf.used_x
                shelf.used_x += o[0]
                return (x, shelf.y, layer.z, o)
        fresh = [o for o in usable if o[0] <= sx and layer.used_y + o[1] <= sy]
        if fresh:
            o = min(fresh, key=lambda o: (o[1], o[0], o))
            shelf = _Shelf(y=layer.used_y, depth=o[1], used_x=o[0])
            layer.shelves.append(shelf)
            layer.used_y += o[1]
            return (0, shelf.y, layer.z, o)
    return None


def _to_box_axes(p: Placement, frame: tuple[int, ...]) -> Placement:
    """Map a placement from frame axes back to the box's own (length, width, height) axes."""
    pos = [0, 0, 0]
    ext = [0, 0, 0]
    for frame_axis, box_axis in enumerate(frame):
        pos[box_axis] = (p.x, p.y, p.z)[frame_axis]
        ext[box_axis] = (p.length, p.width, p.height)[frame_axis]
    return Placement(p.sku_code, pos[0], pos[1], pos[2], ext[0], ext[1], ext[2])
