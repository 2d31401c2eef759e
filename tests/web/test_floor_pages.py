"""The warehouse floor's pages through Django's test client: waves cut by rule with each slot's progress, the pick
list as a PDF, a wave closed only when nothing is left to pack, the packing station answering each scan with its
checklist (a wrong unit refused in one sentence with nothing saved), sealing, scan-to-ship refusing a label that is
not ours, and the return-to-stock tasks and exceptions of the day."""

import pytest

from kuaifa.persistence.models import FloorRefusal, Order, PrintLog, ReturnToStockTask, StationParcel, Wave, WaveOrder
from tests.factories import NOW, make_order
from tests.fulfilment.conftest import floor  # noqa: F401 (fixture)
from tests.fulfilment.floor import CUP_BARCODE, TEA_BARCODE, accept


@pytest.fixture
def packer(signed_in, floor):  # noqa: F811
    return signed_in("warehouse")


def _wave(packer) -> Wave:
    response = packer.post("/floor/waves/create/", {"horizon_hours": "48", "kind": "any", "max_orders": "50"})
    assert response.status_code == 302
    return Wave.objects.get()


def test_a_wave_is_cut_by_rule_and_each_slot_shows_its_progress(packer, floor):  # noqa: F811
    accept(floor, make_order("A-1", ("TEA-001", 1)), make_order("A-2", ("CUP-002", 2), ship_in_hours=2),
           make_order("A-3", ("CUP-002", 1), ship_in_hours=100))  # fmt: skip
    wave = _wave(packer)

    page = packer.get("/floor/waves/").content.decode()
    assert f'data-wave="{wave.code}"' in page
    assert page.count("data-slot=") == 2  # A-3 is due after the 48 h horizon
    assert "A-3" not in page
    assert set(Order.objects.filter(order_sn__in=["A-1", "A-2"]).values_list("status", flat=True)) == {"PICKING"}
    assert Order.objects.get(order_sn="A-3").status == "ACCEPTED"


def test_a_bad_rule_is_refused_naming_the_field_and_no_wave_is_made(packer, floor):  # noqa: F811
    accept(floor, make_order("B-1", ("TEA-001", 1)))
    response = packer.post("/floor/waves/create/", {"horizon_hours": "-3", "kind": "any"}, follow=True)
    assert "horizon_hours" in response.content.decode()
    response = packer.post("/floor/waves/create/", {"horizon_hours": "24", "kind": "triple"}, follow=True)
    assert "kind" in response.content.decode()
    assert Wave.objects.count() == 0
    assert Order.objects.get(order_sn="B-1").status == "ACCEPTED"


def test_the_pick_list_downloads_as_a_pdf_and_is_logged_a_second_time_as_a_reprint(packer, floor):  # noqa: F811
    accept(floor, make_order("C-1", ("TEA-001", 2)))
    wave = _wave(packer)

    first = packer.post("/floor/waves/pick-list/", {"wave": wave.code})
    second = packer.post("/floor/waves/pick-list/", {"wave": wave.code})

    assert first["Content-Type"] == "application/pdf" and first.content.startswith(b"%PDF")
    assert first["Content-Disposition"] == f'attachment; filename="pick-list-{wave.code}.pdf"'
    assert second.content.startswith(b"%PDF")
    assert list(PrintLog.objects.filter(kind="pick_list").values_list("reprint", flat=True)) == [False, True]


def test_a_wave_with_orders_to_pack_is_not_closed(packer, floor):  # noqa: F811
    accept(floor, make_order("D-1", ("TEA-001", 1)))
    wave = _wave(packer)

    response = packer.post("/floor/waves/close/", {"wave": wave.code}, follow=True)

    assert "wave.still_to_pack" in response.content.decode()
    assert "D-1" in response.content.decode()
    wave.refresh_from_db()
    assert wave.state == Wave.State.OPEN


def scan(client, code, station="P1"):
    return client.post("/floor/station/scan/", {"station": station, "code": code}).content.decode()


