"""Parcel tracking over real HTTP against the simulated ``pdd.logistics.ordertrace.get``: orders synced from the
simulated shop, shipped through the outbox, then followed day by day — signed parcels mark their orders DELIVERED
and polling stops; stalled and lost parcels (faults on demand) are found, their buyers listed masked, delay notices
drafted; the carrier × province timing is the simulator's (揽收 within hours, 签收 after 1–5 days by distance)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from kuaifa.domain.carriers.traces import StallRule
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, ParcelTrace, Shop
from kuaifa.platforms.pdd.ordertrace import PddTraces
from kuaifa.platforms.sim import ShopConfig, SimGatewayServer
from kuaifa.platforms.sim.ordertrace_api import lose, stall
from kuaifa.platforms.sim.shop import DAY, HOUR
from kuaifa.services.inventory import receive_stock
from kuaifa.services.outbox import deliver
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from kuaifa.services.sync import SyncSettings, sync_orders
from kuaifa.services.tracking import delay_notices, due_shipments, poll, stalled_parcels
from kuaifa.tasks.platforms import platform_for
from tests.integration.platform_fixtures import (
    ACTOR,
    Sleeps,
    connect_sim_shop,
    create_skus,
    lookback_from,
    pdd_gateway,
    quiet_moment,
    running_sim,
    sim_now,
    sku_codes,
)

CONFIG = ShopConfig(seed=20261201, days=1, orders_per_day=150)
YTO, SF = 85, 44
PARCELS = 36


@pytest.fixture
def sim():
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment) as server:
        yield server


def shipped_parcels(sim: SimGatewayServer) -> tuple[Shop, list[Order]]:
    """Accepted orders of the simulated shop shipped by us (every third with 顺丰), told to the platform."""
    state = sim.state
    shop = connect_sim_shop(sim)
    now = sim_now(state)
    for code in sku_codes(state):
        create_skus([code], now=now)
        receive_stock(code, 1000, actor=ACTOR, now=now)
    settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))
    gateway = platform_for(shop, clock=state.now, sleep=Sleeps())
    assert sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings).caught_up
    review_orders(actor=ACTOR, now=now, shop_id=shop.id)
    orders = list(Order.objects.filter(shop=shop, status=OrderStatus.ACCEPTED).order_by("order_sn")[:PARCELS])
    assert len(orders) == PARCELS
    for i, order in enumerate(orders):
        carrier, number = (SF, f"SF{order.id:013d}") if i % 3 == 0 else (YTO, f"YT{order.id:012d}")
        shipped = ship_order(order.id, carrier=carrier, tracking_number=number, actor=ACTOR, now=now)
        result = deliver(shipped.outbox_entry_id, lambda s: platform_for(s, clock=state.now, sleep=Sleeps()), now=now)
        assert result.outcome == "done", result
    return shop, [Order.objects.get(id=o.id) for o in orders]


def poll_all(sim: SimGatewayServer) -> Counter:
    port = PddTraces(pdd_gateway(sim, Sleeps()).client)
    now = sim_now(sim.state)
    return Counter(poll(sid, port, actor=ACTOR, now=now).stage for sid in due_shipments(now=now))


def test_every_parcel_is_picked_up_within_hours_and_signed_within_days_then_delivered(db, sim):
    shop, orders = shipped_parcels(sim)
    shipped_at = sim.state.now()

    sim.state.set_now(shipped_at + HOUR)
    waiting = poll_all(sim)
    sim.state.set_now(shipped_at + 10 * HOUR)
    early = poll_all(sim)
    sim.state.set_now(shipped_at + 7 * DAY)
    final = poll_all(sim)
    again = poll_all(sim)

    assert waiting == Counter({"none": PARCELS})  # not picked up within the first hour
    assert early == Counter({"in_transit": PARCELS})  # 揽收 2–6 h after shipping, left the origin hub 3 h later
    assert final == Counter({"signed": PARCELS})
    assert again == Counter()  # polling stops at a final stage
    assert set(Order.objects.filter(shop=shop).filter(id__in=[o.id for o in orders])
               .values_list("status", flat=True)) == {OrderStatus.DELIVERED}  # fmt: skip
    hours: dict[str, list[float]] = {}
    for trace in ParcelTrace.objects.select_related("shipment__order"):
        events = trace.events
        picked, signed = events[0]["at"], events[-1]["at"]
        pickup_h = (_ts(picked) - shipped_at) / HOUR
        assert 2 <= pickup_h <= 6, events[0]
        assert (events[0]["stage"], events[-1]["stage"]) == ("picked_up", "signed")
        hours.setdefault(trace.shipment.order.province, []).append((_ts(signed) - _ts(picked)) / HOUR)
    assert all(16 <= h <= 5 * 24 + 12 for hs in hours.values() for h in hs), hours
    near = [h for p, hs in hours.items() if p.startswith(("浙江", "上海", "江苏")) for h in hs]
    far = [h for p, hs in hours.items() if p.startswith(("新疆", "西藏", "四川")) for h in hs]
    assert near and far, sorted(hours)
    assert max(near) < min(far)


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso).timestamp()


def test_stalled_and_lost_parcels_are_found_with_masked_buyers_and_get_delay_notices(db, sim):
    _, orders = shipped_parcels(sim)
    shipped_at = sim.state.now()
    number = {o.id: o.shipments.get(is_primary=True).tracking_number for o in orders}
    stuck, lost = orders[:3], orders[3]
    for order in stuck:
        stall(sim.state, number[order.id], after_events=2)
    lose(sim.state, number[lost.id], after_events=2)

    sim.state.set_now(shipped_at + 4 * DAY)
    poll_all(sim)
    found = stalled_parcels(now=sim_now(sim.state), rule=StallRule(hours=48))
    notices = dict(delay_notices(found))

    assert sorted(p.order_sn for p in found) == sorted(o.order_sn for o in stuck)
    for parcel in found:
        order = next(o for o in stuck if o.order_sn == parcel.order_sn)
        assert parcel.silent >= timedelta(hours=48)
        assert parcel.latest.endswith("发往下一站")  # the last event before it stuck
        assert "*" in parcel.buyer and parcel.buyer == order.receiver_name_mask
        assert order.receiver_name_mask not in notices[parcel.order_sn]
        assert number[order.id] in notices[parcel.order_sn] and parcel.latest in notices[parcel.order_sn]
    lost_trace = ParcelTrace.objects.get(shipment__order=lost)
    assert (lost_trace.stage, lost_trace.events[-1]["text"][:6]) == ("exception", "快件疑似丢失")
    assert Order.objects.get(id=lost.id).status == OrderStatus.SHIPPED
    assert Order.objects.filter(id__in=[o.id for o in stuck], status=OrderStatus.SHIPPED).count() == 3


def test_the_trace_of_a_number_the_carrier_never_saw_is_empty_and_an_unknown_carrier_is_refused(db, sim):
    from kuaifa.domain.platform import PlatformError

    port = PddTraces(pdd_gateway(sim, Sleeps()).client)

    assert port.traces("YTO", "YT000000000000") == []
    with pytest.raises(PlatformError):
        port.traces("NOPE", "YT000000000000")


def test_timeliness_measured_from_the_traces_feeds_carrier_choice_and_says_so(db, sim):
    from kuaifa.domain.carriers.choice import TariffRow
    from kuaifa.services.carrier_choice import choose_for_order, import_tariffs
    from kuaifa.services.timeliness import carrier_timeliness

    _, orders = shipped_parcels(sim)
    shipped_at = sim.state.now()
    stuck = orders[1]  # a 圆通 parcel (every third one goes 顺丰)
    stall(sim.state, stuck.shipments.get(is_primary=True).tracking_number, after_events=2)
    sim.state.set_now(shipped_at + 7 * DAY)
    poll_all(sim)
    now = sim_now(sim.state)

    rows = carrier_timeliness(now=now)

    assert sum(r.counted for r in rows) == PARCELS  # signed, or past the promise (the stalled one)
    by_key = {(r.carrier, r.province): r for r in rows}
    stuck_row = by_key[("YTO", stuck.province)]
    assert stuck_row.on_time < stuck_row.counted
    assert {r.carrier for r in rows} == {"SF", "YTO"}
    sf = [r.median_transit_hours for r in rows if r.carrier == "SF" and r.median_transit_hours is not None]
    yto = [r.median_transit_hours for r in rows if r.carrier == "YTO" and r.median_transit_hours is not None]
    assert sum(sf) / len(sf) < sum(yto) / len(yto)  # 顺丰 is the faster carrier in the simulator

    import_tariffs([TariffRow(1, "YTO", (), 1000, 500, 1000, 200, None, 99),
                    TariffRow(2, "SF", (), 1000, 1200, 1000, 500, None, 99)], now=now)  # fmt: skip
    counted = stuck_row.counted
    measured = choose_for_order(stuck.id, now=now, min_parcels=counted, packing_g=200)
    typed = choose_for_order(stuck.id, now=now, min_parcels=counted + 1, packing_g=200)

    assert measured.on_time_sources["YTO"].measured is True
    assert measured.on_time_sources["YTO"].percent == stuck_row.on_time_percent
    assert (typed.on_time_sources["YTO"].measured, typed.on_time_sources["YTO"].percent) == (False, 99)
