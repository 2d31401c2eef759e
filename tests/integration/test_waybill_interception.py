"""An intercepted order's unused e-waybill number goes back to the platform by itself (the simulated PDD gateway
over real HTTP): cancelled, held by a person or stopped by the platform; orders still on their way keep theirs."""

from __future__ import annotations

import pytest

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Order, OrderEvent, Waybill
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.services.orders import cancel_order, hold_order
from kuaifa.services.waybills import cancel_intercepted_waybills, issue_waybills
from tests.integration.platform_fixtures import ACTOR, quiet_moment, running_sim, sim_now
from tests.integration.test_waybills import CANCEL, CONFIG, _accepted, _live_records, _provider


@pytest.fixture
def sim():
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment) as server:
        yield server


def test_unused_waybills_of_intercepted_orders_are_given_back_and_the_others_kept(db, sim):
    shop, accepted = _accepted(sim)
    held, cancelled, refund, kept = accepted[:4]
    now = sim_now(sim.state)
    taken = issue_waybills([o.id for o in accepted[:4]], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)
    issued = {w.order_sn: w.waybill_code for w in taken}
    hold_order(held.id, note="买家要求拦截", actor=Actor.user("li"), now=now)
    cancel_order(cancelled.id, actor=Actor.user("li"), now=now)
    Order.objects.filter(id=refund.id).update(refund_status=2)  # the platform reports a refund request

    sweep = cancel_intercepted_waybills(lambda s: _provider(s, sim), actor=ACTOR, now=now)

    assert sweep.failed == []
    assert sorted(sweep.cancelled) == sorted(
        f"{o.order_sn} ZTO {issued[o.order_sn]}" for o in (held, cancelled, refund)
    )
    states = dict(Waybill.objects.values_list("order__order_sn", "state"))
    assert states == {held.order_sn: "cancelled", cancelled.order_sn: "cancelled", refund.order_sn: "cancelled",
                      kept.order_sn: "issued"}  # fmt: skip
    assert len(sim.state.calls_of(CANCEL)) == 3
    assert [r.waybill_code for r in _live_records(sim, kept.order_sn)] == [issued[kept.order_sn]]
    assert _live_records(sim, held.order_sn) == []
    assert OrderEvent.objects.filter(kind="waybill_cancelled").count() == 3
    assert Order.objects.get(id=kept.id).status == OrderStatus.ACCEPTED

    again = cancel_intercepted_waybills(lambda s: _provider(s, sim), actor=ACTOR, now=now)  # nothing left to do
    assert (again.cancelled, again.failed, len(sim.state.calls_of(CANCEL))) == ([], [], 3)
