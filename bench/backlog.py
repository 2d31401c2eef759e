"""Benchmark: reviewing new orders costs the same whether or not a large backlog is held for stock.

    python bench/backlog.py [--held 100000] [--new 1000] [--repeat 3] [--database-url postgres://…]

Two databases are prepared through Kuaifa's services: one with no held orders, one with ``--held`` orders held for
stock (their SKUs have none). On a fresh copy of each, ``--new`` orders for SKUs in stock are ingested (not timed),
then ``review_orders`` runs (timed) the way the scheduled job calls it. Runs alternate (empty, backlog, empty, …);
min and median are printed with the ratio backlog / empty (goal ≤ 2×). Not a test.
"""

import argparse
import dataclasses
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Databases, Timer, setup_django
from pipeline import BENCH, NOW, generate, seed


def out_of_stock(orders):
    """The same orders, for SKUs nobody stocked (OUT-…), numbered apart from the new ones."""
    return [
        dataclasses.replace(
            o,
            order_sn="H" + o.order_sn,
            lines=tuple(dataclasses.replace(x, outer_id="OUT-" + x.outer_id) for x in o.lines),
        )
        for o in orders
    ]


def add_backlog(held: int) -> int:
    from kuaifa.domain.inventory.catalog import SkuSpec
    from kuaifa.persistence.models import Order, Shop
    from kuaifa.services.catalog import upsert_skus
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.review import review_orders

    shop = Shop.objects.get()
    upsert_skus([SkuSpec(f"OUT-SKU-{i:04d}", name="缺货") for i in range(200)], now=NOW)
    for orders in generate(held, 5000, seed=5):
        ingest_orders(shop, out_of_stock(orders), source=Order.Source.API, actor=BENCH, now=NOW)
    review_orders(actor=BENCH, now=NOW)
    return Order.objects.filter(status="ON_HOLD", hold_reasons=["stock_insufficient"]).count()


def review_new(new: int) -> tuple[Timer, int]:
    from kuaifa.persistence.models import Order, Shop
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.review import review_orders

    shop = Shop.objects.get()
    for orders in generate(new, new, seed=7):
        ingest_orders(shop, orders, source=Order.Source.API, actor=BENCH, now=NOW)
    timer = Timer()
    with timer:
        report = review_orders(actor=BENCH, now=NOW)
    return timer, report.reviewed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-"))
    try:
        setup_django(work, args.database_url)
        seed(args.new)
        empty = Databases(work, "empty")
        name = empty.fresh()
        held = add_backlog(args.held)
        backlog = Databases(work, "backlog")
        runs: dict[str, list] = {"empty": [], "backlog": []}
        for _ in range(args.repeat):
            for label, dbs in (("empty", empty), ("backlog", backlog)):
                copy = dbs.fresh()
                runs[label].append(review_new(args.new))
                dbs.drop(copy)
        empty.drop(name)
        print(f"{empty.vendor}: review {args.new:,} new orders; backlog of {held:,} held for stock")
        for label, values in runs.items():
            walls = [t.wall for t, _ in values]
            print(f"{label:<10} reviewed {values[-1][1]:>6,}   min {min(walls):6.3f} s   "
                  f"median {statistics.median(walls):6.3f} s")  # fmt: skip
        ratio = [b.wall / e.wall for (e, _), (b, _) in zip(runs["empty"], runs["backlog"], strict=True)]
        print(f"backlog / empty   min {min(ratio):5.2f}×   median {statistics.median(ratio):5.2f}×   (goal ≤ 2×)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
