"""The one-order path and the batch path decide alike (one home for the review rules).

``take_order`` stores an order and reviews it from the rows it just wrote, in one transaction, with its own reads
(shop, rules and stored copy in one statement, bundle structure only for SKUs not read as plain); the batch path
(``ingest_orders`` then ``review_orders``) reads everything back in chunks. On the same generated catalogue, stock,
rules and orders, fed to the one-order path most urgent first (the order the batch allocates in), both must end
with the same statuses, hold reasons, reservations, stock counters and events.

Each example builds two identical worlds side by side: shop A and SKUs ``A-…`` for the batch path, shop B and
``B-…`` for the one-order path (separate stock rows, so neither sees the other's reservations). Real transactions
(``transaction=True``), so the one-order path runs its own transaction on the driver, as in production.
"""

import itertools
import os
from collections import defaultdict
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.orders.canonical import CanonicalLine, CanonicalOrder, Receiver
from kuaifa.persistence.models import Order, OrderEvent, OrderLine, Reservation, Shop, StockLevel, Warehouse
from kuaifa.services.catalog import add_shop, ensure_warehouse, map_platform_sku, set_review_rules, upsert_skus
from kuaifa.services.intake import ingest_orders, take_order
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW

#: what an order line may name: plain SKUs, a bundle, a bundle of a bundle, a code nobody knows, and a listing
#: mapped only by goods id + 样式ID (no merchant code on the line)
LINE_KINDS = ("TEA", "CUP", "GIFT", "DUO", "GHOST", "LISTED")
ORDER = st.fixed_dictionaries(
    {
        "lines": st.lists(st.tuples(st.sampled_from(LINE_KINDS), st.integers(1, 3)), min_size=1, max_size=3),
        "memo": st.sampled_from(["", "", "", "请发顺丰", "加急"]),
        "risk": st.sampled_from([0, 0, 0, 1]),
        "ship_hold": st.sampled_from([False, False, False, True]),
        "pay": st.sampled_from(["normal", "normal", "normal", "zero", "huge"]),
        "address": st.sampled_from([True, True, True, False]),
    }
)
WORLD = st.fixed_dictionaries(
    {
        "orders": st.lists(ORDER, min_size=1, max_size=6),
        "stock": st.fixed_dictionaries(
            {"TEA": st.integers(0, 6), "CUP": st.integers(0, 4), "CUP2": st.integers(0, 3), "PEN": st.integers(0, 3)}
        ),
        "keywords": st.sampled_from([[], ["加急"]]),
        "max_pay": st.sampled_from([500_000, 3_000]),
    }
)
_worlds = itertools.count()


def _catalogue(prefix: str) -> None:
    """TEA, CUP, PEN plain; GIFT = 2 TEA + 1 CUP; DUO = 1 GIFT + 1 PEN (a bundle of a bundle)."""
    upsert_skus(
        [
            SkuSpec(f"{prefix}TEA"),
            SkuSpec(f"{prefix}CUP"),
            SkuSpec(f"{prefix}PEN"),
            SkuSpec(f"{prefix}GIFT", components=((f"{prefix}TEA", 2), (f"{prefix}CUP", 1))),
            SkuSpec(f"{prefix}DUO", components=((f"{prefix}GIFT", 1), (f"{prefix}PEN", 1))),
        ],
        now=NOW,
    )


def _world(prefix: str, world: dict) -> Shop:
    """A shop with this world's rules, catalogue and stock (CUP in two warehouses)."""
    shop = add_shop(f"{prefix}shop", now=NOW)
    rules = [{"code": "amount_anomaly", "params": {"min_pay_fen": 1, "max_pay_fen": world["max_pay"]}}]
    if world["keywords"]:
        rules.append({"code": "buyer_memo", "params": {"keywords": world["keywords"]}})
    set_review_rules(shop.id, rules)
    _catalogue(prefix)
    map_platform_sku(shop.id, "G-LISTED", "S-1", f"{prefix}PEN")
    for code, units in world["stock"].items():
        if units:
            sku, warehouse = ("CUP", "SIDE") if code == "CUP2" else (code, "MAIN")
            receive_stock(f"{prefix}{sku}", units, warehouse=warehouse, actor=ACTOR, now=NOW, create_warehouse=True)
    return shop


