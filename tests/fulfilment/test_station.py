"""The packing station one scan at a time, through the database: open by wave slot or order number, the running
checklist, a wrong unit refused with one sentence and nothing changed, bundles counted as their components,
enclosures by scan, sealing through the packing service, and a refused weight that saves nothing."""

from datetime import timedelta

import pytest
from django.utils import translation

from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import FloorRefusal, Order, PackRecord, StationParcel
from kuaifa.services.packing import WeightOutOfTolerance
from kuaifa.services.station import (
    COMPLETE,
    OPENED,
    RIGHT,
    ChecklistLine,
    EnclosureLine,
    StationRefused,
    current_parcel,
    open_parcel,
    put_aside,
    scan_unit,
    seal_parcel,
)
from kuaifa.services.waves import create_waves
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import CUP_BARCODE, TEA_BARCODE, accept, status_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def scan(barcode, station="P1"):
    return scan_unit(station, barcode, actor=ACTOR, now=NOW)


def parcel_state(station="P1"):
    parcel = StationParcel.objects.get(station=station, state="open")
    return list(parcel.scans), list(parcel.enclosures)


def test_a_parcel_opens_by_wave_slot_and_each_scan_answers_the_running_checklist(floor):
    ids = accept(floor, make_order("A-1", ("TEA-001", 2)), make_order("A-2", ("CUP-002", 1), ship_in_hours=2))
    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=48)), actor=ACTOR, now=NOW)

    view = open_parcel("P1", f"{wave.code}/2", actor=ACTOR, now=NOW)
    assert (view.order_sn, view.slot, view.verdict) == ("A-1", 2, OPENED)
    assert view.lines == (ChecklistLine("TEA-001", "绿茶", 2, 0),)
    assert view.enclosures == (EnclosureLine("TEA-001", "说明书", False),)
    assert view.suggested_box == "M"  # two tea tins, 150 mm tall: S is too low

    first = scan(TEA_BARCODE)
    assert (first.verdict, first.lines[0].scanned, first.reason) == (RIGHT, 1, "TEA-001：已扫 1 / 2。")
    second = scan(TEA_BARCODE)
    assert (second.verdict, second.lines[0].scanned) == (RIGHT, 2)  # the manual is still to add
    done = scan("说明书")
    assert done.verdict == COMPLETE and done.enclosures == (EnclosureLine("TEA-001", "说明书", True),)
    assert ids["A-1"] == done.order_id


def test_a_wrong_unit_is_refused_in_one_chinese_sentence_and_changes_nothing(floor):
    accept(floor, make_order("B-1", ("TEA-001", 1)))
    open_parcel("P1", "B-1", actor=ACTOR, now=NOW)
    scan(TEA_BARCODE)
    before = parcel_state()

    with pytest.raises(StationRefused) as refused:
        scan(CUP_BARCODE)
    assert refused.value.code == "pack.sku_not_in_order"
    assert refused.value.params["reason"] == "这件是 CUP-002，不在本包裹里，请放回。"
    with pytest.raises(StationRefused) as again:
        scan(TEA_BARCODE)  # one too many
    assert again.value.code == "pack.quantity_complete"

    assert parcel_state() == before
    assert list(FloorRefusal.objects.values_list("code", "barcode", "actor")) == [
        ("pack.sku_not_in_order", CUP_BARCODE, ACTOR.stored),
        ("pack.quantity_complete", TEA_BARCODE, ACTOR.stored),
    ]
    assert current_parcel("P1").lines[0].scanned == 1


def test_a_bundle_barcode_counts_as_its_components_all_or_none(floor):
    from kuaifa.domain.inventory.catalog import SkuSpec
    from kuaifa.services.catalog import upsert_skus

    upsert_skus([SkuSpec("GIFT-SET", name="礼盒", barcode="6900000000001", enclosures=("发票",),
                         components=(("TEA-001", 2), ("CUP-002", 1)))], now=NOW)  # fmt: skip
    accept(floor, make_order("C-1", ("GIFT-SET", 1)), make_order("C-2", ("TEA-001", 1), ("CUP-002", 1)))
    open_parcel("P1", "C-1", actor=ACTOR, now=NOW)

    view = scan("6900000000001")
    assert {(line.sku_code, line.expected, line.scanned) for line in view.lines} == {
        ("TEA-001", 2, 2),
        ("CUP-002", 1, 1),
    }
    assert parcel_state()[0] == [TEA_BARCODE, TEA_BARCODE, CUP_BARCODE]
    put_aside("P1", actor=ACTOR, now=NOW)

    open_parcel("P1", "C-2", actor=ACTOR, now=NOW)  # one TEA expected: the bundle's two do not fit
    with pytest.raises(StationRefused) as refused:
        scan("6900000000001")
    assert refused.value.code == "pack.quantity_complete"
    assert parcel_state() == ([], [])


