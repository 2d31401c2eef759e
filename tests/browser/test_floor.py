"""The warehouse floor in a real browser (Debian's Chromium): a wave cut and its pick list downloaded, parcels packed
by typing barcodes into the station as a scanner would (a wrong unit, a missing enclosure and an overweight parcel
refused with nothing saved), labels taken and printed through the stand-in print component (PDFs arrive, the print
log fills), parcels scanned out, and the uploads confirmed by the simulated platform. Screenshots at 360 and 1920 px
under test-artefacts/screens."""

from __future__ import annotations

import random
import socket

import pytest

from kuaifa.persistence.models import (
    DispatchScan,
    FloorRefusal,
    Order,
    OutboxEntry,
    PackRecord,
    PrintLog,
    StationParcel,
    Wave,
    WaveOrder,
    Waybill,
)
from kuaifa.persistence.queries import order_contents
from kuaifa.platforms.sim.print_component import running_print_component
from kuaifa.services.outbox import deliver
from kuaifa.services.packing import upsert_box_type
from kuaifa.services.senders import set_sender
from kuaifa.tasks.platforms import platform_for
from tests.browser.conftest import screenshot
from tests.factories import make_order
from tests.fulfilment.conftest import floor  # noqa: F401 (fixture)
from tests.fulfilment.floor import CUP_BARCODE, TEA_BARCODE, accept
from tests.integration.platform_fixtures import Sleeps, running_sim, sim_now
from tests.integration.test_waybills import CONFIG, _accepted
from tests.web.conftest import PASSWORDS

