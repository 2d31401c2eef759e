"""Print jobs of a wave come in slot order (the pick and pack sequence); the merchant's own orders get Kuaifa's
label with the custom area filled; orders that left the flow or have no e-waybill are refused by name."""

from datetime import timedelta

import pytest

from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.persistence.models import Order
from kuaifa.services.errors import InvalidInput
from kuaifa.services.printing import KUAIFA_LABEL, PrintRefused, print_jobs_for
from kuaifa.services.waves import create_waves
from tests.factories import ACTOR, NOW, make_order
from tests.fulfilment.floor import accept

pytestmark = pytest.mark.django_db


def test_a_waves_own_orders_print_kuaifas_label_in_slot_order_with_the_custom_area(floor):
    orders = [make_order("M-1", ("TEA-001", 1), ship_in_hours=30), make_order("M-2", ("GIFT-SET", 1), ship_in_hours=3),
              make_order("M-3", ("LID-003", 2), ship_in_hours=10)]  # fmt: skip
    accept(floor, *orders, source=Order.Source.MANUAL)
    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=48)), actor=ACTOR, now=NOW)

    jobs = print_jobs_for(wave=wave.code, station="P1")

    assert [(j.slot, j.order_sn, j.kind, j.document_id) for j in jobs] == [
        (1, "M-2", KUAIFA_LABEL, "M-2"), (2, "M-3", KUAIFA_LABEL, "M-3"), (3, "M-1", KUAIFA_LABEL, "M-1")]  # fmt: skip
    assert jobs[0].custom == {"orderSn": "M-2", "enclosures": ["说明书", "气泡膜", "发票"], "items": [
        {"sku": "TEA-001", "name": "绿茶", "count": 2}, {"sku": "CUP-002", "name": "茶杯", "count": 1}]}  # fmt: skip
    assert {j.print_data for j in jobs} == {""} and not any(j.printed_before for j in jobs)


def test_platform_orders_without_a_waybill_and_cancelled_orders_are_refused_by_name(floor):
    ids = accept(floor, make_order("N-1", ("TEA-001", 1)), make_order("N-2", ("CUP-002", 1)))
    Order.objects.filter(order_sn="N-2").update(status="CANCELLED")

    with pytest.raises(PrintRefused) as refused:
        print_jobs_for(orders=[ids["N-1"], ids["N-2"]], station="P1")
    assert refused.value.params["reason"] == "N-1 has no e-waybill yet (take one first); N-2 is CANCELLED"
    with pytest.raises(InvalidInput):
        print_jobs_for(orders=[ids["N-1"]], station=" ")
