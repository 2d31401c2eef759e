"""Every path that ships asks the platform about refunds first (pdd.refund.status.check), inside the shipping
service: an order the buyer asked a refund for on the platform, not yet synced here, does not leave — whether it is
shipped from the command line, with its e-waybill, scanned out at the dispatch desk or through the API."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kuaifa.cli.main import cli
from kuaifa.persistence.models import DispatchScan, FloorRefusal, Order, OrderEvent, Shipment, Waybill
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.services import platform_port
from kuaifa.services.dispatch_scan import DispatchRefused, dispatch_scan
from kuaifa.services.packing import upsert_box_type
from kuaifa.services.shipping import ShipRefused, ship_merged_parcel, ship_order
from kuaifa.services.waybills import issue_waybills
from kuaifa.tasks.platforms import platform_for
from tests.integration.platform_fixtures import ACTOR, Sleeps, quiet_moment, running_sim, sim_now
from tests.integration.test_floor_dispatch import _pack
from tests.integration.test_waybills import CONFIG, _accepted, _provider

YTO = 85


@pytest.fixture
def lax_sim():
    """The gateway not checking timestamps: the shipping service's own client runs on the real clock."""
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment, check_timestamp=False) as server:
        yield server


@pytest.fixture
def strict_sim():
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment) as server:
        yield server


def test_waybill_ship_of_an_order_refunded_on_the_platform_is_refused(db, lax_sim, monkeypatch):
    shop, accepted = _accepted(lax_sim)
    order = accepted[0]
    issue_waybills([order.id], "YTO", _provider(shop, lax_sim), actor=ACTOR, now=sim_now(lax_sim.state))
    lax_sim.state.update_order(order.order_sn, refund_status=2)  # the buyer asked; our copy does not know yet
    monkeypatch.setenv("KUAIFA_LANG", "en")

    result = CliRunner().invoke(cli, ["waybill", "ship", order.order_sn, "--json"], catch_exceptions=False)

    assert result.exit_code == 1, result.output
    answer = json.loads(result.output)
    assert answer["error"] == "ship.refused" and order.order_sn in answer["message"]
    assert "refund" in answer["message"]
    assert not Shipment.objects.filter(order=order).exists()
    assert Waybill.objects.get(order=order).state == Waybill.State.ISSUED
    assert Order.objects.get(id=order.id).status == "ACCEPTED"
    assert lax_sim.state.shipments == []


def test_ship_and_merged_parcels_are_refused_too_and_a_clean_order_ships(db, lax_sim):
    _, accepted = _accepted(lax_sim)
    refunded, clean = accepted[0], accepted[1]
    fields = ("open_address_id", "province", "city", "town", "receiver_address", "receiver_name", "receiver_phone")
    same_buyer = {name: getattr(clean, name) for name in fields}  # one buyer, one address: one parcel (合单)
    Order.objects.filter(id=refunded.id).update(**same_buyer)
    lax_sim.state.update_order(refunded.order_sn, refund_status=4)
    now = sim_now(lax_sim.state)

    with pytest.raises(ShipRefused, match=refunded.order_sn):
        ship_order(refunded.id, carrier=YTO, tracking_number="YT1234567890123", actor=ACTOR, now=now)
    with pytest.raises(ShipRefused, match=refunded.order_sn):
        ship_merged_parcel([clean.id, refunded.id], carrier=YTO, tracking_number="YT1234567890124",
                           actor=ACTOR, now=now)  # fmt: skip
    assert not Shipment.objects.filter(order__in=[refunded, clean]).exists()

    shipped = ship_order(clean.id, carrier=YTO, tracking_number="YT1234567890125", actor=ACTOR, now=now)
    assert shipped.refund_check_skipped == ""
    assert "refund_check_skipped" not in OrderEvent.objects.get(order=clean, kind="shipped").details


