"""Benchmark: stock arriving for a SKU marks the orders held for it due, at a cost that does not follow the SKU's
sales history when few orders are held.

    python bench/stock_arrival.py [--history 10000 1000000] [--held 1000] [--arrivals 30] [--database-url …]

For each history size: a shop (bench/pipeline.py's 200 SKUs, no stock) with ``--held`` orders held for stock,
ingested and reviewed through Kuaifa's services, and ``history`` shipped orders of one line each of its ten
best-selling SKUs (inserted by DB-API in bulk: they are the setting, not what is measured). Timed, alternately,
``--arrivals`` times: Kuaifa marking due the held orders of one of those SKUs, as a receipt of stock does in its
transaction (``services.review_due.mark_due_for_skus``, bundles containing the SKU followed; one durable
transaction), and the ceiling, the same UPDATE without the bundle step, written by hand on a DB-API connection and
committed at the same durability: below Kuaifa's threshold of held orders each one's lines probed by order (``+``
keeping SQLite off the SKU index), from it the SKU's lines listed. Before each arrival the held orders are set back
to not due (untimed), as review leaves them. Per history size: min and median per arrival, and the ratio ceiling /
Kuaifa. Not a test.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Databases, Timer, setup_django
from pipeline import BENCH, NOW, ORDER_COLUMNS, Raw, generate, seed

BEST_SELLERS = 10
_HELD = "UPDATE kuaifa_order SET review_due = %s WHERE status = 'ON_HOLD' AND NOT review_due AND "
#: the ceiling's statement for few held orders (each one's lines probed) and for many (the SKU's lines listed)
_CEILING = {
    False: _HELD + "EXISTS (SELECT 1 FROM kuaifa_orderline l WHERE l.order_id = kuaifa_order.id AND +l.sku_id = %s)",
    True: _HELD + "id IN (SELECT order_id FROM kuaifa_orderline WHERE sku_id = %s)",
}


def hold(held: int) -> int:
    """Orders for SKUs with no stock, reviewed: all held."""
    from kuaifa.persistence.models import Order, Shop
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.review import review_orders

    shop = Shop.objects.get()
    for orders in generate(held, 2000, seed=3):
        ingest_orders(shop, orders, source=Order.Source.API, actor=BENCH, now=NOW)
    return review_orders(actor=BENCH, now=NOW).held


def add_history(con, vendor: str, size: int) -> None:
    """``size`` shipped orders, one line each of a best-selling SKU (SKU-0000 … SKU-0009, in turn)."""
    raw = Raw(con, vendor)
    shop_id = raw.rows("SELECT id FROM kuaifa_shop")[0][0]
    skus = [sku for (sku,) in raw.rows("SELECT id FROM kuaifa_sku ORDER BY code")[:BEST_SELLERS]]
    now, empty = raw.t(NOW), "[]"
    for start in range(0, size, 10_000):
        sns = [f"history-{i:09d}" for i in range(start, min(size, start + 10_000))]
        rows = [(shop_id, sn, "api", "SHIPPED", empty, empty, 3, 1, 0, 1, 0, False, False, empty, 100, 0, 0, 0, 0,
                 100, "省", "市", "区", "~a~", "~b~", "~c~", "张*", "138****", "路**", False, "", "", "", 0, "", now,
                 now, now, now, "", 1, now, now) for sn in sns]  # fmt: skip
        raw.begin()
        raw.insert("kuaifa_order", ORDER_COLUMNS, rows)
        where, params = raw.ids_in("order_sn", sns)
        ids = [i for (i,) in raw.rows(f"SELECT id FROM kuaifa_order WHERE shop_id = %s AND {where}",
                                      (shop_id, *params))]  # fmt: skip
        lines = [(i, skus[n % BEST_SELLERS], "g", "s", "o", "商品", "规格", 1, 100) for n, i in enumerate(ids)]
        raw.insert("kuaifa_orderline", ("order_id", "sku_id", "goods_id", "platform_sku_id", "outer_id",
                                        "goods_name", "goods_spec", "quantity", "unit_price"), lines)  # fmt: skip
        raw.commit()
    if vendor != "sqlite":
        raw.cur.execute("ANALYZE")
        raw.commit()


def arrivals(con, vendor: str, count: int, held: int) -> tuple[list[float], list[float], int]:
    """Kuaifa and the ceiling in turn, one best-selling SKU each time; seconds per arrival, and orders marked."""
    from django.db import connection, transaction

    from kuaifa.persistence.models import Order, Sku
    from kuaifa.persistence.review_rows import THROUGH_LINES_FROM
    from kuaifa.services.review_due import mark_due_for_skus

    raw = Raw(con, vendor)
    ceiling_sql = raw.sql(_CEILING[held >= THROUGH_LINES_FROM])
    skus = list(Sku.objects.order_by("code").values_list("id", flat=True)[:BEST_SELLERS])
    kuaifa, ceiling, marked = [], [], 0
    for n in range(count):
        sku = skus[n % BEST_SELLERS]
        Order.objects.filter(status="ON_HOLD").update(review_due=False)
        timer = Timer()
        with timer, transaction.atomic(durable=True):
            marked += mark_due_for_skus([sku])
        kuaifa.append(timer.wall)
        Order.objects.filter(status="ON_HOLD").update(review_due=False)
        connection.close()  # the ceiling's connection writes next
        timer = Timer()
        with timer:
            raw.begin()
            raw.cur.execute(ceiling_sql, (True, sku))
            raw.commit()
        ceiling.append(timer.wall)
    return kuaifa, ceiling, marked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--held", type=int, default=1000)
    parser.add_argument("--arrivals", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-"))
    try:
        setup_django(work, args.database_url)
        seed(0)  # the SKUs, no stock
        held = hold(args.held)
        dbs = Databases(work)
        print(f"{dbs.vendor}: {held:,} orders held for stock; {args.arrivals} arrivals for {BEST_SELLERS} SKUs")
        print(f"{'history':>10}  {'Kuaifa min':>11} {'median':>9}  {'ceiling min':>11} {'median':>9}  ratio (medians)")
        for size in args.history:
            name = dbs.fresh()
            con = dbs.raw(name)
            add_history(con, dbs.vendor, size)
            kuaifa, ceiling, marked = arrivals(con, dbs.vendor, args.arrivals, held)
            con.close()
            dbs.drop(name)
            k, c = statistics.median(kuaifa), statistics.median(ceiling)
            print(f"{size:>10,}  {min(kuaifa) * 1e3:>8.2f} ms {k * 1e3:>6.2f} ms  {min(ceiling) * 1e3:>8.2f} ms "
                  f"{c * 1e3:>6.2f} ms  {c / k:6.1%}   "
                  f"({marked / args.arrivals:.0f} orders marked an arrival)")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
