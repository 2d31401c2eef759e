"""The pack station and bundles of bundles (leaf units checked, a bundle's own barcode counts as its units), and a
box the packer names is checked for fit like an automatic choice."""

import pytest

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import BoxType, OrderEvent, PackRecord
from kuaifa.services.catalog import upsert_skus
from kuaifa.services.packing import BoxDoesNotFit, ParcelIncomplete, ScanRefused, pack_order
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import CUP_BARCODE, TEA_BARCODE, accept, status_of

pytestmark = pytest.mark.django_db

GIFT_BARCODE = "6901234567915"


def pack(order_id, *scans, enclosures=(), box=None, reason=""):
    return pack_order(order_id, scans=list(scans), enclosures=list(enclosures), measured_weight_g=None,
                      box_code=box, actor=ACTOR, now=NOW, box_override_reason=reason)  # fmt: skip


@pytest.fixture
def deluxe(floor):
    """DELUXE = 1 × GIFT-SET (2 tea + 1 cup, 发票) + 1 × LID-003, with a 贺卡 for the parcel."""
    deluxe = SkuSpec("DELUXE", name="豪华礼盒", enclosures=("贺卡",), components=(("GIFT-SET", 1), ("LID-003", 1)))
    upsert_skus([deluxe], now=NOW)
    return floor


def test_a_bundle_of_bundles_is_packed_by_its_leaf_units_with_every_bundle_enclosure(deluxe):
    ids = accept(deluxe, make_order("deluxe", ("DELUXE", 1)))
    assert status_of("deluxe") == OrderStatus.ACCEPTED

    with pytest.raises(ParcelIncomplete, match="LID-003 1 more unit"):
        pack(ids["deluxe"], TEA_BARCODE, TEA_BARCODE, CUP_BARCODE, enclosures=["说明书", "气泡膜", "发票", "贺卡"])
    pack(
        ids["deluxe"], TEA_BARCODE, CUP_BARCODE, "LID-003", TEA_BARCODE, enclosures=["说明书", "气泡膜", "发票", "贺卡"]
    )

    record = PackRecord.objects.get()
    assert sorted(s["sku"] for s in record.scans) == ["CUP-002", "LID-003", "TEA-001", "TEA-001"]
    assert {(e["sku"], e["name"]) for e in record.enclosures if e["sku"] == ""} == {("", "发票"), ("", "贺卡")}
    assert status_of("deluxe") == OrderStatus.PACKED


def test_scanning_a_bundle_barcode_counts_as_all_its_units(floor):
    upsert_skus([SkuSpec("GIFT-SET", name="礼盒", barcode=GIFT_BARCODE, enclosures=("发票",),
                         components=(("TEA-001", 2), ("CUP-002", 1)))], now=NOW)  # fmt: skip
    ids = accept(floor, make_order("gift", ("GIFT-SET", 1)), make_order("tea", ("TEA-001", 1)))

    with pytest.raises(ScanRefused):  # the tea order holds no gift set: 2 tea + 1 cup is one tea too many
        pack(ids["tea"], GIFT_BARCODE, enclosures=["说明书"])
    pack(ids["gift"], GIFT_BARCODE, enclosures=["说明书", "气泡膜", "发票"])

    record = PackRecord.objects.get()
    assert [s["sku"] for s in record.scans] == ["TEA-001", "TEA-001", "CUP-002"]
    assert status_of("tea") == OrderStatus.ACCEPTED


def test_a_named_box_the_items_do_not_fit_is_refused_and_nothing_is_saved(floor):
    ids = accept(floor, make_order("tea", ("TEA-001", 1)))

    with pytest.raises(BoxDoesNotFit) as refused:
        pack(ids["tea"], TEA_BARCODE, enclosures=["说明书"], box="S")  # a 150 mm tin in a 100 mm box

    assert refused.value.params["box"] == "S"
    assert "box.item_too_large" in refused.value.message
    assert "--box-override-reason" in refused.value.message
    assert status_of("tea") == OrderStatus.ACCEPTED
    assert not PackRecord.objects.exists()
    assert dict(BoxType.objects.values_list("code", "stock")) == {"S": 5, "M": 5, "L": 5}


def test_a_named_box_that_does_not_fit_is_used_with_a_recorded_reason(floor):
    ids = accept(floor, make_order("tea", ("TEA-001", 1)))

    result = pack(ids["tea"], TEA_BARCODE, enclosures=["说明书"], box="S", reason="  罐子压扁后能放下 ")

    assert (result.box_code, result.box_chosen_by) == ("S", "packer")
    packed = OrderEvent.objects.get(order_id=ids["tea"], kind="packed")
    assert (packed.details["box_fits"], packed.details["box_override_reason"]) == (False, "罐子压扁后能放下")


def test_a_named_box_that_fits_needs_no_reason(floor):
    ids = accept(floor, make_order("cup", ("CUP-002", 1)))

    assert pack(ids["cup"], CUP_BARCODE, enclosures=["气泡膜"], box="L").box_code == "L"

    packed = OrderEvent.objects.get(order_id=ids["cup"], kind="packed")
    assert packed.details["box_fits"] is True
    assert "box_override_reason" not in packed.details


def test_an_accepted_bundle_order_whose_bundle_broke_is_neither_waved_nor_packed_and_the_others_are(floor):
    from datetime import timedelta

    from kuaifa.domain.fulfilment.waves import WaveRule
    from kuaifa.persistence.models import BundleComponent, Sku, WaveOrder
    from kuaifa.services.packing import PackRefused
    from kuaifa.services.waves import create_waves

    ids = accept(floor, make_order("gift", ("GIFT-SET", 1), ship_in_hours=1), make_order("cup", ("CUP-002", 1)))
    gift = Sku.objects.get(code="GIFT-SET")
    BundleComponent.objects.create(bundle=gift, component=gift, quantity=1)  # what the import refuses

    with pytest.raises(PackRefused) as refused:
        pack(ids["gift"], TEA_BARCODE, TEA_BARCODE, CUP_BARCODE, enclosures=["说明书", "气泡膜", "发票"])
    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=48)), actor=ACTOR, now=NOW)

    assert "GIFT-SET → GIFT-SET" in refused.value.message
    assert list(WaveOrder.objects.filter(wave=wave).values_list("order__order_sn", flat=True)) == ["cup"]
    assert status_of("gift") == OrderStatus.ACCEPTED