def test_sealing_packs_through_the_packing_service_and_a_refused_weight_saves_nothing(floor):
    ids = accept(floor, make_order("D-1", ("CUP-002", 1)))
    open_parcel("P1", "D-1", actor=ACTOR, now=NOW)
    scan(CUP_BARCODE)
    assert scan("气泡膜").verdict == COMPLETE

    with pytest.raises(WeightOutOfTolerance):
        seal_parcel("P1", weight_g=900, box_code="S", actor=ACTOR, now=NOW)
    assert status_of("D-1") == OrderStatus.ACCEPTED and not PackRecord.objects.exists()
    assert FloorRefusal.objects.get().code == "pack.weight_out_of_tolerance"
    assert current_parcel("P1").order_sn == "D-1"  # still open

    result = seal_parcel("P1", weight_g=160, box_code="S", actor=ACTOR, now=NOW)
    assert (result.order_sn, result.box_code, result.verdict) == ("D-1", "S", "ok")
    assert PackRecord.objects.get(order_id=ids["D-1"]).scans == [{"barcode": CUP_BARCODE, "sku": "CUP-002"}]
    assert current_parcel("P1") is None and status_of("D-1") == OrderStatus.PACKED


def test_one_open_parcel_per_station_and_per_order_and_intercepted_orders_do_not_open(floor):
    accept(floor, make_order("E-1", ("TEA-001", 1)), make_order("E-2", ("TEA-001", 1)))
    open_parcel("P1", "E-1", actor=ACTOR, now=NOW)
    assert open_parcel("P1", "E-1", actor=ACTOR, now=NOW).order_sn == "E-1"  # scanning it again shows it

    with pytest.raises(StationRefused) as busy:
        open_parcel("P1", "E-2", actor=ACTOR, now=NOW)
    assert busy.value.code == "station.busy"
    with pytest.raises(StationRefused) as elsewhere:
        open_parcel("P2", "E-1", actor=ACTOR, now=NOW)
    assert elsewhere.value.code == "station.open_elsewhere"
    Order.objects.filter(order_sn="E-2").update(ship_hold=True)
    with pytest.raises(StationRefused) as held:
        open_parcel("P2", "E-2", actor=ACTOR, now=NOW)
    assert held.value.code == "station.intercepted"
    with pytest.raises(StationRefused) as unknown:
        open_parcel("P2", "NO-SUCH", actor=ACTOR, now=NOW)
    assert unknown.value.code == "station.nothing_found"
    assert StationParcel.objects.filter(state="open").count() == 1
    assert FloorRefusal.objects.count() == 4


def test_an_order_intercepted_while_open_refuses_further_scans_and_a_lost_seal_mark_is_repaired(floor):
    accept(floor, make_order("G-1", ("TEA-001", 2)), make_order("G-2", ("CUP-002", 1)))
    open_parcel("P1", "G-1", actor=ACTOR, now=NOW)
    scan(TEA_BARCODE)
    Order.objects.filter(order_sn="G-1").update(risk_control_status=1)

    with pytest.raises(StationRefused) as refused:
        scan(TEA_BARCODE)
    assert refused.value.code == "station.intercepted"
    assert refused.value.params["reason"] == "订单 G-1 不能打包（平台风控审核中），请把商品放回。"
    assert parcel_state() == ([TEA_BARCODE], [])
    put_aside("P1", actor=ACTOR, now=NOW)

    open_parcel("P1", "G-2", actor=ACTOR, now=NOW)
    scan(CUP_BARCODE)
    scan("气泡膜")
    from kuaifa.services.packing import pack_order

    parcel = StationParcel.objects.get(station="P1", state="open")
    pack_order(parcel.order_id, scans=parcel.scans, enclosures=parcel.enclosures, measured_weight_g=None,
               box_code="S", actor=ACTOR, now=NOW)  # sealed, but the station never heard back  # fmt: skip
    with pytest.raises(StationRefused) as packed:
        seal_parcel("P1", weight_g=None, box_code="S", actor=ACTOR, now=NOW)
    assert packed.value.code == "station.already_packed"
    assert current_parcel("P1") is None and PackRecord.objects.count() == 1
