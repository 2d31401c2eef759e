"""Choosing a carrier for a stored order: destination, weight from the SKU master, the buyer's memo, on-time rates."""

from pathlib import Path

import pytest

from kuaifa.domain.carriers.choice import ChoiceRules
from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.persistence.models import CarrierTariff, Order
from kuaifa.platforms.pdd_export.table import read_table
from kuaifa.platforms.pdd_export.tariffs import parse_tariff_sheet
from kuaifa.services.carrier_choice import choose_for_order, import_tariffs
from kuaifa.services.catalog import upsert_skus
from kuaifa.services.errors import InvalidInput
from kuaifa.services.intake import ingest_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def tariffs(db):
    rows, problems = parse_tariff_sheet(read_table(FIXTURES / "tariffs.csv"))
    assert problems == []
    import_tariffs(rows, now=NOW)


def order(shop, sn: str, qty: int = 1, **fields) -> int:
    upsert_skus([SkuSpec("TEA-001", name="绿茶", weight_g=800)], now=NOW)
    ingest_orders(shop, [make_order(sn, ("TEA-001", qty), **fields)], source=Order.Source.API, actor=ACTOR, now=NOW)
    return Order.objects.get(order_sn=sn).id


def test_the_cheapest_carrier_for_the_weight_is_chosen_and_explained(shop, tariffs):
    light = choose_for_order(order(shop, "light", qty=1))  # 800 g: first weight only — YUNDA 2.50, YTO 2.80, ZTO 3.00
    heavy = choose_for_order(order(shop, "heavy", qty=3))  # 2,400 g: ZTO 6.00, YTO 6.40, YUNDA 6.50

    assert (light.weight_g, light.choice.chosen) == (800, "YUNDA")
    assert (heavy.weight_g, heavy.choice.chosen) == (2400, "ZTO")
    assert heavy.choice.explain()[0] == "2400 g to 浙江省: ZTO chosen"


def test_a_carrier_the_buyer_refused_in_the_memo_is_excluded(shop, tariffs):
    found = choose_for_order(order(shop, "o1", buyer_memo="不要发韵达"))

    assert found.buyer_excluded == {"YUNDA"}
    assert found.choice.chosen == "YTO"
    assert any(line.startswith("YUNDA:") and "excluded" in line for line in found.choice.explain())


def test_an_on_time_floor_keeps_unreliable_carriers_out(shop, tariffs):
    found = choose_for_order(order(shop, "o1"), rules=ChoiceRules(min_on_time_percent=90))

    assert found.choice.chosen == "ZTO"  # the only one recorded at 90 % or better for 浙江


def test_without_tariffs_the_choice_is_refused_clearly(shop):
    with pytest.raises(InvalidInput) as refused:
        choose_for_order(order(shop, "o1"))

    assert "tariffs" in refused.value.message


def test_importing_a_sheet_replaces_the_previous_one(tariffs):
    rows, _ = parse_tariff_sheet(read_table(FIXTURES / "tariffs.csv"))

    import_tariffs(rows[:1], now=NOW)

    assert list(CarrierTariff.objects.values_list("carrier_code", flat=True)) == ["ZTO"]
