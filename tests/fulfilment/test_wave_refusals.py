"""A pick list for a wave with nothing left to pick is refused and changes nothing; slips of a bundle of bundles
list its leaf units and every bundle's enclosures."""

from datetime import timedelta

import pytest

from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.persistence.models import OrderEvent, PrintLog, Wave, WaveOrder
from kuaifa.services.catalog import upsert_skus
from kuaifa.services.labels import slip_data
from kuaifa.services.orders import cancel_order
from kuaifa.services.waves import EmptyWave, create_waves, ready_for_pick_list
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import accept

pytestmark = pytest.mark.django_db

DAY = WaveRule(horizon=timedelta(hours=24))


def test_a_pick_list_for_a_wave_whose_orders_all_left_is_refused_and_the_wave_stays_open(floor):
    accept(floor, make_order("gone", ("TEA-001", 1), ship_in_hours=2))
    (wave,) = create_waves(DAY, actor=ACTOR, now=NOW)
    gone = WaveOrder.objects.get(wave=wave).order_id
    cancel_order(gone, actor=ACTOR, now=NOW)

    with pytest.raises(EmptyWave) as refused:
        ready_for_pick_list(wave.code, actor=ACTOR, now=NOW)

    assert refused.value.params == {"wave": wave.code}
    wave.refresh_from_db()
    assert wave.state == Wave.State.OPEN
    assert list(WaveOrder.objects.filter(wave=wave).values_list("order_id", "active")) == [(gone, True)]
    assert not OrderEvent.objects.filter(kind="wave_removed").exists()
    assert not PrintLog.objects.exists()


def test_a_wave_with_an_order_left_is_ready_and_drops_the_cancelled_ones(floor):
    accept(
        floor, make_order("keep", ("TEA-001", 1), ship_in_hours=1), make_order("gone", ("CUP-002", 1), ship_in_hours=2)
    )
    (wave,) = create_waves(DAY, actor=ACTOR, now=NOW)
    cancel_order(WaveOrder.objects.get(order__order_sn="gone").order_id, actor=ACTOR, now=NOW)

    ready, removed = ready_for_pick_list(f" {wave.code} ", actor=ACTOR, now=NOW)

    assert (ready.id, ready.state) == (wave.id, Wave.State.OPEN)
    assert [(r.order_sn, r.slot) for r in removed] == [("gone", 2)]


def test_a_packing_slip_of_a_bundle_of_bundles_lists_its_leaf_units_and_every_bundle_enclosure(floor):
    deluxe = SkuSpec("DELUXE", name="豪华礼盒", enclosures=("贺卡",), components=(("GIFT-SET", 2), ("LID-003", 1)))
    upsert_skus([deluxe], now=NOW)
    ids = accept(floor, make_order("deluxe", ("DELUXE", 1)))

    (slip,) = slip_data([ids["deluxe"]])

    assert [(i.sku_code, i.quantity, i.enclosures) for i in slip.items] == [
        ("TEA-001", 4, ("说明书",)),
        ("CUP-002", 2, ("气泡膜",)),
        ("LID-003", 1, ()),
    ]
    assert slip.parcel_enclosures == ("贺卡", "发票")
