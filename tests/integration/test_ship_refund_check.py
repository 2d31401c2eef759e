"""Every path that ships asks the platform about refunds first (pdd.refund.status.check), inside the shipping
service: an order the buyer asked a refund for on the platform, not yet synced here, does not leave."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kuaifa.cli.main import cli
from kuaifa.persistence.models import Order, OrderEvent, Shipment, Waybill
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.services.shipping import ShipRefused, ship_merged_parcel, ship_order
from kuaifa.services.waybills import issue_waybills
from tests.integration.platform_fixtures import ACTOR, quiet_moment, running_sim, sim_now
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
        ship_order(refunded.id, logistics_id=YTO, tracking_number="YT1234567890123", actor=ACTOR, now=now)
    with pytest.raises(ShipRefused, match=refunded.order_sn):
        ship_merged_parcel([clean.id, refunded.id], logistics_id=YTO, tracking_number="YT1234567890124",
                           actor=ACTOR, now=now)  # fmt: skip
    assert not Shipment.objects.filter(order__in=[refunded, clean]).exists()

    shipped = ship_order(clean.id, logistics_id=YTO, tracking_number="YT1234567890125", actor=ACTOR, now=now)
    assert shipped.refund_check_skipped == ""
    assert "refund_check_skipped" not in OrderEvent.objects.get(order=clean, kind="shipped").details


def test_an_unreachable_platform_ships_on_what_kuaifa_knows_and_says_so(db, strict_sim):
    _, accepted = _accepted(strict_sim)  # this gateway refuses the real clock's timestamps: the check cannot run
    order = accepted[0]

    shipped = ship_order(order.id, logistics_id=YTO, tracking_number="YT1234567890126", actor=ACTOR,
                         now=sim_now(strict_sim.state))  # fmt: skip

    assert shipped.refund_check_skipped == "platform.refused"
    details = OrderEvent.objects.get(order=order, kind="shipped").details
    assert details["refund_check_skipped"] == "platform.refused"
