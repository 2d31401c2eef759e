"""The floor against the simulated platform: print jobs carry each e-waybill's print data in pick order (the
merchant's own orders get Kuaifa's label), print results are logged with reprints marked, and scan-to-ship ships
a packed parcel once, uploads its number, refuses intercepted or unpacked parcels with nothing changed, and counts
per carrier what is scanned against what is expected."""

from __future__ import annotations

import random

import pytest

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.models import (
    DispatchScan,
    FloorRefusal,
    Order,
    OrderEvent,
    OutboxEntry,
    PrintLog,
    Shipment,
    Waybill,
)
from kuaifa.persistence.queries import order_contents
from kuaifa.services.dispatch_scan import DispatchRefused, dispatch_progress, dispatch_scan
from kuaifa.services.errors import NotFound
from kuaifa.services.floor_report import floor_exceptions, people_counts
from kuaifa.services.outbox import deliver
from kuaifa.services.packing import pack_order, upsert_box_type
from kuaifa.services.printing import (
    E_WAYBILL,
    KUAIFA_LABEL,
    DocumentResult,
    PrintRefused,
    print_jobs_for,
    record_print_result,
    record_print_results,
)
from kuaifa.services.waybills import issue_waybills
from kuaifa.tasks.platforms import platform_for
from tests.integration.platform_fixtures import ACTOR, Sleeps, run_together, sim_now
from tests.integration.test_waybills import _accepted, _provider, sim  # noqa: F401 (the fixture)

ZTO = 115


def _pack(order: Order, now, actor=ACTOR) -> None:
    units = order_contents([order.id])[order.id].units
    scans = [u.sku_code for u in units for _ in range(u.quantity)]
    pack_order(order.id, scans=scans, enclosures=[], measured_weight_g=None, box_code="BOX", actor=actor, now=now)


@pytest.fixture
def floor(db, sim):  # noqa: F811
    """Six accepted sim orders with ZTO waybills; the first four packed."""
    shop, accepted = _accepted(sim)
    now = sim_now(sim.state)
    upsert_box_type("BOX", length_mm=400, width_mm=300, height_mm=300, max_load_g=50000, stock=100, now=now)
    orders = accepted[:6]
    issue_waybills([o.id for o in orders], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)
    for order in orders[:4]:
        _pack(order, now, actor=Actor.user("li"))
    return shop, [Order.objects.get(id=o.id) for o in orders], now


def _code(order: Order) -> str:
    return Waybill.objects.exclude(state="cancelled").get(order=order).waybill_code


def _snapshot(order: Order) -> tuple:
    fresh = Order.objects.get(id=order.id)
    return (fresh.status, fresh.version, Shipment.objects.filter(order=order).count(), OutboxEntry.objects.count(),
            Waybill.objects.get(order=order).state, DispatchScan.objects.filter(order=order).count())  # fmt: skip


def test_print_jobs_carry_each_waybills_print_data_and_own_orders_get_kuaifas_label(floor):
    _shop, orders, _now = floor
    Order.objects.filter(id=orders[5].id).update(source=Order.Source.MANUAL)  # the merchant's own order

    jobs = print_jobs_for(orders=[orders[2].id, orders[0].id, orders[5].id], station="P1")

    assert [j.order_sn for j in jobs] == [orders[2].order_sn, orders[0].order_sn, orders[5].order_sn]
    assert [j.kind for j in jobs] == [E_WAYBILL, E_WAYBILL, KUAIFA_LABEL]
    assert jobs[0].document_id == jobs[0].waybill_code == _code(orders[2])
    assert jobs[0].print_data == Waybill.objects.get(order=orders[2]).print_data != ""
    assert jobs[2].print_data == "" and jobs[2].document_id == orders[5].order_sn
    units = order_contents([orders[2].id])[orders[2].id].units
    items = [{"sku": u.sku_code, "name": u.name, "count": u.quantity} for u in units]
    assert jobs[0].custom == {"orderSn": orders[2].order_sn, "enclosures": [], "items": items}

    Waybill.objects.filter(order=orders[4]).update(state=Waybill.State.CANCELLED)
    with pytest.raises(PrintRefused) as refused:
        print_jobs_for(orders=[orders[0].id, orders[4].id], station="P1")
    assert f"{orders[4].order_sn} has no e-waybill yet" in refused.value.params["reason"]


def test_print_results_are_logged_once_with_reprints_marked(floor):
    _shop, orders, now = floor
    code = _code(orders[0])

    def record(task, status="success", message=""):
        return record_print_result(document_id=code, task_id=task, status=status, printer="模拟面单打印机-1",
                                   station="P1", message=message, actor=ACTOR, now=now)  # fmt: skip

    failed = record("T1", "failed", "缺纸")
    first = record("T2")
    again = record("T2")  # the same notification twice
    reprint = record("T3")

    assert (failed.reprint, first.reprint, again.duplicate, reprint.reprint) == (False, False, True, True)
    rows = list(PrintLog.objects.filter(kind="e_waybill").order_by("id").values_list(
        "task_id", "status", "reprint", "printer", "station", "waybill_code", "message"))  # fmt: skip
    assert rows == [("T1", "failed", False, "模拟面单打印机-1", "P1", code, "缺纸"),
                    ("T2", "success", False, "模拟面单打印机-1", "P1", code, ""),
                    ("T3", "success", True, "模拟面单打印机-1", "P1", code, "")]  # fmt: skip
    kinds = list(
        OrderEvent.objects.filter(order=orders[0], kind__startswith="e_waybill").values_list("kind", flat=True)
    )
    assert kinds == ["e_waybill_print_failed", "e_waybill_print_success", "e_waybill_reprinted"]
    assert print_jobs_for(orders=[orders[0].id], station="P1")[0].printed_before is True


