"""Carriers by id or code, refused when unknown; the built-in catalogue listed offline; a tracking number the
carrier's rules only weakly match is shipped only when a person confirms it."""

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from kuaifa.cli.main import cli
from kuaifa.domain.carriers.catalog import CARRIERS
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import LogisticsCompany, Order, Shipment
from kuaifa.services.carriers import (
    UnknownCarrier,
    WeakTrackingNumber,
    carrier_catalogue,
    parcel_number,
    resolve_carrier,
)
from tests.factories import NOW, make_order
from tests.fulfilment.floor import accept
from tests.fulfilment.test_weak_tracking import HOME

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("ref", ["85", 85, "YTO", " yto "])
def test_a_carrier_is_named_by_its_id_or_its_code(ref):
    row = resolve_carrier(ref)
    assert (row.platform_id, row.code, row.name) == (85, "YTO", "圆通快递")


def test_a_former_code_names_the_carrier_of_today():
    assert (resolve_carrier("JTKD").platform_id, resolve_carrier("jtkd").code) == (384, "JTSD")


@pytest.mark.parametrize(
    "ref", ["999", "XX", "", "８５", "204"]
)  # unknown id, unknown code, empty, full-width, retired
def test_an_id_or_code_not_in_the_catalogue_is_refused(ref):
    with pytest.raises(UnknownCarrier) as refused:
        resolve_carrier(ref)
    assert refused.value.params == {"carrier": repr(ref.strip())}
    assert "kuaifa carriers" in refused.value.message


def test_the_fetched_list_wins_over_the_built_in_table_and_adds_carriers_it_does_not_know():
    LogisticsCompany.objects.create(platform="pdd", platform_id=85, name="圆通速递", code="YTO", available=True,
                                    fetched_at=NOW)  # fmt: skip
    LogisticsCompany.objects.create(platform="pdd", platform_id=901, name="新快递", code="NEWEX", available=True,
                                    fetched_at=NOW)  # fmt: skip

    rows = {row.platform_id: row for row in carrier_catalogue()}

    assert len(rows) == len(CARRIERS) + 1
    assert (rows[85].name, rows[85].source) == ("圆通速递", "platform")
    assert (rows[115].name, rows[115].source) == ("中通快递", "built-in")
    assert resolve_carrier("newex").platform_id == 901


def test_a_weakly_matching_tracking_number_needs_a_confirmation():
    with pytest.raises(WeakTrackingNumber) as refused:
        parcel_number(85, "ABC123456", confirm_weak_tracking=False)  # 圆通 numbers start YT
    assert refused.value.params["carrier"] == "YTO"
    assert "--confirm-weak-tracking" in refused.value.message
    assert parcel_number("yto", " ABC123456 ", confirm_weak_tracking=True) == parcel_number(
        85, "ABC123456", confirm_weak_tracking=True
    )
    assert parcel_number(85, "ABC123456", confirm_weak_tracking=True).check.level == "warning"
    assert parcel_number("YTO", "YT7412345678902", confirm_weak_tracking=False).check.level == "ok"


@pytest.fixture
def kuaifa(monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", NOW.isoformat())
    monkeypatch.setenv("KUAIFA_LANG", "en")
    runner = CliRunner()

    def run(*args, ok: bool = True):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result

    return run


def test_carriers_lists_the_built_in_catalogue_offline(kuaifa):
    rows = json.loads(kuaifa("carriers", "--json").output)

    assert len(rows) == len(CARRIERS)
    assert {"platform_id": 85, "code": "YTO", "name": "圆通快递", "available": True, "source": "built-in"} in rows
    assert "28 carriers." in kuaifa("carriers").output


def test_ship_takes_the_carrier_code_and_refuses_a_weak_number_until_confirmed(floor, kuaifa):
    accept(floor, make_order("o1", ("CUP-002", 1)))

    unknown = kuaifa("ship", "o1", "--carrier", "NOPE", "--tracking", "YT7412345678902", "--offline", "--json",
                     ok=False)  # fmt: skip
    assert json.loads(unknown.output)["error"] == "carrier.unknown"
    weak = kuaifa("ship", "o1", "--carrier", "yto", "--tracking", "ABC123456", "--offline", "--json", ok=False)
    assert json.loads(weak.output)["error"] == "carrier.weak_tracking"
    assert Order.objects.get().status == OrderStatus.ACCEPTED
    assert not Shipment.objects.exists()

    kuaifa("ship", "o1", "--carrier", "yto", "--tracking", "ABC123456", "--offline", "--confirm-weak-tracking")

    assert list(Shipment.objects.values_list("logistics_id", "tracking_number")) == [(85, "ABC123456")]


def test_ship_fix_and_ship_extra_take_codes_and_refuse_weak_numbers_until_confirmed(floor, kuaifa):
    accept(floor, make_order("o1", ("CUP-002", 1)))
    kuaifa("ship", "o1", "--carrier", "ZTO", "--tracking", "773100000001", "--offline")

    fix = kuaifa("ship-fix", "o1", "--carrier", "yto", "--tracking", "ABC123456", "--json", ok=False)
    extra = kuaifa("ship-extra", "o1", "--parcel", "YTO:ABC123457", "--json", ok=False)
    unknown = kuaifa("ship-extra", "o1", "--parcel", "999:773100000002", "--json", ok=False)

    assert [json.loads(r.output)["error"] for r in (fix, extra, unknown)] == [
        "carrier.weak_tracking",
        "carrier.weak_tracking",
        "carrier.unknown",
    ]
    assert list(Shipment.objects.values_list("logistics_id", "tracking_number")) == [(115, "773100000001")]
    kuaifa("ship-fix", "o1", "--carrier", "yto", "--tracking", "ABC123456", "--confirm-weak-tracking")
    kuaifa("ship-extra", "o1", "--parcel", "ZTO:773100000002")
    assert sorted(Shipment.objects.values_list("logistics_id", "tracking_number")) == [
        (85, "ABC123456"),
        (115, "773100000002"),
    ]


def test_ship_of_a_merged_parcel_refuses_a_weak_number_until_confirmed(floor, kuaifa):
    accept(floor, replace(make_order("a", ("CUP-002", 1)), receiver=HOME),
           replace(make_order("b", ("TEA-001", 1)), receiver=HOME))  # fmt: skip

    weak = kuaifa("ship", "a", "b", "--carrier", "YTO", "--tracking", "ABC123456", "--offline", "--json", ok=False)

    assert json.loads(weak.output)["error"] == "carrier.weak_tracking"
    assert not Shipment.objects.exists()
    kuaifa("ship", "a", "b", "--carrier", "YTO", "--tracking", "ABC123456", "--offline", "--confirm-weak-tracking")
    assert list(Shipment.objects.values_list("logistics_id", "tracking_number")) == [(85, "ABC123456")] * 2
