"""The demo's stock for the simulated PDD shop (``kuaifa demo`` imports it, ``kuaifa serve --with-sim`` sells it):
every merchant code the simulator puts on an order is in the bundled SKU master, bundles with their components,
and the counted stock leaves most SKUs plenty and a few short, so the first sync both accepts and holds."""

import csv
from importlib import resources

from kuaifa.platforms.sim.catalog import CATALOG


def rows(name: str) -> list[dict[str, str]]:
    with (resources.files("kuaifa") / "samples" / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_code_the_simulator_sells_is_in_the_demo_sku_master_with_its_bundle():
    master = {row["商家编码"]: row for row in rows("sim_skus.csv")}

    assert {sku.outer_id for sku in CATALOG} <= master.keys()
    for sku in CATALOG:
        listed = master[sku.outer_id]["组合明细"]
        assert listed == ";".join(f"{code}*{count}" for code, count in sku.components), sku.outer_id


def test_every_stocked_code_has_a_count_some_short_and_most_plenty():
    master = {row["商家编码"]: row for row in rows("sim_skus.csv")}
    counts = {row["商家编码"]: int(row["数量"]) for row in rows("sim_stock.csv")}
    physical = {code for code, row in master.items() if not row["组合明细"]}

    assert counts.keys() == physical  # a bundle has no stock of its own: its components do
    assert any(count < 50 for count in counts.values()) and sum(count >= 100 for count in counts.values()) >= 5
