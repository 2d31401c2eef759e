"""Carrier choice for an order, explained: the merchant's tariffs, the parcel's weight, the buyer's wishes.

The destination province comes from the order; the weight from the SKU master (bundles expanded; SKUs without a
weight are named); carriers the buyer refused in the memo ("不要发韵达") are excluded; each carrier's on-time rate
for that province, when the merchant recorded one, weighs in as the domain's rules say. Every candidate is listed
with its cost or why it was excluded.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, transaction

from kuaifa.domain.carriers.catalog import canonical_code
from kuaifa.domain.carriers.choice import (
    CarrierChoice,
    ChoiceRules,
    InvalidTariff,
    TariffRow,
    choose_carrier,
    exclusions_from_memo,
    on_time_for,
    tariffs_from_rows,
)
from kuaifa.domain.carriers.timeliness import OnTimeRate, on_time_rates
from kuaifa.domain.fulfilment.weighing import WeighedItem, expected_weight
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import CarrierTariff, Order
from kuaifa.persistence.queries import order_contents
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.timeliness import carrier_timeliness


class TariffRowRefused(DomainError):
    code = "carrier.invalid_tariff_row"
    template = "Row %(row)s of the tariff sheet: %(reason)s. Nothing was imported; the previous tariffs stay."


@transaction.atomic(durable=True)
def import_tariffs(rows: Sequence[TariffRow], *, now: datetime) -> int:
    """Replace the tariff table with these rows, all or none: in one transaction the previous table goes and each
    row is checked in sheet order (with the domain's rules, against the rows of its carrier before it) and written.
    The first row refused, by the rules or by the database, is named by its row number and rolls everything back:
    the rows before it are not kept and the previous table stays."""
    if not rows:
        raise InvalidInput(field="file", reason=Text("the tariff sheet has no rows"))
    CarrierTariff.objects.all().delete()
    by_carrier: dict[str, list[TariffRow]] = {}
    for r in rows:
        earlier = by_carrier.setdefault(r.carrier_code, [])
        try:
            tariffs_from_rows([*earlier, r])  # a province twice for one carrier, a second catch-all …
        except InvalidTariff as refused:
            raise TariffRowRefused(row=r.row, reason=Text(refused.template, **refused.params)) from None
        earlier.append(r)
        try:
            CarrierTariff.objects.create(
                carrier_code=r.carrier_code, provinces=list(r.provinces), first_weight_g=r.first_weight_g,
                first_fee=r.first_fee_fen, step_weight_g=r.step_weight_g, step_fee=r.step_fee_fen,
                max_weight_g=r.max_weight_g, on_time_percent=r.on_time_percent, updated_at=now,
            )  # fmt: skip
        except DatabaseError as refused:
            reason = Text("the database refused it (%(error)s)", error=" ".join(str(refused).split()))
            raise TariffRowRefused(row=r.row, reason=reason) from None
    return len(rows)


def stored_rows() -> list[TariffRow]:
    return [
        TariffRow(t.id, t.carrier_code, tuple(t.provinces), t.first_weight_g, t.first_fee, t.step_weight_g,
                  t.step_fee, t.max_weight_g, t.on_time_percent)
        for t in CarrierTariff.objects.order_by("id")
    ]  # fmt: skip


@dataclass(frozen=True)
class OrderCarrierChoice:
    order_sn: str
    choice: CarrierChoice
    weight_g: int
    unknown_weights: tuple[str, ...]
    buyer_excluded: frozenset[str]
    on_time_sources: dict[str, OnTimeRate] = field(default_factory=dict)  # measured from traces, or typed


DEFAULT_RULES = ChoiceRules()
MIN_MEASURED_PARCELS = 20


def choose_for_order(
    order_id: int, *, rules: ChoiceRules = DEFAULT_RULES, packing_g: int = 0, now: datetime | None = None,
    min_parcels: int = MIN_MEASURED_PARCELS,
) -> OrderCarrierChoice:  # fmt: skip
    """The carrier for an order. With ``now``, each carrier's on-time rate to the destination is measured from the
    traces of the last 60 days when at least ``min_parcels`` were counted; otherwise the merchant's typed rate."""
    order = Order.objects.filter(id=order_id).first()
    if order is None:
        raise NotFound(kind="order", key=order_id)
    rows = stored_rows()
    if not rows:
        raise InvalidInput(
            field="tariffs", reason=Text("no carrier tariffs yet: import a sheet with `kuaifa carrier tariffs`")
        )
    contents = order_contents([order.id])[order.id]
    weight = expected_weight(
        (WeighedItem(u.sku_code, u.weight_g, u.quantity) for u in contents.units), packing_material_g=packing_g
    )
    excluded = exclusions_from_memo(order.buyer_memo)
    measured = carrier_timeliness(now=now, province=order.province) if now is not None else []
    typed = {canonical_code(code): pct for code, pct in on_time_for(rows, order.province).items()}
    rates = on_time_rates(measured, typed, order.province, min_parcels=min_parcels)
    choice = choose_carrier(
        province=order.province, weight_g=weight.grams, tariffs=tariffs_from_rows(rows), buyer_excluded=excluded,
        on_time={code: rate.percent for code, rate in rates.items()}, rules=rules,
    )  # fmt: skip
    return OrderCarrierChoice(order.order_sn, choice, weight.grams, tuple(weight.unknown_skus), excluded, rates)
