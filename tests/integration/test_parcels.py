"""Parcels after the first, told to the simulated platform through the outbox: extra parcels of a shipped order
(pdd.order.upload.extra.logistics) and a corrected tracking number (online.send with redelivery_type 2)."""

from __future__ import annotations

import pytest

from kuaifa.persistence.models import OrderEvent, OutboxEntry, Shipment
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.services.errors import InvalidInput
from kuaifa.services.outbox import deliver
from kuaifa.services.parcels import ExtraKind, correct_shipment, ship_extra_parcels
from kuaifa.services.shipping import ship_order
from tests.integration.platform_fixtures import ACTOR, quiet_moment, running_sim, sim_now
from tests.integration.test_outbox_shipping import CONFIG, YTO, _platform_for, _ready_to_ship, _tracking

pytestmark = pytest.mark.django_db
ZTO = 115  # 中通快递


@pytest.fixture
def sim():
    """The simulated shop at 18:00 on its first day, as the shipping tests use it."""
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment) as server:
        yield server


def _shipped(sim, order):
    shipped = ship_order(order.id, carrier=YTO, tracking_number=_tracking(order), actor=ACTOR,
                         now=sim_now(sim.state))  # fmt: skip
    assert deliver(shipped.outbox_entry_id, _platform_for(sim), now=sim_now(sim.state)).outcome == "done"
    return shipped.shipment


def test_extra_parcels_reach_the_platform_once_and_show_on_the_order(sim):
    _, accepted = _ready_to_ship(sim)
    order = accepted[0]
    _shipped(sim, order)

    parcels = ship_extra_parcels(order.id, [(ZTO, "75312345678901")], kind=ExtraKind.SPLIT, actor=ACTOR,
                                 now=sim_now(sim.state))  # fmt: skip
    entry = OutboxEntry.objects.get(kind="extra_parcels")
    first = deliver(entry.id, _platform_for(sim), now=sim_now(sim.state))
    again = ship_extra_parcels(order.id, [(ZTO, "75312345678901")], actor=ACTOR, now=sim_now(sim.state))

    assert first.outcome == "done"
    assert [(p.is_primary, p.upload_state) for p in Shipment.objects.filter(id=parcels[0].id)] == [(False, "done")]
    assert [(r.order_sn, r.extra_track_type, r.parcels) for r in sim.state.extra_logistics] == [
        (order.order_sn, 1, ((ZTO, "75312345678901"),))
    ]
    assert sim.state.order(order.order_sn)["extra_delivery_list"] == [
        {"logistics_id": ZTO, "tracking_number": "75312345678901"}
    ]
    assert [s.id for s in again] == [parcels[0].id]  # the same parcel again is the same shipment
    assert OutboxEntry.objects.filter(kind="extra_parcels").count() == 1


def test_an_extra_parcel_for_an_order_not_yet_shipped_is_refused(sim):
    _, accepted = _ready_to_ship(sim)

    with pytest.raises(InvalidInput) as refused:
        ship_extra_parcels(accepted[0].id, [(ZTO, "75312345678901")], actor=ACTOR, now=sim_now(sim.state))

    assert "has not shipped" in refused.value.message
    assert not OutboxEntry.objects.exists()


def test_a_wrong_tracking_number_is_corrected_on_the_platform(sim):
    _, accepted = _ready_to_ship(sim)
    order = accepted[0]
    _shipped(sim, order)

    fixed = correct_shipment(order.id, carrier=ZTO, tracking_number="75300000000001", actor=ACTOR,
                             now=sim_now(sim.state))  # fmt: skip
    entry = OutboxEntry.objects.get(key__startswith="ship-fix:")
    outcome = deliver(entry.id, _platform_for(sim), now=sim_now(sim.state))

    assert outcome.outcome == "done"
    assert (fixed.logistics_id, fixed.tracking_number, fixed.upload_state) == (ZTO, "75300000000001", "pending")
    assert Shipment.objects.get(id=fixed.id).upload_state == "done"
    platform = sim.state.order(order.order_sn)
    assert (platform["logistics_id"], platform["tracking_number"]) == (ZTO, "75300000000001")
    assert [(s.redelivery_type, s.tracking_number) for s in sim.state.shipments if s.order_sn == order.order_sn] == [
        (1, _tracking(order)), (2, "75300000000001"),
    ]  # fmt: skip
    assert OrderEvent.objects.filter(order=order, kind="shipment_corrected").count() == 1


def test_a_tracking_number_serves_one_order(sim):
    _, accepted = _ready_to_ship(sim)
    first, second = accepted[0], accepted[1]
    _shipped(sim, first)
    _shipped(sim, second)

    with pytest.raises(InvalidInput) as refused:
        ship_extra_parcels(second.id, [(YTO, _tracking(first))], actor=ACTOR, now=sim_now(sim.state))

    assert first.order_sn in refused.value.message


def test_a_failed_upload_retried_by_a_person_goes_through_and_keeps_its_claim_count(sim):
    from kuaifa.services.outbox import retry_failed

    _, accepted = _ready_to_ship(sim)
    order = accepted[0]
    shipped = ship_order(order.id, carrier=YTO, tracking_number=_tracking(order), actor=ACTOR,
                         now=sim_now(sim.state))  # fmt: skip
    sim.state.fail_next(1, code=20031, api="pdd.logistics.online.send")  # no permission: a person must act

    failed = deliver(shipped.outbox_entry_id, _platform_for(sim), now=sim_now(sim.state))
    assert failed.outcome == "failed"
    assert retry_failed(now=sim_now(sim.state)) == 1
    again = deliver(shipped.outbox_entry_id, _platform_for(sim), now=sim_now(sim.state))

    entry = OutboxEntry.objects.get(id=shipped.outbox_entry_id)
    assert (again.outcome, entry.state, entry.attempts) == ("done", "done", 2)
    assert [s.order_sn for s in sim.state.shipments] == [order.order_sn]
