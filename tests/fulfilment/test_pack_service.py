"""The pack station through the database: every unit scanned, enclosures confirmed, the smallest box, the scale."""

import pytest

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import BoxType, Order, OrderEvent, PackRecord
from kuaifa.services.packing import (
    BoxOutOfStock,
    NoBoxFits,
    PackRefused,
    ParcelIncomplete,
    ScanRefused,
    WeightOutOfTolerance,
    pack_order,
    upsert_box_type,
)
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import CUP_BARCODE, TEA_BARCODE, accept, status_of

pytestmark = pytest.mark.django_db


def pack(order_id, *scans, enclosures=(), weight=None, box=None, force=False):
    return pack_order(order_id, scans=list(scans), enclosures=list(enclosures), measured_weight_g=weight,
                      box_code=box, actor=ACTOR, now=NOW, force=force)  # fmt: skip


def box_stock() -> dict[str, int]:
    return dict(BoxType.objects.values_list("code", "stock"))


def nothing_saved(order_id, status=OrderStatus.ACCEPTED) -> None:
    order = Order.objects.get(id=order_id)
    assert order.status == status
    assert not PackRecord.objects.exists()
    assert not OrderEvent.objects.filter(order_id=order_id, kind__in=["packed", "picked_single"]).exists()
    assert box_stock() == {"S": 5, "M": 5, "L": 5}


def test_a_scan_of_another_sku_is_refused_naming_the_barcode_and_nothing_is_saved(floor):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))

    with pytest.raises(ScanRefused) as refused:
        pack(ids["o"], CUP_BARCODE, TEA_BARCODE, enclosures=["说明书"])

    assert refused.value.code == "pack.sku_not_in_order"
    assert refused.value.message == (
        f"Order o, scan 1: Barcode {CUP_BARCODE} is CUP-002, which is not in this parcel. Put it back. "
        "Nothing was saved."
    )
    nothing_saved(ids["o"])


def test_an_unknown_barcode_and_one_unit_too_many_are_refused(floor):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))

    with pytest.raises(ScanRefused, match="Barcode 123456 belongs to no SKU") as unknown:
        pack(ids["o"], "123456")
    with pytest.raises(ScanRefused, match="TEA-001 is complete: all 1 already scanned") as extra:
        pack(ids["o"], TEA_BARCODE, TEA_BARCODE, enclosures=["说明书"])

    assert (unknown.value.code, extra.value.code) == ("pack.unknown_barcode", "pack.quantity_complete")
    nothing_saved(ids["o"])


def test_a_missing_unit_or_enclosure_keeps_the_parcel_open_and_says_what_is_missing(floor):
    ids = accept(floor, make_order("o", ("TEA-001", 2), ("CUP-002", 1)))

    with pytest.raises(ParcelIncomplete) as refused:
        pack(ids["o"], TEA_BARCODE, CUP_BARCODE, enclosures=["气泡膜"])

    assert refused.value.message == (
        "Order o cannot be closed yet: TEA-001 1 more unit(s) to scan; enclosure 说明书 (TEA-001)."
    )
    nothing_saved(ids["o"])


def test_the_smallest_box_in_stock_that_fits_is_used_and_leaves_the_box_stock(floor):
    ids = accept(floor, make_order("cup", ("CUP-002", 1)), make_order("tea", ("TEA-001", 1)))

    cup = pack(ids["cup"], CUP_BARCODE, enclosures=["气泡膜"])
    tea = pack(ids["tea"], TEA_BARCODE, enclosures=["说明书"])  # 150 mm tall: not in S (100 mm), rotated or not

    assert (cup.box_code, tea.box_code) == ("S", "M")
    assert box_stock() == {"S": 4, "M": 4, "L": 5}
    assert PackRecord.objects.get(order_id=ids["tea"]).box_type.code == "M"


def test_a_box_without_stock_is_skipped_and_a_named_one_without_stock_is_refused(floor):
    upsert_box_type("S", length_mm=100, width_mm=100, height_mm=100, max_load_g=2000, weight_g=40, stock=0, now=NOW)
    ids = accept(floor, make_order("cup", ("CUP-002", 1)), make_order("cup2", ("CUP-002", 1)))

    assert pack(ids["cup"], CUP_BARCODE, enclosures=["气泡膜"]).box_code == "M"
    with pytest.raises(BoxOutOfStock, match="Box S is out of stock"):
        pack(ids["cup2"], CUP_BARCODE, enclosures=["气泡膜"], box="S")

    assert box_stock() == {"S": 0, "M": 4, "L": 5}
    assert status_of("cup2") == OrderStatus.ACCEPTED


def test_no_box_that_fits_refuses_the_parcel(floor):
    BoxType.objects.filter(code__in=["M", "L"]).update(stock=0)
    ids = accept(floor, make_order("tea", ("TEA-001", 1)))

    with pytest.raises(NoBoxFits, match=r"S: box\.item_too_large"):
        pack(ids["tea"], TEA_BARCODE, enclosures=["说明书"])


