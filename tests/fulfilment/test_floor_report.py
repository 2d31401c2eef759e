"""The floor's day: refused scans, refused (out-of-tolerance) weights and force-packed parcels listed; per person,
orders picked, parcels packed and errors counted — only for the China day asked."""

from datetime import timedelta

import pytest

from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.services.floor_report import floor_exceptions, people_counts
from kuaifa.services.packing import WeightOutOfTolerance
from kuaifa.services.station import StationRefused, open_parcel, scan_unit, seal_parcel
from kuaifa.services.waves import create_waves
from tests.factories import NOW, make_order
from tests.fulfilment.floor import CUP_BARCODE, TEA_BARCODE, accept

pytestmark = pytest.mark.django_db


def test_the_day_lists_refusals_overweight_and_force_packed_and_counts_per_person(floor):
    accept(floor, make_order("F-1", ("CUP-002", 1)), make_order("F-2", ("TEA-001", 1)))
    create_waves(WaveRule(horizon=timedelta(hours=48)), actor=Actor.user("zhao"), now=NOW)
    open_parcel("P1", "F-1", actor=Actor.user("li"), now=NOW)
    with pytest.raises(StationRefused):
        scan_unit("P1", TEA_BARCODE, actor=Actor.user("li"), now=NOW)  # not in this parcel
    scan_unit("P1", CUP_BARCODE, actor=Actor.user("li"), now=NOW)
    scan_unit("P1", "气泡膜", actor=Actor.user("li"), now=NOW)
    with pytest.raises(WeightOutOfTolerance):
        seal_parcel("P1", weight_g=900, box_code="S", actor=Actor.user("li"), now=NOW)
    seal_parcel("P1", weight_g=900, box_code="S", force=True, actor=Actor.user("li"), now=NOW + timedelta(minutes=1))

    day = NOW.astimezone(CHINA).date()
    listed = [(e.kind, e.actor, e.order_sn, e.code) for e in floor_exceptions(day)]
    assert listed == [
        ("overweight", "user:li", "F-1", "pack.weight_out_of_tolerance"),
        ("refused_scan", "user:li", "F-1", "pack.sku_not_in_order"),
        ("force_packed", "user:li", "F-1", "weigh.too_heavy"),
    ]
    counts = {(p.actor, p.picked, p.packed, p.errors) for p in people_counts(day)}
    assert counts == {("user:zhao", 2, 0, 0), ("user:li", 0, 1, 2)}
    assert floor_exceptions(day + timedelta(days=1)) == [] and people_counts(day - timedelta(days=1)) == []
