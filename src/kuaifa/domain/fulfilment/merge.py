"""Merging orders into one parcel (合单) and splitting one order into several (拆单).

Merge rule: orders may share a parcel only when they belong to the same shop and go to the same receiver at the same
address, and every one of them is ready to pack now. The address key is PDD's ``open_address_id`` (the platform's
own merge-ship key) when the order has one; otherwise it is built from the receiver — province, city, town,
detailed address, name and phone — normalised (NFKC folds full-width characters, whitespace is dropped, letters
ignore case). Name and phone are part of the fallback key so two people at one address never share a parcel.
A masked address (containing ``*``) proves nothing, so such an order without an ``open_address_id`` is never merged.
Orders never merge across shops, nor when one of them forbids it (``mergeable=False``: a buyer request, a pre-sale,
a merchant's choice). Same-key orders that are not ready yet are listed as ``waiting``, so a person can decide to
hold the parcel for them; the rule itself never waits.

Split rule: the units of an order are put into parcels greedily (largest unit first, first parcel it fits), so that
each parcel passes :func:`kuaifa.domain.fulfilment.boxes.check_fit` in the largest box, weighs no more than the box
carries and — with the box's own weight — no more than the carrier accepts. A unit that does not fit even alone
is reported with a code and put in no parcel.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kuaifa.domain.fulfilment.boxes import DEFAULT_FILL_PERCENT, Box, PackItem, check_fill_percent, check_fit
from kuaifa.domain.shared.errors import DomainError

MASK_CHAR = "*"


@dataclass(frozen=True, slots=True)
class MergeCandidate:
    order_id: int
    order_sn: str
    shop_id: int
    ship_by: datetime
    open_address_id: str = ""
    province: str = ""
    city: str = ""
    town: str = ""
    address: str = ""  # detailed address: plaintext, or consistent ciphertext; a mask is never a key
    receiver_name: str = ""
    receiver_phone: str = ""
    ready: bool = True  # accepted, stock reserved, not held, not yet packed
    mergeable: bool = True


@dataclass(frozen=True, slots=True)
class MergeGroup:
    """Orders to pack as one parcel (most urgent first), and same-address orders not ready yet."""

    shop_id: int
    address_key: str
    orders: tuple[MergeCandidate, ...]
    waiting: tuple[MergeCandidate, ...]

    @property
    def order_ids(self) -> tuple[int, ...]:
        return tuple(o.order_id for o in self.orders)

    @property
    def ship_by(self) -> datetime:
        return min(o.ship_by for o in self.orders)


def normalise_text(value: str) -> str:
    """Fold full-width forms (NFKC), drop every whitespace character, ignore case."""
    return "".join(unicodedata.normalize("NFKC", value).split()).casefold()


def address_key(order: MergeCandidate) -> str | None:
    """The merge key of an order's destination, or None when nothing proves where it goes."""
    if order.open_address_id.strip():
        return "oaid:" + order.open_address_id.strip()
    parts = (order.province, order.city, order.town, order.address, order.receiver_name, order.receiver_phone)
    if not order.address.strip() or MASK_CHAR in normalise_text(order.address):
        return None
    return "addr:" + "|".join(normalise_text(p) for p in parts)


def find_merge_groups(candidates: Iterable[MergeCandidate]) -> tuple[MergeGroup, ...]:
    """Groups of two or more ready, mergeable orders of one shop and one address key; most urgent group first."""
    buckets: dict[tuple[int, str], list[MergeCandidate]] = {}
    for order in candidates:
        key = address_key(order)
        if key is None or not order.mergeable:
            continue
        buckets.setdefault((order.shop_id, key), []).append(order)
    groups: list[MergeGroup] = []
    for (shop_id, key), orders in buckets.items():
        ready = sorted((o for o in orders if o.ready), key=lambda o: (o.ship_by, o.order_sn))
        if len(ready) < 2:
            continue
        waiting = sorted((o for o in orders if not o.ready), key=lambda o: (o.ship_by, o.order_sn))
        groups.append(MergeGroup(shop_id, key, tuple(ready), tuple(waiting)))
    groups.sort(key=lambda g: (g.ship_by, g.orders[0].order_sn))
    return tuple(groups)


