"""Copies we already hold are left out before mapping: a window fetched again stores nothing and maps nothing it
holds, while orders whose stored copy is older, and orders waiting in the quarantine, are still processed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from kuaifa.domain.orders.canonical import CanonicalOrder
from kuaifa.domain.platform import Unmapped
from kuaifa.persistence.models import Order, OrderEvent, QuarantinedRecord, SyncCursor
from kuaifa.platforms.sim import ShopConfig
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.services.quarantine import set_aside
from kuaifa.services.sync import ORDERS, HeldOrders, SyncSettings, sync_orders
from tests.integration.platform_fixtures import (
    ACTOR,
    Sleeps,
    assert_mirrors,
    connect_sim_shop,
    lookback_from,
    pdd_gateway,
    quiet_moment,
    running_sim,
    sim_now,
)

CONFIG = ShopConfig(seed=20261205, days=1, orders_per_day=150)


@pytest.fixture
def sim():
    with running_sim(CONFIG, now=lambda shop: quiet_moment(shop, shop.end_ts + HOUR)) as server:
        yield server


def _synced(sim):
    state = sim.state
    shop = connect_sim_shop(sim)
    gateway = pdd_gateway(sim, Sleeps())
    settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts), catch_up_group=1)
    first = sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings)
    assert first.caught_up and first.ingest.created > 100
    return shop, gateway, settings


def _again_from(shop, hours_back: int) -> None:
    """Move the committed cursor back, as if the last windows had to be fetched again."""
    cursor = SyncCursor.objects.get(shop=shop, stream=ORDERS)
    cursor.position -= timedelta(hours=hours_back)
    cursor.save()


def test_a_window_fetched_again_skips_every_copy_we_hold_before_mapping(db, sim):
    state = sim.state
    shop, gateway, settings = _synced(sim)
    events = OrderEvent.objects.count()
    _again_from(shop, 24)

    again = sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings)

    assert again.caught_up and again.fetched > 100
    assert again.skipped == again.fetched  # every copy was held: none mapped, none upserted
    assert again.ingest.created == again.ingest.updated == again.ingest.unchanged == 0
    assert OrderEvent.objects.count() == events
    assert_mirrors(shop, state)


def test_an_order_whose_stored_copy_is_older_is_still_updated(db, sim):
    state = sim.state
    shop, gateway, settings = _synced(sim)
    order = Order.objects.filter(shop=shop).order_by("-platform_updated_at").first()
    newest = order.platform_updated_at
    Order.objects.filter(id=order.id).update(platform_updated_at=newest - timedelta(minutes=5), remark="older copy",
                                             fingerprint="an older copy")  # fmt: skip
    _again_from(shop, 2)

    again = sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings)

    order.refresh_from_db()
    assert again.ingest.updated == 1 and again.skipped == again.fetched - 1
    assert order.platform_updated_at == newest and order.remark != "older copy"
    assert order.events.filter(kind="platform_updated").exists()


def test_an_order_waiting_in_the_quarantine_is_mapped_again_and_resolves_it(db, sim):
    state = sim.state
    shop, gateway, settings = _synced(sim)
    order = Order.objects.filter(shop=shop).order_by("-platform_updated_at").first()
    unreadable = Unmapped(order.order_sn, {"order_sn": order.order_sn}, "pdd.order_malformed", "broken",
                          order.platform_updated_at)  # fmt: skip
    with transaction.atomic():  # an unreadable copy of the same moment was set aside earlier
        set_aside(shop, ORDERS, [unreadable], source="sync", now=sim_now(state))
    _again_from(shop, 2)

    again = sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings)

    row = QuarantinedRecord.objects.get(shop=shop, platform_key=order.order_sn)
    assert row.resolved_at is not None and row.resolution == "mapped"
    assert again.skipped == again.fetched - 1 and again.ingest.unchanged == 1


def test_held_copies_are_those_stored_as_new_or_newer_and_those_an_earlier_window_brought(db, sim):
    shop, _gateway, _settings = _synced(sim)
    stored = Order.objects.filter(shop=shop).order_by("id")[:3]
    a, b, c = ((o.order_sn, o.platform_updated_at) for o in stored)
    minute = timedelta(minutes=1)
    held = HeldOrders(shop)

    assert held([a, (b[0], b[1] - minute), (c[0], c[1] + minute), ("unknown-sn", a[1])]) == {a[0], b[0]}
    Order.objects.filter(order_sn=a[0]).update(platform_updated_at=None)  # stored from a file: no platform time
    assert held([a]) == set()

    brought = CanonicalOrder(order_sn="brought-sn", lines=(), updated_at=a[1])
    held.note([brought])
    assert held([("brought-sn", a[1])]) == {"brought-sn"}
    assert held([("brought-sn", a[1] + minute)]) == set()  # a newer copy than the group brought
