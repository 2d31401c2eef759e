"""A person's hold, release and cancel decide as they did before they moved to named statements.

``services.orders`` runs each command in one transaction on named statements; ``previous_order_actions`` keeps the
ORM implementation it replaced. Both decide with ``domain.orders.person``. On the same generated catalogue, stock,
rules and orders (stored and reviewed alike), the same sequence of commands — holds, releases, cancels, orders
picked meanwhile, review runs between them — must end with the same statuses, hold and waived reasons, versions,
review marks, reservations, stock counters, events, return-to-stock tasks and refusals.

Each example builds two identical worlds side by side (shop A for the previous path, shop B for the new one, each
with its own SKUs and stock rows), as ``test_one_order_equivalence`` does. Real transactions (``transaction=True``).
"""

import itertools
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.errors import DomainError, IllegalTransition
from kuaifa.persistence.models import Order, OrderEvent, ReturnToStockTask, StockLevel, Warehouse
from kuaifa.services import orders as current
from kuaifa.services.catalog import ensure_warehouse
from kuaifa.services.errors import NotFound
from kuaifa.services.intake import ingest_orders
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW
from tests.services import previous_order_actions as previous
from tests.services import test_one_order_equivalence as worlds

STEPS = st.lists(
    st.tuples(st.sampled_from(["hold", "hold", "release", "release", "cancel", "pick", "review"]), st.integers(0, 5)),
    min_size=1,
    max_size=10,
)
NOTES = st.sampled_from(["", "客户要求改地址"])
_worlds = itertools.count()


def _run(path, step: str, order_id: int, shop_id: int, note: str) -> tuple[str, str] | None:
    """One step on one world; a refusal comes back as its code and sentence."""
    try:
        if step == "hold":
            path.hold_order(order_id, note=note, actor=ACTOR, now=NOW)
        elif step == "release":
            path.release_order(order_id, actor=ACTOR, now=NOW)
        elif step == "cancel":
            path.cancel_order(order_id, note=note, actor=ACTOR, now=NOW)
        elif step == "pick":  # the warehouse picked it (as a wave would): a hold or cancel now opens a task
            Order.objects.filter(id=order_id, status=OrderStatus.ACCEPTED).update(status=OrderStatus.PICKING)
        else:
            review_orders(actor=ACTOR, now=NOW, shop_id=shop_id)
    except DomainError as refused:
        return refused.code, str(refused)
    return None


def _tasks(shop_id: int) -> list[tuple]:
    return sorted(
        ReturnToStockTask.objects.filter(order__shop_id=shop_id).values_list(
            "order__order_sn", "from_status", "reason", "created_at", "done_at"
        )
    )


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=200 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(world=worlds.WORLD, steps=STEPS, note=NOTES)
def test_a_persons_commands_decide_as_the_previous_path_did(world, steps, note):
    ensure_warehouse()
    n = next(_worlds)
    old, new = f"A{n}-", f"B{n}-"
    old_shop, new_shop = worlds._world(old, world), worlds._world(new, world)
    Warehouse.objects.filter(code="SIDE").update(priority=200)
    for shop, prefix in ((old_shop, old), (new_shop, new)):
        ingest_orders(shop, worlds._orders(prefix, world), source="api", actor=ACTOR, now=NOW)
        review_orders(actor=ACTOR, now=NOW, shop_id=shop.id)
    ids = {
        shop.id: list(Order.objects.filter(shop=shop).order_by("order_sn").values_list("id", flat=True))
        for shop in (old_shop, new_shop)
    }

    refusals = {old_shop.id: [], new_shop.id: []}
    for step, index in steps:
        for path, shop in ((previous, old_shop), (current, new_shop)):
            order_id = ids[shop.id][index % len(ids[shop.id])]
            refusals[shop.id].append(_run(path, step, order_id, shop.id, note))

    assert refusals[new_shop.id] == refusals[old_shop.id]
    assert worlds._outcome(new_shop.id, new) == worlds._outcome(old_shop.id, old)
    assert _tasks(new_shop.id) == _tasks(old_shop.id)
    waived = {shop: dict(Order.objects.filter(shop=shop).values_list("order_sn", "waived_reasons")) for shop in ids}
    assert waived[new_shop.id] == waived[old_shop.id]


# -- a table of the commands' outcomes on one order, each on both databases ------------------------------------------


@pytest.fixture
def accepted(shop, catalog):
    from kuaifa.services.inventory import receive_stock
    from tests.factories import make_order

    receive_stock("TEA-001", 5, actor=ACTOR, now=NOW)
    ingest_orders(shop, [make_order("o1", ("TEA-001", 2))], source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    return Order.objects.get(order_sn="o1")


@pytest.mark.parametrize(
    ("steps", "status", "reasons", "reserved", "kinds", "refused"),
    [
        (["hold"], "ON_HOLD", ["manual"], 0, ["held"], None),
        (["hold", "hold"], "ON_HOLD", ["manual"], 0, ["held", "held"], None),
        (["hold", "release"], "NEW", [], 0, ["held", "released"], None),
        (["cancel"], "CANCELLED", [], 0, ["cancelled"], None),
        (["hold", "cancel"], "CANCELLED", [], 0, ["held", "cancelled"], None),
        (["release"], "ACCEPTED", [], 2, [], IllegalTransition),
        (["cancel", "hold"], "CANCELLED", [], 0, ["cancelled"], IllegalTransition),
        (["cancel", "release"], "CANCELLED", [], 0, ["cancelled"], IllegalTransition),
    ],
)
def test_each_command_on_one_order(accepted, steps, status, reasons, reserved, kinds, refused):
    commands = {
        "hold": lambda: current.hold_order(accepted.id, note="改地址", actor=ACTOR, now=NOW),
        "release": lambda: current.release_order(accepted.id, actor=ACTOR, now=NOW),
        "cancel": lambda: current.cancel_order(accepted.id, actor=ACTOR, now=NOW),
    }
    *first, last = steps
    for step in first:
        commands[step]()
    if refused is None:
        commands[last]()
    else:
        with pytest.raises(refused):
            commands[last]()

    accepted.refresh_from_db()
    assert (accepted.status, accepted.hold_reasons) == (status, reasons)
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == reserved
    events = OrderEvent.objects.filter(order=accepted).exclude(kind__in=["ingested", "reviewed"]).order_by("id")
    assert [e.kind for e in events] == kinds
    assert all(e.actor == ACTOR.stored for e in events)


def test_the_events_say_what_each_command_did(accepted):
    current.hold_order(accepted.id, note="改地址", actor=ACTOR, now=NOW)
    current.release_order(accepted.id, actor=ACTOR, now=NOW)
    current.cancel_order(accepted.id, note="买家取消", actor=ACTOR, now=NOW)

    events = (
        OrderEvent.objects.filter(order=accepted)
        .order_by("id")
        .values_list("kind", "from_status", "to_status", "details")
    )
    assert list(events)[2:] == [
        ("held", "ACCEPTED", "ON_HOLD", {"note": "改地址", "reasons": ["manual"]}),
        ("released", "ON_HOLD", "NEW", {"waived": []}),
        ("cancelled", "NEW", "CANCELLED", {"note": "买家取消", "units_released": 0}),
    ]
    accepted.refresh_from_db()
    assert accepted.version == 5  # ingested 1, reviewed, held, released, cancelled


def test_a_missing_order_is_refused_by_name(db):
    for command in (current.hold_order, current.release_order, current.cancel_order):
        with pytest.raises(NotFound) as refused:
            command(987654, actor=ACTOR, now=NOW)
        assert "987654" in str(refused.value)
