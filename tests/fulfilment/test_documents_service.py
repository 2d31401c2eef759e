"""Labels, packing slips and the print log through the database: masked receivers only, a wave in slot order,
no label without a tracking number, reprints marked."""

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from kuaifa.documents.labels import render_labels
from kuaifa.documents.model import ContentLine, LabelData, Receiver, Sender
from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.orders.canonical import Receiver as OrderReceiver
from kuaifa.persistence.models import PrintLog
from kuaifa.services.labels import LabelRefused, label_data, log_print, slip_data, wave_order_ids
from kuaifa.services.orders import ManualLine, create_manual_order
from kuaifa.services.shipping import ship_order
from kuaifa.services.waves import create_waves
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import accept

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


def render(batch) -> list[str]:
    labels = [
        LabelData(
            i.carrier_name,
            i.tracking_number,
            Receiver(**vars(i.receiver)),
            Sender(i.shop_name, "", ""),
            (i.order_sn,),
            tuple(ContentLine(c, q) for c, q in i.contents),
            NOW,
        )
        for i in batch.labels
    ]
    return [page.extract_text() for page in PdfReader(io.BytesIO(render_labels(labels))).pages]


@pytest.fixture
def wave_shipped(floor):
    """A wave of three orders — one manual order with a plaintext receiver — all shipped with 中通 numbers."""
    accept(
        floor, make_order("p-2", ("TEA-001", 1), ship_in_hours=5), make_order("p-1", ("CUP-002", 2), ship_in_hours=1)
    )
    receiver = OrderReceiver(province="浙江省", city="杭州市", town="西湖区", name="张三丰", phone=PHONE,
                             address="文三路478号华星时代广场A座1201室", is_plaintext=True)  # fmt: skip
    manual = create_manual_order(
        floor, [ManualLine("GIFT-SET", 1, 9900)], receiver, order_sn="M-1", actor=ACTOR, now=NOW
    )
    accept(floor)
    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=72)), actor=ACTOR, now=NOW)
    _, ids = wave_order_ids(wave.code)
    for n, order_id in enumerate(ids, start=1):
        ship_order(order_id, carrier=115, tracking_number=f"77310000000{n}", actor=ACTOR, now=NOW)
    return wave, ids, manual


def test_a_wave_prints_one_label_per_order_in_slot_order_with_tracking_numbers(wave_shipped):
    _wave, ids, _manual = wave_shipped

    batch = label_data(ids)
    pages = render(batch)

    assert [i.order_sn for i in batch.labels] == ["p-1", "p-2", "M-1"]  # most urgent first, the manual one last
    assert [i.tracking_number for i in batch.labels] == ["773100000001", "773100000002", "773100000003"]
    assert all(i.carrier_name == "中通快递" for i in batch.labels)
    assert "773100000003" in pages[2] and "GIFT-SET×1" in pages[2]


def test_the_merchants_own_order_prints_in_full_and_platform_orders_keep_their_masks(wave_shipped):
    _wave, ids, _manual = wave_shipped

    batch = label_data(ids)
    pages = render(batch)

    own = batch.labels[2]
    assert (own.receiver.full, own.receiver.phone) == (True, PHONE)
    assert f"张三丰  {PHONE}" in pages[2] and "华星时代广" in pages[2]
    platform = "".join(pages[:2])
    assert [label.receiver.full for label in batch.labels[:2]] == [False, False]
    assert PHONE not in platform and "张三丰" not in platform and "华星时代广场" not in platform
    assert [s.receiver.phone for s in slip_data(ids)][2] == "138****5678"  # the slip inside the parcel stays masked


def test_no_label_is_printed_without_a_tracking_number_unless_those_orders_are_left_out(floor):
    ids = accept(floor, make_order("shipped", ("TEA-001", 1)), make_order("not-yet", ("CUP-002", 1)))
    ship_order(ids["shipped"], carrier=85, tracking_number="YT1234567890123", actor=ACTOR, now=NOW)

    with pytest.raises(LabelRefused, match="No tracking number yet for not-yet"):
        label_data([ids["shipped"], ids["not-yet"]])
    batch = label_data([ids["shipped"], ids["not-yet"]], skip_unshipped=True)

    assert ([i.order_sn for i in batch.labels], batch.skipped) == (["shipped"], ("not-yet",))
    assert batch.labels[0].carrier_name == "圆通快递"