def test_an_unreachable_platform_ships_on_what_kuaifa_knows_and_says_so(db, strict_sim):
    _, accepted = _accepted(strict_sim)  # this gateway refuses the real clock's timestamps: the check cannot run
    order = accepted[0]

    shipped = ship_order(order.id, carrier=YTO, tracking_number="YT1234567890126", actor=ACTOR,
                         now=sim_now(strict_sim.state))  # fmt: skip

    assert shipped.refund_check_skipped == "platform.refused"
    details = OrderEvent.objects.get(order=order, kind="shipped").details
    assert details["refund_check_skipped"] == "platform.refused"


def test_dispatch_scan_of_an_order_refunded_on_the_platform_is_refused(db, lax_sim):
    shop, accepted = _accepted(lax_sim)
    order, now = accepted[0], sim_now(lax_sim.state)
    upsert_box_type("BOX", length_mm=400, width_mm=300, height_mm=300, max_load_g=50000, stock=100, now=now)
    issued = issue_waybills([order.id], "ZTO", _provider(shop, lax_sim), actor=ACTOR, now=now)
    _pack(order, now)
    lax_sim.state.update_order(order.order_sn, refund_status=2)  # asked on the platform after packing

    with pytest.raises(DispatchRefused) as refused:
        dispatch_scan(issued[0].waybill_code, station="D1", actor=ACTOR, now=now)

    assert refused.value.code == "dispatch.ship_refused" and order.order_sn in str(refused.value)
    assert FloorRefusal.objects.get(order=order).code == "dispatch.ship_refused"
    assert not Shipment.objects.filter(order=order).exists()
    assert not DispatchScan.objects.filter(order=order).exists()
    assert (Order.objects.get(id=order.id).status, Waybill.objects.get(order=order).state) == ("PACKED", "issued")
    assert lax_sim.state.shipments == []


def test_the_api_ship_of_an_order_refunded_on_the_platform_is_refused(db, lax_sim, client):
    from kuaifa.services.people import add_member, issue_api_token

    _, accepted = _accepted(lax_sim)
    order, now = accepted[0], sim_now(lax_sim.state)
    add_member("warehouse", "warehouse", "kuaifa-warehouse-2026", actor=ACTOR, now=now)
    key = issue_api_token("warehouse", actor=ACTOR, now=now)
    lax_sim.state.update_order(order.order_sn, refund_status=2)

    response = client.post(f"/api/orders/{order.id}/ship", data=json.dumps({"logistics_id": YTO,
                           "tracking_number": "YT1234567890127"}), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")  # fmt: skip

    assert response.status_code == 409, response.content
    assert response.json()["code"] == "ship.refused" and order.order_sn in response.json()["message"]
    assert not Shipment.objects.filter(order=order).exists()
    assert Order.objects.get(id=order.id).status == "ACCEPTED"
    assert lax_sim.state.shipments == []


def test_the_check_asks_the_platform_the_composition_root_provides(db, strict_sim):
    """The edge decides which platform the service asks: here the shop's gateway on the simulator's own clock, so
    the strict gateway answers (with the default edge on the real clock it refuses, see above)."""
    _, accepted = _accepted(strict_sim)
    refunded, clean = accepted[0], accepted[1]
    strict_sim.state.update_order(refunded.order_sn, refund_status=2)
    asked = []

    def on_the_sim_clock(shop):
        asked.append(shop.id)
        return platform_for(shop, clock=strict_sim.state.now, sleep=Sleeps())

    previous = platform_port.provide(on_the_sim_clock)
    try:
        with pytest.raises(ShipRefused, match=refunded.order_sn):
            ship_order(refunded.id, carrier="YTO", tracking_number="YT1234567890128", actor=ACTOR,
                       now=sim_now(strict_sim.state))  # fmt: skip
        shipped = ship_order(clean.id, carrier="YTO", tracking_number="YT1234567890129", actor=ACTOR,
                             now=sim_now(strict_sim.state))  # fmt: skip
    finally:
        platform_port.provide(previous)

    assert shipped.refund_check_skipped == "" and len(asked) == 2
    assert not Shipment.objects.filter(order=refunded).exists()