def test_the_station_answers_each_scan_and_refuses_a_wrong_unit_saving_nothing(packer, floor):  # noqa: F811
    accept(floor, make_order("E-1", ("TEA-001", 1)))
    wave = _wave(packer)

    opened = scan(packer, f"{wave.code}/1")
    assert 'data-verdict="opened"' in opened and 'data-sku="TEA-001"' in opened
    right = scan(packer, TEA_BARCODE)
    assert 'data-verdict="right"' in right
    before = list(StationParcel.objects.get(station="P1", state="open").scans)

    wrong = scan(packer, CUP_BARCODE)

    assert 'data-verdict="wrong"' in wrong and "pack.sku_not_in_order" in wrong
    assert "这件是 CUP-002，不在本包裹里，请放回。" in wrong
    assert list(StationParcel.objects.get(station="P1", state="open").scans) == before
    assert FloorRefusal.objects.get().code == "pack.sku_not_in_order"

    tapped = packer.post("/floor/station/scan/", {"station": "P1", "code": "TEA-001:说明书"}).content.decode()
    assert 'data-verdict="complete"' in tapped

    sealed = packer.post("/floor/station/seal/", {"station": "P1", "weight_g": "", "box": ""}).content.decode()
    assert 'data-verdict="sealed"' in sealed
    assert Order.objects.get(order_sn="E-1").status == "PACKED"
    assert not StationParcel.objects.filter(station="P1", state="open").exists()


def test_an_overweight_parcel_is_refused_and_stays_open_unpacked(packer, floor):  # noqa: F811
    accept(floor, make_order("F-1", ("CUP-002", 1)))
    scan(packer, "F-1")
    scan(packer, CUP_BARCODE)
    scan(packer, "气泡膜")

    refused = packer.post("/floor/station/seal/", {"station": "P1", "weight_g": "5000"}).content.decode()

    assert 'data-verdict="wrong"' in refused and "pack.weight_out_of_tolerance" in refused
    assert Order.objects.get(order_sn="F-1").status == "ACCEPTED"
    assert StationParcel.objects.filter(station="P1", state="open").count() == 1
    assert FloorRefusal.objects.get().code == "pack.weight_out_of_tolerance"


def test_scan_to_ship_refuses_a_label_that_is_not_ours_loudly(packer, floor):  # noqa: F811
    answer = packer.post("/floor/dispatch/scan/", {"code": "YT0000000000"}).content.decode()
    assert 'data-verdict="wrong"' in answer and "dispatch.unknown_label" in answer
    assert FloorRefusal.objects.get().where == "dispatch"


def test_a_return_to_stock_task_is_listed_until_done(packer, floor):  # noqa: F811
    ids = accept(floor, make_order("G-1", ("TEA-001", 1)))
    task = ReturnToStockTask.objects.create(order_id=ids["G-1"], from_status="PICKING", reason="cancelled",
                                            created_at=NOW)  # fmt: skip
    assert 'data-order="G-1"' in packer.get("/floor/exceptions/").content.decode()

    packer.post("/floor/returns/done/", {"task": str(task.id)})

    task.refresh_from_db()
    assert task.done_by == "user:warehouse" and task.done_at == NOW
    assert 'data-order="G-1"' not in packer.get("/floor/exceptions/").content.decode()


def test_the_warehouse_sees_the_floor_in_its_navigation_and_service_does_not(signed_in, floor):  # noqa: F811
    assert "/floor/station/" in signed_in("warehouse").get("/floor/waves/").content.decode()
    assert signed_in("service").get("/floor/station/").status_code == 403


def test_after_a_seal_the_waves_next_waiting_parcel_opens_and_then_the_wave_is_done(packer, floor):  # noqa: F811
    ids = accept(floor, make_order("H-1", ("CUP-002", 1), ship_in_hours=2), make_order("H-2", ("CUP-002", 1)))
    wave = _wave(packer)
    first, second = WaveOrder.objects.filter(wave=wave).order_by("slot").values_list("order_id", flat=True)
    scan(packer, f"{wave.code}/1")
    assert 'data-verdict="opened"' in scan(packer, f"{wave.code}/1")  # the open parcel's tag shows it again
    scan(packer, CUP_BARCODE)
    scan(packer, "气泡膜")
    packer.post("/floor/station/seal/", {"station": "P1", "weight_g": "", "box": "S"})

    opened = packer.post("/floor/station/next/", {"station": "P1", "after": str(first)}).content.decode()

    assert 'data-verdict="opened"' in opened
    assert StationParcel.objects.get(station="P1", state="open").order_id == second
    scan(packer, CUP_BARCODE)
    scan(packer, "气泡膜")
    packer.post("/floor/station/seal/", {"station": "P1", "weight_g": "", "box": "S"})
    done = packer.post("/floor/station/next/", {"station": "P1", "after": str(second)}).content.decode()
    assert "station.wave_done" in done
    assert sorted(ids[sn] for sn in ("H-1", "H-2")) == sorted([first, second])
    assert not StationParcel.objects.filter(station="P1", state="open").exists()