def test_scanning_a_packed_parcel_ships_it_once_and_the_platform_gets_its_number(floor, sim):  # noqa: F811
    _shop, orders, now = floor
    code = _code(orders[0])

    first = dispatch_scan(code, station="D1", actor=Actor.user("wang"), now=now)
    second = dispatch_scan(f" {code}\n", station="D1", actor=Actor.user("wang"), now=now)

    assert (first.order_sn, first.already, second.already, second.outbox_entry_id) == (
        orders[0].order_sn, False, True, None)  # fmt: skip
    assert Order.objects.get(id=orders[0].id).status == OrderStatus.SHIPPED
    assert Shipment.objects.filter(order=orders[0]).count() == 1 and DispatchScan.objects.count() == 1
    assert OutboxEntry.objects.filter(kind="ship").count() == 1
    factory = lambda s: platform_for(s, clock=sim.state.now, sleep=Sleeps(), rng=random.Random(5))  # noqa: E731
    assert deliver(first.outbox_entry_id, factory, now=now).outcome == "done"
    assert [(s.order_sn, s.logistics_id, s.tracking_number) for s in sim.state.shipments] == [
        (orders[0].order_sn, ZTO, code)]  # fmt: skip


def test_intercepted_unpacked_or_unknown_parcels_are_refused_loudly_and_nothing_changes(floor):
    _shop, orders, now = floor
    Order.objects.filter(id=orders[1].id).update(ship_hold=True)
    before = [_snapshot(orders[1]), _snapshot(orders[4])]

    with pytest.raises(DispatchRefused) as held:
        dispatch_scan(_code(orders[1]), station="D1", actor=Actor.user("wang"), now=now)
    with pytest.raises(DispatchRefused) as unpacked:
        dispatch_scan(_code(orders[4]), station="D1", actor=Actor.user("wang"), now=now)
    with pytest.raises(DispatchRefused) as unknown:
        dispatch_scan("78000000000000", station="D1", actor=Actor.user("wang"), now=now)

    assert (held.value.code, unpacked.value.code, unknown.value.code) == (
        "dispatch.intercepted", "dispatch.not_packed", "dispatch.unknown_label")  # fmt: skip
    assert (
        held.value.params["reason"] == f"停！订单 {orders[1].order_sn} 不能发出（平台已暂停发货），请把包裹拿回入库。"
    )
    assert [_snapshot(orders[1]), _snapshot(orders[4])] == before
    assert FloorRefusal.objects.filter(where="dispatch").count() == 3


def test_progress_counts_scanned_against_expected_per_carrier_and_lists_what_is_left(floor):
    _shop, orders, now = floor
    Order.objects.filter(id=orders[3].id).update(ship_hold=True)  # goes back to stock: not expected
    dispatch_scan(_code(orders[0]), actor=Actor.user("wang"), now=now)
    with pytest.raises(DispatchRefused):
        dispatch_scan(_code(orders[4]), actor=Actor.user("wang"), now=now)

    day = now.astimezone(CHINA).date()
    (zto,) = dispatch_progress(day)
    assert (zto.carrier_code, zto.expected, zto.scanned) == ("ZTO", 3, 1)
    assert set(zto.left) == {orders[1].order_sn, orders[2].order_sn}

    people = {p.actor: p for p in people_counts(day)}
    assert (people["user:li"].packed, people["user:wang"].errors) == (4, 1)
    kinds = [(e.kind, e.code) for e in floor_exceptions(day)]
    assert kinds == [("refused_scan", "dispatch.not_packed")]


@pytest.mark.django_db(transaction=True)
def test_four_desks_scanning_the_same_label_at_once_ship_it_once(floor):
    _shop, orders, now = floor
    code = _code(orders[2])

    results = run_together(
        4, lambda n: dispatch_scan(code, station=f"D{n}", actor=Actor.user(f"dispatch-{n}"), now=now)
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(r.already for r in results) == [False, True, True, True]
    assert Shipment.objects.filter(order=orders[2]).count() == 1
    assert OutboxEntry.objects.filter(kind="ship").count() == 1 and DispatchScan.objects.count() == 1
    assert OrderEvent.objects.filter(order=orders[2], kind="shipped").count() == 1


def test_a_tasks_results_are_recorded_together_or_not_at_all(floor):
    _shop, orders, now = floor
    first, second = _code(orders[0]), _code(orders[1])

    with pytest.raises(NotFound):
        record_print_results([DocumentResult(first, "success"), DocumentResult("78999999999999", "success")],
                             task_id="T9", printer="模拟面单打印机-1", station="P1", actor=ACTOR, now=now)  # fmt: skip
    assert not PrintLog.objects.exists()

    results = [DocumentResult(first, "success"), DocumentResult(second, "failed", "卡纸")]
    recorded = record_print_results(results, task_id="T9", printer="模拟面单打印机-1", station="P1", actor=ACTOR,
                                    now=now)  # fmt: skip
    assert [(r.order_sn, r.status, r.reprint) for r in recorded] == [
        (orders[0].order_sn, "success", False), (orders[1].order_sn, "failed", False)]  # fmt: skip
    assert PrintLog.objects.filter(kind="e_waybill", task_id="T9").count() == 2