def test_a_second_print_of_the_same_labels_is_logged_as_a_reprint(wave_shipped):
    wave, ids, _manual = wave_shipped

    first = log_print("label", order_ids=ids, wave_id=wave.id, actor=ACTOR, now=NOW)
    again = log_print("label", order_ids=ids[:1], actor=ACTOR, now=NOW + timedelta(minutes=5))
    slips = log_print("packing_slip", order_ids=ids[:1], actor=ACTOR, now=NOW)

    assert (first.printed, first.reprints) == (3, ())
    assert (again.printed, again.reprints) == (1, ("p-1",))
    assert slips.reprints == ()  # another document: not a reprint
    assert list(PrintLog.objects.filter(kind="label").order_by("id").values_list("reprint", flat=True)) == [
        False, False, False, True,
    ]  # fmt: skip


def test_a_pick_list_printed_twice_is_a_reprint(wave_shipped):
    wave, _ids, _manual = wave_shipped

    assert log_print("pick_list", wave_id=wave.id, actor=ACTOR, now=NOW).reprints == ()
    assert log_print("pick_list", wave_id=wave.id, actor=ACTOR, now=NOW).reprints == (wave.code,)


def test_a_packing_slip_lists_every_unit_with_its_enclosures_and_the_parcels_own(wave_shipped):
    _wave, _ids, manual = wave_shipped

    (slip,) = slip_data([manual.id])

    assert [(i.sku_code, i.quantity, i.enclosures) for i in slip.items] == [
        ("TEA-001", 2, ("说明书",)),
        ("CUP-002", 1, ("气泡膜",)),
    ]
    assert slip.parcel_enclosures == ("发票",)
    assert (slip.receiver.name, slip.receiver.phone) == ("张**", "138****5678")
    assert (slip.carrier_name, slip.tracking_number) == ("中通快递", "773100000003")


def test_the_pick_list_shows_each_skus_spec_and_which_order_each_slot_holds(floor):
    from kuaifa.documents.model import PickListData, PickRow
    from kuaifa.documents.pick_list import render_pick_list
    from kuaifa.persistence.models import Sku
    from kuaifa.services.labels import pick_list_data

    Sku.objects.filter(code="TEA-001").update(spec="250克罐装")
    accept(
        floor, make_order("p-1", ("TEA-001", 2), ship_in_hours=1), make_order("p-2", ("CUP-002", 1), ship_in_hours=5)
    )
    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=72)), actor=ACTOR, now=NOW)

    info = pick_list_data(wave.code)
    rows = tuple(PickRow(r.bin_location, r.sku_code, r.name, r.quantity, r.slots, r.spec) for r in info.rows)
    pdf = render_pick_list(PickListData(info.wave_code, info.created_at, rows, info.order_count, "", info.slot_orders))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    text = "".join("".join(pages).split())

    assert {r.sku_code: r.spec for r in info.rows} == {"TEA-001": "250克罐装", "CUP-002": ""}
    assert info.slot_orders == ((1, "p-1", 2), (2, "p-2", 1))
    assert "规格" in text and "250克罐装" in text
    assert len(pages) == 1  # a short slot table follows the rows on the same page
    assert "分拣格→订单" in text and "#1p-12#2p-21" in text


def test_labels_carry_the_shops_stored_sender(wave_shipped, floor):
    from kuaifa.services.senders import set_sender

    _wave, ids, _manual = wave_shipped
    before = label_data(ids).labels[0]
    set_sender(floor.name, name="快发仓", mobile="0571-88886666", province="浙江省", city="杭州市", district="余杭区",
               detail="良睦路1399号", now=NOW)  # fmt: skip

    after = label_data(ids).labels[0]

    assert (before.sender_name, before.sender_address) == ("", "")
    assert (after.sender_name, after.sender_phone, after.sender_address) == (
        "快发仓", "0571-88886666", "浙江省杭州市余杭区良睦路1399号",
    )  # fmt: skip
