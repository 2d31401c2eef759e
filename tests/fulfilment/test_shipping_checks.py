"""Tracking numbers are checked before a parcel ships, and the batch-ship file lists what the API will not upload."""

from datetime import timedelta

import pytest

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, Shipment
from kuaifa.services.errors import InvalidInput
from kuaifa.services.ship_export import HEADER, BatchShipRow, UnknownCarrier, batch_ship_rows
from kuaifa.services.shipping import ShipRefused, ship_order
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import accept, status_of

pytestmark = pytest.mark.django_db

ZTO, YTO, SF = 115, 85, 44


def ship(order_id, number, carrier=ZTO, at=NOW, confirm=False):
    return ship_order(order_id, carrier=carrier, tracking_number=number, confirm_weak_tracking=confirm, actor=ACTOR,
                      now=at)  # fmt: skip


@pytest.mark.parametrize(
    "number, reason",
    [
        ("7731 0000 0001", "contains spaces"),
        ("77310", "too short"),
        ("中通773100000001", "only ASCII letters"),
        ("7" * 41, "too long"),
    ],
)
def test_an_impossible_tracking_number_is_refused_and_nothing_ships(floor, number, reason):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))

    with pytest.raises(InvalidInput, match=reason):
        ship(ids["o"], number)

    assert status_of("o") == OrderStatus.ACCEPTED
    assert not Shipment.objects.exists()


def test_a_number_that_does_not_look_like_the_carriers_ships_when_confirmed_with_the_warning_recorded(floor):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))

    shipped = ship(ids["o"], "YT1234567890123", carrier=SF, confirm=True)  # a 圆通-shaped number given as 顺丰

    assert "Does not look like a SF number" in shipped.tracking_warning
    details = OrderEvent.objects.get(kind="shipped").details
    assert details["tracking_check"] == "tracking.pattern_mismatch"
    assert details["tracking_warning"] == shipped.tracking_warning
    assert status_of("o") == OrderStatus.SHIPPED


def test_a_well_formed_number_ships_without_a_warning(floor):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))

    shipped = ship(ids["o"], "SF1234567890123", carrier=SF)

    assert shipped.tracking_warning is None
    assert "tracking_warning" not in OrderEvent.objects.get(kind="shipped").details


def test_a_tracking_number_another_order_already_uses_is_refused(floor):
    ids = accept(floor, make_order("a", ("TEA-001", 1)), make_order("b", ("TEA-001", 1)))
    ship(ids["a"], "773100000001")

    with pytest.raises(ShipRefused, match="773100000001 is already used by a"):
        ship(ids["b"], "773100000001")

    assert status_of("b") == OrderStatus.ACCEPTED


def test_the_batch_ship_file_lists_export_orders_with_pdds_carrier_names(floor):
    exported = accept(floor, make_order("240626-1", ("TEA-001", 1)), make_order("240626-2", ("CUP-002", 1)),
                      source=Order.Source.EXPORT)  # fmt: skip
    ship(exported["240626-2"], "YT1234567890123", carrier=YTO, at=NOW)
    ship(exported["240626-1"], "773100000001", at=NOW + timedelta(hours=1))

    rows = batch_ship_rows()

    assert HEADER == ("订单号", "快递公司", "快递单号")
    assert rows == [
        BatchShipRow("240626-2", "圆通快递", "YT1234567890123"),
        BatchShipRow("240626-1", "中通快递", "773100000001"),
    ]
    assert batch_ship_rows(since=NOW + timedelta(minutes=30)) == [BatchShipRow("240626-1", "中通快递", "773100000001")]
    assert batch_ship_rows([exported["240626-2"]]) == [rows[0]]


def test_orders_the_api_uploads_and_orders_pdd_never_knew_are_not_in_the_batch_ship_file(floor):
    from kuaifa.domain.orders.canonical import Receiver
    from kuaifa.services.orders import ManualLine, create_manual_order

    api = accept(floor, make_order("api", ("TEA-001", 1)))["api"]
    manual = create_manual_order(floor, [ManualLine("TEA-001", 1, 1000)],
                                 Receiver(province="浙江省", city="杭州市", name="王五", phone="13900000000",
                                          address="文一路1号", is_plaintext=True), actor=ACTOR, now=NOW)  # fmt: skip
    accept(floor)
    ship(api, "773100000001")
    ship(manual.id, "773100000002")
    assert batch_ship_rows() == []

    Shipment.objects.filter(order_id=api).update(upload_state=Shipment.Upload.FAILED)  # the API gave up: file it

    assert batch_ship_rows() == [BatchShipRow("api", "中通快递", "773100000001")]


def test_a_shipment_whose_carrier_has_no_known_name_is_refused_in_the_file(floor):
    ids = accept(floor, make_order("o", ("TEA-001", 1)), source=Order.Source.EXPORT)
    ship(ids["o"], "773100000001")
    Shipment.objects.filter(order_id=ids["o"]).update(logistics_id=9999)  # a carrier id no list knows (any more)

    with pytest.raises(UnknownCarrier, match="Carrier id 9999 of order o"):
        batch_ship_rows()


def test_the_batch_ship_csv_neutralises_an_order_number_a_spreadsheet_would_run(floor, tmp_path):
    from kuaifa.platforms.pdd_export.table import write_table

    exported = accept(floor, make_order("@SUM(1+1)", ("TEA-001", 1)), source=Order.Source.EXPORT)
    ship(exported["@SUM(1+1)"], "773100000001", at=NOW)
    path = tmp_path / "ship.csv"

    write_table(path, HEADER, [row.cells() for row in batch_ship_rows()])

    assert path.read_bytes().decode("utf-8-sig").split("\r\n")[1] == "'@SUM(1+1),中通快递,773100000001"
