"""Choosing a carrier for a stored order: destination, weight from the SKU master, the buyer's memo, on-time rates."""

from pathlib import Path

import pytest

from kuaifa.domain.carriers.choice import ChoiceRules, TariffRow
from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.persistence.models import CarrierTariff, Order
from kuaifa.platforms.pdd_export.table import read_table
from kuaifa.platforms.pdd_export.tariffs import parse_tariff_sheet
from kuaifa.services.carrier_choice import TariffRowRefused, choose_for_order, import_tariffs
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


def stored() -> list[tuple[str, list[str], int]]:
    return list(CarrierTariff.objects.order_by("id").values_list("carrier_code", "provinces", "first_fee"))


def test_a_sheet_with_a_bad_row_imports_nothing_and_names_the_row(tariffs, tmp_path):
    before = stored()
    sheet = tmp_path / "tariffs.csv"
    sheet.write_text(
        "快递公司,省份,首重(g),首重费(元),续重(g),续重费(元)\n"
        "JTSD,,1000,2.00,1000,1.00\n"
        "JTSD,浙江、江苏,1000,1.50,1000,0.50\n"
        "YTO,,1000,2.20,1000,1.20\n"
        "JTSD,上海、江苏,1000,1.60,1000,0.60\n"  # line 5: 江苏 priced a second time for 极兔
        "YUNDA,,1000,2.10,1000,1.10\n",
        encoding="utf-8",
    )
    rows, problems = parse_tariff_sheet(read_table(sheet))
    assert problems == [] and [r.row for r in rows] == [2, 3, 4, 5, 6]

    with pytest.raises(TariffRowRefused) as refused:
        import_tariffs(rows, now=NOW)

    assert refused.value.params["row"] == 5
    assert refused.value.message.startswith("Row 5 of the tariff sheet: Tariff of JTSD: 江苏 priced twice.")
    assert stored() == before  # rows 2-4 were written before row 5 was refused, and rolled back with it


def test_a_row_the_database_refuses_is_named_and_nothing_is_imported(tariffs):
    before = stored()
    good = TariffRow(2, "YTO", (), 1000, 280, 1000, 180)
    too_slow = TariffRow(3, "ZTO", (), 1000, 300, 1000, 150, on_time_percent=-1)  # a positive column

    with pytest.raises(TariffRowRefused) as refused:
        import_tariffs([good, too_slow], now=NOW)

    assert refused.value.params["row"] == 3 and "the database refused it" in refused.value.message
    assert stored() == before