def test_a_bundle_is_packed_by_its_components_with_the_bundle_enclosure_for_the_parcel(floor):
    ids = accept(floor, make_order("gift", ("GIFT-SET", 1)))

    with pytest.raises(ParcelIncomplete, match=r"enclosure 发票 \(parcel\)"):
        pack(ids["gift"], TEA_BARCODE, TEA_BARCODE, CUP_BARCODE, enclosures=["说明书", "气泡膜"])
    result = pack(ids["gift"], TEA_BARCODE, CUP_BARCODE, TEA_BARCODE, enclosures=["说明书", "气泡膜", "发票"])

    assert result.box_code == "M"
    record = PackRecord.objects.get()
    assert [s["sku"] for s in record.scans] == ["TEA-001", "CUP-002", "TEA-001"]
    assert {(e["sku"], e["name"]) for e in record.enclosures} == {
        ("TEA-001", "说明书"),
        ("CUP-002", "气泡膜"),
        ("", "发票"),
    }


def test_a_sku_without_barcode_is_scanned_by_its_code(floor):
    ids = accept(floor, make_order("lid", ("LID-003", 2)))

    assert pack(ids["lid"], "LID-003", "ＬＩＤ-003\n").box_code == "S"  # full-width and a line end: same code


def test_a_weight_outside_the_tolerance_is_refused_unless_a_person_overrides_it(floor):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))  # 320 g + box M 90 g = 410 g, ± max(20 g, 5 %) = 20 g

    with pytest.raises(WeightOutOfTolerance) as refused:
        pack(ids["o"], TEA_BARCODE, enclosures=["说明书"], weight=380)
    assert refused.value.message.startswith("Order o weighs 380 g, expected 410 g ± 20 g: too light")
    nothing_saved(ids["o"])

    result = pack(ids["o"], TEA_BARCODE, enclosures=["说明书"], weight=380, force=True)

    assert (result.verdict, result.forced, result.expected_g) == ("too_light", True, 410)
    record = PackRecord.objects.get()
    assert (record.measured_g, record.verdict, record.forced) == (380, "too_light", True)
    assert OrderEvent.objects.get(kind="packed").details["forced"] is True


def test_a_weight_within_the_tolerance_passes_and_the_order_is_packed_with_its_events(floor):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))

    result = pack(ids["o"], TEA_BARCODE, enclosures=["说明书"], weight=425)

    assert (result.verdict, result.forced) == ("ok", False)
    assert status_of("o") == OrderStatus.PACKED
    moves = list(OrderEvent.objects.filter(order_id=ids["o"], kind__in=["picked_single", "packed"]).order_by("id")
                 .values_list("from_status", "to_status"))  # fmt: skip
    assert moves == [("ACCEPTED", "PICKING"), ("PICKING", "PACKED")]


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"ship_hold": True}, "ship_hold"),
        ({"risk_control_status": 1}, "risk control"),
        ({"refund_status": 2}, "refund"),
    ],
)
def test_an_order_the_platform_stopped_since_picking_is_not_packed(floor, change, reason):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))
    Order.objects.filter(id=ids["o"]).update(**change)  # what a sync would store

    with pytest.raises(PackRefused, match=reason):
        pack(ids["o"], TEA_BARCODE, enclosures=["说明书"])

    nothing_saved(ids["o"])


def test_an_enclosure_required_by_two_skus_is_confirmed_per_sku(floor):
    from kuaifa.domain.inventory.catalog import SkuSpec
    from kuaifa.services.catalog import upsert_skus

    upsert_skus([SkuSpec("LID-003", name="杯盖", weight_g=30, length_mm=50, width_mm=50, height_mm=10,
                         bin_location="B-1", enclosures=("说明书",))], now=NOW)  # fmt: skip
    ids = accept(floor, make_order("o", ("TEA-001", 1), ("LID-003", 1)))

    with pytest.raises(PackRefused, match="required for several SKUs"):
        pack(ids["o"], TEA_BARCODE, "LID-003", enclosures=["说明书"])
    result = pack(ids["o"], TEA_BARCODE, "LID-003", enclosures=["TEA-001:说明书", "LID-003：说明书"])

    assert result.box_code == "M"


def test_an_order_already_packed_is_not_packed_twice(floor):
    ids = accept(floor, make_order("o", ("CUP-002", 1)))
    pack(ids["o"], CUP_BARCODE, enclosures=["气泡膜"])

    with pytest.raises(PackRefused, match="it is PACKED"):
        pack(ids["o"], CUP_BARCODE, enclosures=["气泡膜"])

    assert PackRecord.objects.count() == 1
    assert Order.objects.get(id=ids["o"]).status == OrderStatus.PACKED
