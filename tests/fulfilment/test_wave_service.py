"""Waves through the database: most urgent first, within the horizon, by kind, and true after an order drops out."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from kuaifa.documents.model import PickListData, PickRow
from kuaifa.documents.pick_list import render_pick_list
from kuaifa.domain.fulfilment.waves import WaveKind, WaveRule
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, Wave, WaveOrder
from kuaifa.services.labels import pick_list_data
from kuaifa.services.orders import cancel_order, hold_order
from kuaifa.services.packing import pack_order
from kuaifa.services.waves import OrderStillInFlow, create_waves, drop_stale_orders, remove_order
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import CUP_BARCODE, TEA_BARCODE, accept, status_of

pytestmark = pytest.mark.django_db

DAY = WaveRule(horizon=timedelta(hours=24))
TWO_DAYS = WaveRule(horizon=timedelta(hours=48))


def slots(wave: Wave) -> list[tuple[int, str]]:
    return list(WaveOrder.objects.filter(wave=wave).order_by("slot").values_list("slot", "order__order_sn"))


def test_the_most_urgent_orders_fill_the_first_wave_in_deadline_order(floor):
    accept(
        floor,
        make_order("later", ("TEA-001", 1), ship_in_hours=20),
        make_order("soonest", ("CUP-002", 1), ship_in_hours=2),
        make_order("overdue", ("TEA-001", 1), ship_in_hours=-1),
    )

    first, second = create_waves(WaveRule(horizon=timedelta(hours=24), max_orders=2), actor=ACTOR, now=NOW)

    assert slots(first) == [(1, "overdue"), (2, "soonest")]
    assert slots(second) == [(1, "later")]
    assert first.code.startswith("W261126-") and first.code < second.code
    assert {status_of(sn) for sn in ("later", "soonest", "overdue")} == {OrderStatus.PICKING}
    waved = OrderEvent.objects.get(order__order_sn="soonest", kind="waved")
    assert (waved.from_status, waved.to_status, waved.details) == (
        "ACCEPTED",
        "PICKING",
        {"wave": first.code, "slot": 2},
    )


def test_an_order_without_a_ship_by_is_planned_by_its_creation_and_the_shops_promise(floor):
    accept(
        floor,
        make_order("no-deadline", ("TEA-001", 1), ship_in_hours=40),
        make_order("due-in-30h", ("TEA-001", 1), ship_in_hours=30),
    )
    # created at NOW; the shop promises shipping within 48 h: due in 48 h, after the order due in 30 h
    Order.objects.filter(order_sn="no-deadline").update(ship_by=None, created_at=NOW)
    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=49)), actor=ACTOR, now=NOW)
    assert slots(wave) == [(1, "due-in-30h"), (2, "no-deadline")]

    accept(floor, make_order("old-no-deadline", ("TEA-001", 1)))
    Order.objects.filter(order_sn="old-no-deadline").update(ship_by=None, created_at=NOW - timedelta(hours=47))
    (urgent,) = create_waves(WaveRule(horizon=timedelta(hours=2)), actor=ACTOR, now=NOW)  # due in 1 h
    assert slots(urgent) == [(1, "old-no-deadline")]


def test_orders_due_after_the_horizon_wait_for_a_later_wave(floor):
    accept(
        floor,
        make_order("today", ("TEA-001", 1), ship_in_hours=23),
        make_order("later", ("TEA-001", 1), ship_in_hours=30),
    )

    (wave,) = create_waves(DAY, actor=ACTOR, now=NOW)

    assert slots(wave) == [(1, "today")]
    assert status_of("later") == OrderStatus.ACCEPTED


def test_single_item_and_multi_item_orders_are_waved_apart(floor):
    accept(
        floor,
        make_order("one-unit", ("TEA-001", 1)),
        make_order("two-units", ("TEA-001", 2)),
        make_order("bundle", ("GIFT-SET", 1)),
    )

    (singles,) = create_waves(WaveRule(horizon=timedelta(hours=48), kind=WaveKind.SINGLE), actor=ACTOR, now=NOW)
    (multis,) = create_waves(WaveRule(horizon=timedelta(hours=48), kind=WaveKind.MULTI), actor=ACTOR, now=NOW)

    assert [sn for _, sn in slots(singles)] == ["one-unit"]
    assert sorted(sn for _, sn in slots(multis)) == ["bundle", "two-units"]


def test_an_order_already_in_a_wave_is_not_waved_again(floor):
    accept(floor, make_order("a", ("TEA-001", 1)))
    create_waves(TWO_DAYS, actor=ACTOR, now=NOW)

    assert create_waves(TWO_DAYS, actor=ACTOR, now=NOW) == []
    assert WaveOrder.objects.count() == 1


def test_planning_loads_the_orders_with_the_same_queries_however_many_there_are(floor, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    accept(floor, *(make_order(f"few-{i}", ("TEA-001", 1), ("CUP-002", 1)) for i in range(3)))
    with CaptureQueriesContext(connection) as few:
        create_waves(TWO_DAYS, actor=ACTOR, now=NOW)
    accept(floor, *(make_order(f"many-{i}", ("TEA-001", 1), ("GIFT-SET", 1)) for i in range(40)))
    with CaptureQueriesContext(connection) as many:
        create_waves(TWO_DAYS, actor=ACTOR, now=NOW)

    assert len(many.captured_queries) <= len(few.captured_queries) + 2  # + the bundle lookups, never per order


def test_the_pick_list_sums_each_sku_in_bin_order_with_the_slots_that_take_it(floor):
    accept(
        floor,
        make_order("o1", ("TEA-001", 1), ("LID-003", 2), ship_in_hours=1),
        make_order("o2", ("GIFT-SET", 1), ship_in_hours=2),
    )
    (wave,) = create_waves(DAY, actor=ACTOR, now=NOW)

    info = pick_list_data(wave.code)

    assert [(r.bin_location, r.sku_code, r.quantity, r.slots) for r in info.rows] == [
        ("A-2", "CUP-002", 1, ((2, 1),)),
        ("A-10", "TEA-001", 3, ((1, 1), (2, 2))),
        ("B-1", "LID-003", 2, ((1, 2),)),
    ]
    pdf = render_pick_list(
        PickListData(info.wave_code, info.created_at, tuple(PickRow(r.bin_location, r.sku_code, r.name, r.quantity,
                                                                    r.slots) for r in info.rows), info.order_count)
    )  # fmt: skip
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert text.index("CUP-002") < text.index("TEA-001") < text.index("LID-003")
    assert wave.code in text and "#1×1" in text and "#2×2" in text


def test_a_cancelled_order_leaves_its_wave_and_the_pick_list_no_longer_needs_its_units(floor):
    accept(
        floor,
        make_order("keep", ("TEA-001", 1), ship_in_hours=1),
        make_order("gone", ("TEA-001", 2), ("CUP-002", 1), ship_in_hours=2),
        make_order("last", ("CUP-002", 1), ship_in_hours=3),
    )
    (wave,) = create_waves(DAY, actor=ACTOR, now=NOW)
    gone = WaveOrder.objects.get(order__order_sn="gone").order_id
    cancel_order(gone, actor=ACTOR, now=NOW)

    removed = remove_order(gone, actor=ACTOR, now=NOW)

    assert (removed.wave_code, removed.slot, removed.units) == (wave.code, 2, {"TEA-001": 2, "CUP-002": 1})
    assert slots(wave) == [(1, "keep"), (3, "last")]  # the others keep their slots on the wall
    rows = {r.sku_code: (r.quantity, r.slots) for r in pick_list_data(wave.code).rows}
    assert rows == {"TEA-001": (1, ((1, 1),)), "CUP-002": (1, ((3, 1),))}
    event = OrderEvent.objects.get(order_id=gone, kind="wave_removed")
    assert event.details == {"wave": wave.code, "slot": 2, "units": {"TEA-001": 2, "CUP-002": 1}}


def test_an_order_still_being_picked_is_not_removed_from_its_wave(floor):
    ids = accept(floor, make_order("busy", ("TEA-001", 1)))
    create_waves(TWO_DAYS, actor=ACTOR, now=NOW)

    with pytest.raises(OrderStillInFlow, match="hold or cancel it first"):
        remove_order(ids["busy"], actor=ACTOR, now=NOW)

    assert WaveOrder.objects.filter(order_id=ids["busy"]).exists()


def test_orders_held_after_waving_are_dropped_before_the_pick_list_is_printed(floor):
    ids = accept(floor, make_order("held", ("TEA-001", 1), ship_in_hours=1), make_order("ok", ("CUP-002", 1)))
    (wave,) = create_waves(TWO_DAYS, actor=ACTOR, now=NOW)
    hold_order(ids["held"], actor=ACTOR, now=NOW)

    dropped = drop_stale_orders(wave.id, actor=ACTOR, now=NOW)

    assert [d.order_sn for d in dropped] == ["held"]
    assert [r.sku_code for r in pick_list_data(wave.code).rows] == ["CUP-002"]


def test_a_wave_closes_when_its_last_order_is_packed_and_its_orders_may_be_waved_again_later(floor):
    ids = accept(floor, make_order("a", ("CUP-002", 1), ship_in_hours=1), make_order("b", ("CUP-002", 1)))
    (wave,) = create_waves(TWO_DAYS, actor=ACTOR, now=NOW)
    scan = dict(scans=[CUP_BARCODE], enclosures=["气泡膜"], measured_weight_g=None, box_code=None)

    pack_order(ids["a"], actor=ACTOR, now=NOW, **scan)
    wave.refresh_from_db()
    assert wave.state == Wave.State.PICKED
    pack_order(ids["b"], actor=ACTOR, now=NOW, **scan)
    wave.refresh_from_db()

    assert wave.state == Wave.State.CLOSED
    assert not WaveOrder.objects.filter(active=True).exists()
    assert TEA_BARCODE  # (the tea is not in these parcels)


def test_the_database_refuses_an_order_in_two_open_waves(floor):
    from django.db import IntegrityError, transaction

    accept(floor, make_order("a", ("TEA-001", 1)))
    (wave,) = create_waves(TWO_DAYS, actor=ACTOR, now=NOW)
    other = Wave.objects.create(code="W-OTHER", created_at=NOW, actor=ACTOR)

    with pytest.raises(IntegrityError), transaction.atomic():
        WaveOrder.objects.create(wave=other, order=WaveOrder.objects.get(wave=wave).order, slot=1)
