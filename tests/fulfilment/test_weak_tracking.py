"""The shipping services resolve the carrier a person named (id or code) and refuse a tracking number the carrier's
rules only weakly match until that person confirms it, whichever way the parcel ships: one order, a merged parcel,
an extra parcel, a corrected number. A number the platform gave as an e-waybill needs no confirmation."""

from dataclasses import replace

import pytest

from kuaifa.domain.orders.canonical import Receiver
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, Shipment, Waybill
from kuaifa.services.carriers import UnknownCarrier, WeakTrackingNumber
from kuaifa.services.errors import InvalidInput
from kuaifa.services.parcels import ExtraKind, correct_shipment, ship_extra_parcels
from kuaifa.services.shipping import ship_merged_parcel, ship_order
from kuaifa.services.waybills import ship_with_waybill
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import accept, status_of

pytestmark = pytest.mark.django_db

WEAK = "ABC123456"  # 圆通 numbers start YT: a weak match for YTO
HOME = Receiver(province="浙江省", city="杭州市", town="西湖区", address="~cipher-address~", name="~cipher-name~",
                phone="~cipher-phone~", address_mask="文**路", open_address_id="OAID-1")  # fmt: skip


def _parcels() -> list[tuple[int, str]]:
    return sorted(Shipment.objects.values_list("logistics_id", "tracking_number"))


@pytest.mark.parametrize("carrier", ["yto", "85", 85])
def test_one_order_ships_a_weak_number_only_when_confirmed(floor, carrier):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))

    with pytest.raises(WeakTrackingNumber) as refused:
        ship_order(ids["o"], carrier=carrier, tracking_number=WEAK, actor=ACTOR, now=NOW)
    assert refused.value.params["carrier"] == "YTO"
    assert status_of("o") == OrderStatus.ACCEPTED and _parcels() == []

    shipped = ship_order(ids["o"], carrier=carrier, tracking_number=WEAK, confirm_weak_tracking=True, actor=ACTOR,
                         now=NOW)  # fmt: skip

    assert _parcels() == [(85, WEAK)] and shipped.tracking_warning
    assert OrderEvent.objects.get(kind="shipped").details["tracking_warning"] == shipped.tracking_warning


def test_an_unknown_carrier_is_refused_before_anything_ships(floor):
    ids = accept(floor, make_order("o", ("TEA-001", 1)))

    with pytest.raises(UnknownCarrier):
        ship_order(ids["o"], carrier=9999, tracking_number="773100000001", confirm_weak_tracking=True, actor=ACTOR,
                   now=NOW)  # fmt: skip

    assert status_of("o") == OrderStatus.ACCEPTED and _parcels() == []


def test_a_merged_parcel_ships_a_weak_number_only_when_confirmed(floor):
    ids = accept(floor, replace(make_order("A", ("TEA-001", 1)), receiver=HOME),
                 replace(make_order("B", ("CUP-002", 1)), receiver=HOME))  # fmt: skip

    with pytest.raises(WeakTrackingNumber):
        ship_merged_parcel([ids["A"], ids["B"]], carrier="YTO", tracking_number=WEAK, actor=ACTOR, now=NOW)
    assert _parcels() == []

    ship_merged_parcel([ids["A"], ids["B"]], carrier="YTO", tracking_number=WEAK, confirm_weak_tracking=True,
                       actor=ACTOR, now=NOW)  # fmt: skip

    assert _parcels() == [(85, WEAK), (85, WEAK)]


def _shipped(floor) -> int:
    ids = accept(floor, make_order("o", ("TEA-001", 1)))
    ship_order(ids["o"], carrier="ZTO", tracking_number="773100000001", actor=ACTOR, now=NOW)
    return ids["o"]


def test_an_extra_parcel_takes_a_code_and_a_weak_number_only_when_confirmed(floor):
    order_id = _shipped(floor)

    with pytest.raises(WeakTrackingNumber):
        ship_extra_parcels(order_id, [("ZTO", "773100000002"), ("yto", WEAK)], actor=ACTOR, now=NOW)
    assert _parcels() == [(115, "773100000001")]  # all or nothing: the good parcel was not recorded either

    ship_extra_parcels(order_id, [("ZTO", "773100000002"), ("yto", WEAK)], kind=ExtraKind.RESEND,
                       confirm_weak_tracking=True, actor=ACTOR, now=NOW)  # fmt: skip

    assert _parcels() == [(85, WEAK), (115, "773100000001"), (115, "773100000002")]


def test_a_correction_takes_a_code_and_a_weak_number_only_when_confirmed(floor):
    order_id = _shipped(floor)

    with pytest.raises(WeakTrackingNumber):
        correct_shipment(order_id, carrier="YTO", tracking_number=WEAK, actor=ACTOR, now=NOW)
    assert _parcels() == [(115, "773100000001")]

    correct_shipment(order_id, carrier="YTO", tracking_number=WEAK, confirm_weak_tracking=True, actor=ACTOR, now=NOW)

    assert _parcels() == [(85, WEAK)]


@pytest.mark.parametrize("number", ["7731 0000 0002", "77310"])
def test_an_extra_parcel_or_a_correction_with_an_impossible_number_is_refused_even_when_confirmed(floor, number):
    order_id = _shipped(floor)

    with pytest.raises(InvalidInput):
        ship_extra_parcels(order_id, [("ZTO", number)], confirm_weak_tracking=True, actor=ACTOR, now=NOW)
    with pytest.raises(InvalidInput):
        correct_shipment(order_id, carrier="ZTO", tracking_number=number, confirm_weak_tracking=True, actor=ACTOR,
                         now=NOW)  # fmt: skip

    assert _parcels() == [(115, "773100000001")]


def test_an_e_waybill_number_ships_without_a_confirmation(floor):
    """The platform issued the number for that carrier: nobody typed it, so nobody is asked to confirm it."""
    ids = accept(floor, make_order("o", ("TEA-001", 1)))
    Waybill.objects.create(order_id=ids["o"], carrier_code="YTO", logistics_id=85, waybill_code=WEAK, print_data="",
                           issued_at=NOW, actor=ACTOR.stored, updated_at=NOW)  # fmt: skip

    shipped = ship_with_waybill(ids["o"], actor=ACTOR, now=NOW)

    assert _parcels() == [(85, WEAK)] and shipped.tracking_warning
    assert Order.objects.get(id=ids["o"]).status == OrderStatus.SHIPPED
    assert Waybill.objects.get().state == Waybill.State.USED
