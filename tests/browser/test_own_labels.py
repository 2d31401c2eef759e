"""The merchant's own orders (手工单) on the floor in a real browser: packed and sealed at the station, shipped with
the carrier's number, then printed from the print page as Kuaifa's own PDF label — a PDF the browser opens, one page
per parcel, carrying the receiver's full name (the merchant typed it; platform orders keep the platform's masks).
Sealing an own order that has no tracking number yet prints nothing and says why (docs/decisions/0005)."""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.orders.canonical import Receiver
from kuaifa.persistence.models import Order, PrintLog, WaveOrder
from kuaifa.services.orders import ManualLine, create_manual_order
from kuaifa.services.shipping import ship_order
from kuaifa.services.waves import create_waves
from tests.browser.conftest import screenshot
from tests.browser.test_floor import type_scan, wait_answer
from tests.factories import ACTOR, NOW
from tests.fulfilment.conftest import floor  # noqa: F401 (fixture)
from tests.fulfilment.floor import TEA_BARCODE, accept
from tests.web.conftest import PASSWORDS

pytestmark = pytest.mark.django_db(transaction=True)

RECEIVERS = {"M-1": "欧阳明月", "M-2": "司马长风", "M-3": "上官飞燕"}
OWN_LABELS = "/floor/print/own-labels/"


def manual_order(shop, order_sn: str) -> Order:
    receiver = Receiver(province="浙江省", city="杭州市", town="西湖区", name=RECEIVERS[order_sn],
                        phone="13812345678", address="文三路90号", is_plaintext=True)  # fmt: skip
    return create_manual_order(
        shop, [ManualLine("TEA-001", 1, 1990)], receiver, order_sn=order_sn, actor=ACTOR, now=NOW
    )


def through(page, path: str) -> list[tuple[int, dict[str, str], bytes]]:
    """The answers to requests for ``path``, passed on to the page unchanged and kept (status, headers, body): a
    body the page reads into a blob is not kept by the browser for the test to read back."""
    answers: list[tuple[int, dict[str, str], bytes]] = []

    def keep(route):
        answer = route.fetch()
        answers.append((answer.status, answer.headers, answer.body()))
        route.fulfill(response=answer)

    page.route(f"**{path}", keep)
    return answers


def pack(page, wave_code: str, slot: int) -> None:
    """One parcel at the station: its slot tag, the tea, the manual tapped, the weight typed."""
    type_scan(page, f"{wave_code}/{slot}", "opened")
    type_scan(page, TEA_BARCODE, "right")
    while page.locator("[data-enclosure]").count():
        wait_answer(page, lambda: page.click("[data-enclosure]"))
    assert page.get_attribute("[data-floor]", "data-verdict") == "complete"


def test_own_orders_print_a_pdf_label_with_the_full_receiver(page_for, team, floor, live_server, tmp_path):  # noqa: F811
    ids = {sn: manual_order(floor, sn).id for sn in RECEIVERS}
    accept(floor)
    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=72)), actor=ACTOR, now=NOW)
    slots = dict(WaveOrder.objects.filter(wave=wave).values_list("order_id", "slot"))
    first, second, _last = sorted(ids, key=lambda sn: slots[ids[sn]])  # the last stays unpacked: the wave stays open
    page = page_for("warehouse", PASSWORDS["warehouse"], width=1920)

    page.goto(f"{live_server.url}/floor/station/?station=S1")
    pack(page, wave.code, slots[ids[first]])
    with page.expect_response(lambda r: r.url.endswith(OWN_LABELS)) as before_shipping:
        type_scan(page, "410", "sealed")
    page.wait_for_function("document.querySelector('[data-floor]').dataset.printing === ''")
    assert Order.objects.get(order_sn=first).status == "PACKED"
    assert before_shipping.value.status == 409  # no label without the carrier's number: said, in Chinese
    assert f"{first} 还没有运单号" in page.inner_text("#print-status")
    pack(page, wave.code, slots[ids[second]])  # the wave's next parcel opened by itself
    type_scan(page, "410", "sealed")
    page.wait_for_function("document.querySelector('[data-floor]').dataset.printing === ''")
    assert PrintLog.objects.filter(kind="label").count() == 0

    for n, sn in enumerate((first, second), start=1):  # as `kuaifa ship ORDER --carrier 115 --tracking …` does
        ship_order(ids[sn], carrier=115, tracking_number=f"77310000000{n}", actor=ACTOR, now=NOW)

    page.goto(f"{live_server.url}/floor/print/?station=P1")
    for sn in (first, second):
        page.check(f'input[name=ids][value="{ids[sn]}"]')
    answers = through(page, OWN_LABELS)
    with page.context.expect_page() as opened:
        page.click("[data-print-selected]")
    page.wait_for_function("document.querySelector('#print-message').dataset.verdict === 'complete'")
    assert opened.value.url.startswith("blob:")  # the browser opened the PDF for printing
    assert page.inner_text("#print-message") == "已打印 2 张面单，失败 0 张。"
    ((status, headers, body),) = answers
    assert status == 200
    assert headers["content-type"] == "application/pdf"
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(body)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages_line = next(line for line in info.splitlines() if line.startswith("Pages:"))
    assert int(pages_line.split()[1]) == 2  # one label per parcel
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    assert RECEIVERS[first] in pages[0] and RECEIVERS[second] in pages[1]  # the whole names, one parcel a page
    assert "773100000001" in pages[0] and "773100000002" in pages[1]
    assert page.get_attribute("[data-floor]", "data-printed") == f"{first},{second}"
    assert sorted(PrintLog.objects.filter(kind="label").values_list("order_id", flat=True)) == sorted(
        [ids[first], ids[second]]
    )
    screenshot(page, "floor-own-labels")