# --- split ----------------------------------------------------------------------------------------------------------


class InvalidParcelLimit(DomainError):
    code = "split.invalid_limit"
    template = "The maximum parcel weight must be positive grams, not %(value)r."


class SplitProblem(StrEnum):
    ITEM_TOO_LARGE = "split.item_too_large"  # no rotation fits the box, or the unit alone overfills it
    ITEM_TOO_HEAVY = "split.item_too_heavy"  # one unit outweighs the box's load or the carrier's parcel limit


@dataclass(frozen=True, slots=True)
class SplitError:
    code: SplitProblem
    sku_code: str
    quantity: int  # units of this SKU left out


@dataclass(frozen=True, slots=True)
class Parcel:
    number: int
    items: tuple[tuple[str, int], ...]  # (sku_code, quantity), in the order of the order's lines
    content_weight_g: int
    gross_weight_g: int  # with the box's own weight


@dataclass(frozen=True, slots=True)
class SplitResult:
    parcels: tuple[Parcel, ...]
    errors: tuple[SplitError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def split_into_parcels(
    items: Sequence[PackItem],
    box: Box,
    *,
    max_parcel_weight_g: int | None = None,
    fill_percent: int = DEFAULT_FILL_PERCENT,
) -> SplitResult:
    """Split ``items`` greedily into parcels that each fit ``box`` (the largest one) and the weight limits.

    Every unit is tried against every open parcel with a full :func:`check_fit`, so the cost grows with the square of
    the units: fine for an order (tens of units take milliseconds, 400 units about two seconds), not for a pallet.
    """
    check_fill_percent(fill_percent)
    if max_parcel_weight_g is not None and (isinstance(max_parcel_weight_g, bool) or max_parcel_weight_g <= 0):
        raise InvalidParcelLimit(value=max_parcel_weight_g)
    content_limit = box.max_load_g
    if max_parcel_weight_g is not None:
        content_limit = min(content_limit, max_parcel_weight_g - box.weight_g)

    units = [
        PackItem(i.sku_code, i.length_mm, i.width_mm, i.height_mm, i.weight_g) for i in items for _ in range(i.quantity)
    ]
    units.sort(key=lambda u: (-u.unit_volume_mm3, -u.weight_g, u.sku_code))

    refused: dict[tuple[SplitProblem, str], int] = {}
    parcels: list[list[PackItem]] = []
    for unit in units:
        if unit.weight_g > content_limit:
            problem: SplitProblem | None = SplitProblem.ITEM_TOO_HEAVY
        elif not check_fit([unit], box, fill_percent=fill_percent).fits:
            problem = SplitProblem.ITEM_TOO_LARGE
        else:
            problem = None
        if problem is not None:
            refused[(problem, unit.sku_code)] = refused.get((problem, unit.sku_code), 0) + 1
            continue
        for parcel in parcels:
            if sum(u.weight_g for u in parcel) + unit.weight_g > content_limit:
                continue
            if check_fit([*parcel, unit], box, fill_percent=fill_percent).fits:
                parcel.append(unit)
                break
        else:
            parcels.append([unit])

    order_of_sku: dict[str, int] = {}
    for n, item in enumerate(items):
        order_of_sku.setdefault(item.sku_code, n)
    result = []
    for number, parcel in enumerate(parcels, start=1):
        counts: dict[str, int] = {}
        for unit in sorted(parcel, key=lambda u: order_of_sku[u.sku_code]):
            counts[unit.sku_code] = counts.get(unit.sku_code, 0) + 1
        weight = sum(u.weight_g for u in parcel)
        result.append(Parcel(number, tuple(counts.items()), weight, weight + box.weight_g))
    errors = tuple(
        SplitError(problem, sku, qty)
        for (problem, sku), qty in sorted(refused.items(), key=lambda e: order_of_sku[e[0][1]])
    )
    return SplitResult(tuple(result), errors)