pytestmark = pytest.mark.django_db(transaction=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def type_scan(page, code: str, verdict: str | None = None):
    """What a scanner does: type into whatever has the focus, then Enter; wait for the station's answer."""
    assert page.evaluate("document.activeElement.id") == "scan"  # nothing ever took the focus away
    page.evaluate("document.querySelector('[data-floor]').dataset.verdict = 'waiting'")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('[data-floor]').dataset.verdict !== 'waiting'")
    if verdict is not None:
        assert page.get_attribute("[data-floor]", "data-verdict") == verdict, page.inner_text("#answer")
    return page.inner_text("#answer")


def wait_answer(page, action):
    page.evaluate("document.querySelector('[data-floor]').dataset.verdict = 'waiting'")
    action()
    page.wait_for_function("document.querySelector('[data-floor]').dataset.verdict !== 'waiting'")
    return page.get_attribute("[data-floor]", "data-verdict")


def test_a_packer_with_a_handheld_packs_by_scanner_and_refusals_save_nothing(page_for, team, floor, live_server):  # noqa: F811
    accept(floor, make_order("P-1", ("TEA-001", 1)), make_order("P-2", ("CUP-002", 1), ship_in_hours=3))
    page = page_for("warehouse", PASSWORDS["warehouse"], width=360)

    page.goto(f"{live_server.url}/floor/waves/")
    page.fill("#wave-rule input[name=horizon_hours]", "48")
    page.click("#wave-rule button.primary")
    page.wait_for_load_state("networkidle")
    wave = Wave.objects.get()
    assert page.locator(f'section[data-wave="{wave.code}"] tr[data-slot]').count() == 2
    with page.expect_download() as download:
        page.click(f'section[data-wave="{wave.code}"] [data-pick-list]')
    assert download.value.path().read_bytes()[:4] == b"%PDF"
    screenshot(page, "floor-waves")

    slot = WaveOrder.objects.get(order__order_sn="P-1").slot
    page.goto(f"{live_server.url}/floor/station/?station=H1")
    assert "P-1" in type_scan(page, f"{wave.code}/{slot}", "opened")
    wrong = type_scan(page, CUP_BARCODE, "wrong")
    assert "这件是 CUP-002，不在本包裹里，请放回。" in wrong
    assert page.evaluate("document.body.dataset.lastTone") == "wrong"
    assert list(StationParcel.objects.get(station="H1", state="open").scans) == []
    type_scan(page, TEA_BARCODE, "right")
    assert page.evaluate("document.body.dataset.lastTone") == "right"
    assert page.inner_text('tr[data-sku="TEA-001"]').split()[-2:] == ["1", "1"]

    page.fill("#weight", "410")  # sealing before the manual is in: refused
    assert wait_answer(page, lambda: page.click("#seal")) == "wrong"
    assert "说明书" in page.inner_text("#answer")
    page.click("[data-enclosure]")  # tap the enclosure
    page.wait_for_function("document.querySelector('[data-floor]').dataset.verdict === 'complete'")
    assert page.evaluate("document.body.dataset.lastTone") == "complete"
    screenshot(page, "floor-station")

    overweight = type_scan(page, "5000", "wrong")  # complete: the one input now takes the weight
    assert "pack.weight_out_of_tolerance" in overweight
    assert Order.objects.get(order_sn="P-1").status == "PICKING" and PackRecord.objects.count() == 0

    type_scan(page, "410", "sealed")
    assert Order.objects.get(order_sn="P-1").status == "PACKED"
    page.wait_for_function("document.querySelector('[data-floor]').dataset.printing === ''")
    assert "没有取号" in page.inner_text("#print-status")  # no sender stored and no carrier: said, nothing printed
    assert PrintLog.objects.filter(kind__in=["e_waybill", "label"]).count() == 0
    assert page.get_attribute("[data-floor]", "data-verdict") == "opened"  # the wave's next parcel opened by itself
    assert "P-2" in page.inner_text("#answer")
    assert StationParcel.objects.get(station="H1", state="open").order.order_sn == "P-2"

    page.goto(f"{live_server.url}/floor/exceptions/")
    kinds = [page.get_attribute(f"#exceptions tbody tr:nth-child({n})", "data-kind") for n in (1, 2)]
    assert sorted(kinds) == ["overweight", "refused_scan"]  # the early seal was refused but is no floor error
    assert page.inner_text('#people tr[data-actor="user:warehouse"]').split()[1:] == ["2", "1", "2"]
    assert FloorRefusal.objects.count() == 2
    screenshot(page, "floor-exceptions")


@pytest.fixture
def sim():
    moment = lambda shop: shop.start_ts + 18 * 3600  # noqa: E731
    with running_sim(CONFIG, now=moment, check_timestamp=False) as server:
        yield server


def test_a_wave_is_packed_printed_through_the_component_and_scanned_out_to_the_platform(
    page_for, team, live_server, sim, tmp_path, monkeypatch
):
    shop, _accepted_orders = _accepted(sim)
    now = sim_now(sim.state)
    monkeypatch.setenv("KUAIFA_NOW", now.isoformat())
    set_sender(shop.name, now=now, name="快发测试仓", mobile="13800000000", province="浙江省", city="杭州市",
               district="余杭区", detail="文一西路1号")  # fmt: skip
    upsert_box_type("BOX", length_mm=400, width_mm=300, height_mm=300, max_load_g=50000, stock=100, now=now)
    page = page_for("warehouse", PASSWORDS["warehouse"], width=1920)

    page.goto(f"{live_server.url}/floor/waves/")
    page.select_option("#wave-rule select[name=shop]", str(shop.id))
    page.fill("#wave-rule input[name=max_orders]", "3")
    page.click("#wave-rule button.primary")
    page.wait_for_load_state("networkidle")
    wave = Wave.objects.order_by("code").first()  # the most urgent of the waves of three
    members = list(WaveOrder.objects.filter(wave=wave).order_by("slot").values_list("slot", "order_id"))
    assert len(members) == 3

    page.goto(f"{live_server.url}/floor/print/?station=P1")  # no component running yet
    page.fill("#component-port", str(free_port()))
    page.dispatch_event("#component-port", "change")
    page.select_option("#carrier", "ZTO")
    page.click(f'[data-print-wave="{wave.code}"]')
    page.wait_for_function("document.querySelector('#print-message').dataset.verdict === 'wrong'")
    assert page.inner_text("#print-message").startswith("无法连接打印组件")
    assert "没有面单被标记为已打印" in page.inner_text("#print-message")
    assert PrintLog.objects.filter(kind="e_waybill").count() == 0  # numbers were taken (取号), nothing printed
    assert Waybill.objects.filter(order_id__in=[o for _, o in members]).count() == 3

    with running_print_component(tmp_path / "printed") as component:
        page.goto(f"{live_server.url}/floor/print/?station=P1")
        page.fill("#component-port", str(component.port))
        page.dispatch_event("#component-port", "change")
        page.click("#find-printers")
        page.wait_for_function("document.querySelectorAll('#printer option').length === 2")
        page.select_option("#printer", "模拟面单打印机-2")
        page.select_option("#carrier", "ZTO")
        screenshot(page, "floor-printing")

        page.goto(f"{live_server.url}/floor/station/?station=P1")
        page.select_option("#box", "BOX")
        for slot, order_id in members:
            type_scan(page, f"{wave.code}/{slot}", "opened")
            for unit in order_contents([order_id])[order_id].units:
                for _ in range(unit.quantity):
                    type_scan(page, unit.barcode or unit.sku_code)
            while page.locator("[data-enclosure]").count():
                wait_answer(page, lambda: page.click("[data-enclosure]"))
            assert page.get_attribute("[data-floor]", "data-verdict") == "complete"
            page.select_option("#box", "BOX")
            assert wait_answer(page, lambda: page.click("#seal")) == "sealed"
            page.wait_for_function("document.querySelector('[data-floor]').dataset.printing === ''")
            assert (
                page.get_attribute("[data-floor]", "data-printed")
                == Waybill.objects.get(order_id=order_id).waybill_code
            )
            next_open = StationParcel.objects.filter(station="P1", state="open").values_list("order_id", flat=True)
            assert list(next_open) == [o for sl, o in members if sl > slot][:1]  # the next slot opened by itself
        screenshot(page, "floor-station-desk")

    codes = [Waybill.objects.get(order_id=order_id).waybill_code for _, order_id in members]
    printed = sorted(p.name.split("-")[-1].removesuffix(".pdf") for p in (tmp_path / "printed").glob("*.pdf"))
    assert printed == sorted(codes)
    assert all(p.read_bytes().startswith(b"%PDF") for p in (tmp_path / "printed").glob("*.pdf"))
    assert sorted(PrintLog.objects.filter(kind="e_waybill").values_list("waybill_code", "status", "printer",
                                                                      "station")) == sorted(
        (code, "success", "模拟面单打印机-2", "P1") for code in codes)  # fmt: skip

    page.goto(f"{live_server.url}/floor/dispatch/?station=D1")
    refused = type_scan(page, "ZTO-NOT-OURS", "wrong")
    assert "dispatch.unknown_label" in refused
    assert Order.objects.filter(id__in=[o for _, o in members], status="PACKED").count() == 3
    for code in codes:
        type_scan(page, code, "right")
    type_scan(page, codes[0], "already")  # never ships twice
    assert page.inner_text('#progress tr[data-carrier="ZTO"]').split()[1:3] == ["3", "3"]
    screenshot(page, "floor-dispatch")
    assert DispatchScan.objects.count() == 3

    factory = lambda s: platform_for(s, clock=sim.state.now, sleep=Sleeps(), rng=random.Random(5))  # noqa: E731
    entries = list(OutboxEntry.objects.filter(kind="ship").values_list("id", flat=True))
    assert [deliver(entry, factory, now=now).outcome for entry in entries] == ["done"] * 3
    uploaded = {(s.order_sn, s.tracking_number) for s in sim.state.shipments}
    orders = dict(Order.objects.filter(id__in=[o for _, o in members]).values_list("id", "order_sn"))
    assert {(orders[o], Waybill.objects.get(order_id=o).waybill_code) for _, o in members} <= uploaded


@pytest.mark.parametrize("width", [360, 1920])
def test_the_floor_pages_fit_a_handheld_and_a_desk(page_for, team, floor, live_server, width):  # noqa: F811
    accept(floor, make_order("S-1", ("TEA-001", 1)))
    page = page_for("warehouse", PASSWORDS["warehouse"], width=width)
    for path, name in [("/floor/waves/", "waves"), ("/floor/station/?station=S1", "station"),
                       ("/floor/print/", "printing"), ("/floor/dispatch/", "dispatch"),
                       ("/floor/exceptions/", "exceptions")]:  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} is wider than {width} px by {overflow} px"
        screenshot(page, f"floor-page-{name}")
    page.goto(f"{live_server.url}/floor/station/?station=S1")
    assert page.evaluate("document.activeElement.id") == "scan"
    height = page.evaluate("document.querySelector('#scan').getBoundingClientRect().height")
    assert height >= 48  # a thumb's target on a handheld
