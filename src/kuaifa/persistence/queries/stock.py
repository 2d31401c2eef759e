"""Stock on the shelf per SKU and warehouse, and the ledger check of the stock invariants."""

from dataclasses import dataclass

from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from kuaifa.domain.orders.status import RESERVING
from kuaifa.persistence.models import Reservation, StockLevel, StockMove


@dataclass(frozen=True, slots=True)
class StockRow:
    sku_code: str
    sku_name: str
    warehouse_code: str
    on_hand: int
    reserved: int
    sku_incomplete: bool  # the SKU master lacks something a parcel needs (weight, size)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def stock_levels() -> list[StockRow]:
    return [
        StockRow(*row)
        for row in StockLevel.objects.order_by("sku__code", "warehouse__priority").values_list(
            "sku__code", "sku__name", "warehouse__code", "on_hand", "reserved", "sku__incomplete"
        )
    ]


@dataclass(frozen=True)
class LedgerProblem:
    what: str
    sku_code: str
    warehouse: str
    detail: str


def ledger_problems() -> list[LedgerProblem]:
    """Check the stock invariants: on_hand = Σ moves, reserved = Σ open reservations, 0 ≤ reserved ≤ on_hand,
    and no open reservation belongs to an order that should not hold stock."""
    moves = StockMove.objects.filter(stock_level=OuterRef("pk")).values("stock_level").annotate(t=Sum("quantity"))
    held = (
        Reservation.objects.filter(stock_level=OuterRef("pk"), state=Reservation.State.OPEN)
        .values("stock_level")
        .annotate(t=Sum("quantity"))
    )
    rows = StockLevel.objects.annotate(
        moved=Coalesce(Subquery(moves.values("t")[:1], output_field=IntegerField()), 0),
        held=Coalesce(Subquery(held.values("t")[:1], output_field=IntegerField()), 0),
    ).filter(~Q(on_hand=F("moved")) | ~Q(reserved=F("held")) | Q(reserved__lt=0) | Q(reserved__gt=F("on_hand")))
    problems = []
    for level in rows.values("sku__code", "warehouse__code", "on_hand", "moved", "reserved", "held"):
        sku, wh = level["sku__code"], level["warehouse__code"]
        if level["on_hand"] != level["moved"]:
            problems.append(LedgerProblem("on_hand", sku, wh, f"on_hand {level['on_hand']} ≠ Σ moves {level['moved']}"))
        if level["reserved"] != level["held"]:
            problems.append(
                LedgerProblem(
                    "reserved", sku, wh, f"reserved {level['reserved']} ≠ Σ open reservations {level['held']}"
                )
            )
        if not 0 <= level["reserved"] <= level["on_hand"]:
            problems.append(
                LedgerProblem("oversold", sku, wh, f"reserved {level['reserved']} outside 0…{level['on_hand']}")
            )
    stray = (
        Reservation.objects.filter(state=Reservation.State.OPEN)
        .exclude(order__status__in=list(RESERVING))
        .values("sku__code", "stock_level__warehouse__code", "order__order_sn", "order__status")
    )
    for row in stray:
        problems.append(
            LedgerProblem(
                "stray_reservation",
                row["sku__code"],
                row["stock_level__warehouse__code"],
                f"order {row['order__order_sn']} is {row['order__status']} but still holds stock",
            )
        )
    return problems