def _orders(prefix: str, world: dict) -> list[CanonicalOrder]:
    """The world's orders, most urgent first (deadline, then payment): the order the batch path allocates in."""
    orders = []
    for number, spec in enumerate(world["orders"]):
        lines = tuple(
            CanonicalLine(quantity=quantity, unit_price_fen=1000, goods_id="G-LISTED", platform_sku_id="S-1")
            if kind == "LISTED"
            else CanonicalLine(quantity=quantity, unit_price_fen=1000, outer_id=f"{prefix}{kind}", goods_name=kind)
            for kind, quantity in spec["lines"]
        )
        pay = {"normal": 1000 * sum(x.quantity for x in lines), "zero": 0, "huge": 9_000_000}[spec["pay"]]
        paid = NOW - timedelta(minutes=10 + number)
        orders.append(
            CanonicalOrder(
                order_sn=f"o{number:02d}",
                lines=lines,
                pay_amount_fen=pay,
                goods_amount_fen=pay,
                risk_control_status=spec["risk"],
                ship_hold=spec["ship_hold"],
                buyer_memo=spec["memo"],
                receiver=Receiver(province="浙江省", city="杭州市", address_mask="文**路" if spec["address"] else ""),
                paid_at=paid,
                created_at=paid,
                last_ship_time=NOW + timedelta(hours=1 + number),
                updated_at=NOW,
            )
        )
    return orders


def _outcome(shop_id: int, prefix: str) -> dict:
    """Everything review decided for a shop's orders, with the world's prefix taken off the SKU codes."""

    def plain(text: str) -> str:
        return text.replace(prefix, "")

    orders = {
        sn: (status, hold_reasons, version, due)
        for sn, status, hold_reasons, version, due in Order.objects.filter(shop_id=shop_id).values_list(
            "order_sn", "status", "hold_reasons", "version", "review_due"
        )
    }
    position = {}
    for order_sn, ids in itertools.groupby(
        OrderLine.objects.filter(order__shop_id=shop_id)
        .order_by("order__order_sn", "id")
        .values_list("order__order_sn", "id"),
        key=lambda row: row[0],
    ):
        position |= {line_id: (order_sn, index) for index, (_, line_id) in enumerate(ids)}
    reservations = sorted(
        (*position[line_id], plain(code), warehouse, quantity, state)
        for line_id, code, warehouse, quantity, state in Reservation.objects.filter(order__shop_id=shop_id).values_list(
            "line_id", "sku__code", "stock_level__warehouse__code", "quantity", "state"
        )
    )
    events = defaultdict(list)
    for sn, kind, before, after, actor, details in (
        OrderEvent.objects.filter(order__shop_id=shop_id)
        .order_by("id")
        .values_list("order__order_sn", "kind", "from_status", "to_status", "actor", "details")
    ):
        missing = {plain(code): units for code, units in details.get("missing", {}).items()}
        events[sn].append((kind, before, after, actor, {**details, "missing": missing} if missing else details))
    levels = {
        (plain(code), warehouse): (on_hand, reserved)
        for code, warehouse, on_hand, reserved in StockLevel.objects.filter(sku__code__startswith=prefix).values_list(
            "sku__code", "warehouse__code", "on_hand", "reserved"
        )
    }
    return {"orders": orders, "reservations": reservations, "events": dict(events), "stock": levels}


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=200 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(world=WORLD)
def test_one_order_at_a_time_decides_as_the_batch_does(world):
    ensure_warehouse()
    n = next(_worlds)
    batch, one = f"A{n}-", f"B{n}-"
    batch_shop, one_shop = _world(batch, world), _world(one, world)
    Warehouse.objects.filter(code="SIDE").update(priority=200)  # drawn after MAIN

    ingest_orders(batch_shop, _orders(batch, world), source="api", actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW, shop_id=batch_shop.id)
    for order in _orders(one, world):
        take_order(one_shop, order, source="api", actor=ACTOR, now=NOW)

    assert _outcome(one_shop.id, one) == _outcome(batch_shop.id, batch)
