"""The floor's desk actions: closing a wave only once nothing is left to pack, taking waybills refused by name
before the platform is asked (no carrier, no sender), and Kuaifa's own label refused for platform orders."""

from datetime import timedelta

import pytest

from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.persistence.models import Order, OrderEvent, PrintLog, Wave, WaveOrder
from kuaifa.services.errors import InvalidInput
from kuaifa.services.floor_desk import NoWaybillPossible, WaveStillToPack, close_wave, own_labels_pdf, take_waybills
from kuaifa.services.packing import pack_order
from kuaifa.services.waves import create_waves
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import CUP_BARCODE, accept

pytestmark = pytest.mark.django_db


def never_asked(shop, sender):
    raise AssertionError("the platform must not be asked")


def test_a_wave_closes_only_once_nothing_is_left_to_pack(floor):
    ids = accept(floor, make_order("W-1", ("CUP-002", 1)))
    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=48)), actor=ACTOR, now=NOW)

    with pytest.raises(WaveStillToPack) as refused:
        close_wave(wave.code, actor=ACTOR, now=NOW)
    assert refused.value.params == {"wave": wave.code, "orders": "W-1"}
    assert Wave.objects.get().state == Wave.State.OPEN

    pack_order(ids["W-1"], scans=[CUP_BARCODE], enclosures=["气泡膜"], measured_weight_g=None, box_code="S",
               actor=ACTOR, now=NOW)  # fmt: skip
    Wave.objects.filter(id=wave.id).update(state=Wave.State.PICKED)  # packing began; the wave is not settled yet
    closed = close_wave(wave.code, actor=ACTOR, now=NOW)

    assert closed.state == Wave.State.CLOSED
    assert not WaveOrder.objects.filter(wave=wave, active=True).exists()
    assert list(OrderEvent.objects.filter(kind="wave_closed").values_list("order_id", "details")) == [
        (ids["W-1"], {"wave": wave.code})]  # fmt: skip


def test_waybills_are_refused_by_name_before_the_platform_is_asked(floor):
    ids = accept(floor, make_order("N-1", ("TEA-001", 1)), make_order("N-2", ("CUP-002", 1), logistics_id=115))
    Order.objects.filter(id=ids["N-1"]).update(logistics_id=0)

    with pytest.raises(NoWaybillPossible) as no_carrier:
        take_waybills(orders=[ids["N-1"], ids["N-2"]], provider_for=never_asked, actor=ACTOR, now=NOW)
    assert "N-1 names no carrier: choose one" in no_carrier.value.params["reason"]
    assert "shop 测试店 has no sender address" in no_carrier.value.params["reason"]

    with pytest.raises(NoWaybillPossible) as no_sender:
        take_waybills(orders=[ids["N-1"]], carrier="ZTO", provider_for=never_asked, actor=ACTOR, now=NOW)
    assert no_sender.value.params["reason"] == "shop 测试店 has no sender address"


def test_kuaifas_own_label_is_refused_for_a_platform_order_and_nothing_is_logged(floor):
    ids = accept(floor, make_order("O-1", ("TEA-001", 1)))

    with pytest.raises(InvalidInput) as refused:
        own_labels_pdf([ids["O-1"]], render=lambda batch, at: b"%PDF", actor=ACTOR, now=NOW)

    assert "O-1 print through the platform's component" in refused.value.params["reason"]
    assert PrintLog.objects.count() == 0


def test_an_order_holding_a_waybill_keeps_it_and_the_platform_is_not_asked(floor):
    from kuaifa.persistence.models import Waybill

    ids = accept(floor, make_order("K-1", ("TEA-001", 1), logistics_id=115))
    Waybill.objects.create(order_id=ids["K-1"], carrier_code="YTO", logistics_id=85, waybill_code="YT1234567890123",
                           issued_at=NOW, actor=ACTOR, updated_at=NOW)  # fmt: skip

    kept = take_waybills(orders=[ids["K-1"]], carrier="ZTO", provider_for=never_asked, actor=ACTOR, now=NOW)

    assert (kept.taken, kept.reused) == ((), ("K-1",))
    assert list(Waybill.objects.values_list("waybill_code", flat=True)) == ["YT1234567890123"]
