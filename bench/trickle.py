"""Benchmark: orders arriving one at a time (a push, a manual order, a slow shop), against a raw DB-API loop.

    python bench/trickle.py [--orders 2000] [--repeat 3] [--database-url postgres://…]

Kuaifa's side calls ``take_order`` once per order: the order is stored and reviewed (rules + allocation) in one
durable transaction. The ceiling does the same work per order with raw DB-API calls in one transaction at the same
durability: look the order number up, insert the order, its lines and its ``ingested`` event, reserve stock with a
conditional ``UPDATE … SET reserved = reserved + q WHERE on_hand - reserved >= q`` per line, insert the reservations,
set the status and insert the ``reviewed`` event, commit. Input is generated outside the timed regions; runs are
interleaved on fresh copies of one seeded database; min and median are printed with wall and CPU ratios. Not a test.
"""

import argparse
import dataclasses
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Databases, Timer, setup_django
from pipeline import BENCH, EVENT_COLUMNS, LINE_COLUMNS, NOW, ORDER_COLUMNS, RESERVATION_COLUMNS, Raw, generate, seed


def run_kuaifa(n: int) -> tuple[Timer, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kuaifa.persistence.models import Order, Shop
    from kuaifa.services.intake import take_order

    shop = Shop.objects.get()
    timer = Timer()
    for (order,) in generate(n, 1):
        with timer:
            take_order(shop, order, source=Order.Source.API, actor=BENCH, now=NOW)
    accepted = Order.objects.filter(status="ACCEPTED").count()
    (order,) = next(generate(1, 1, seed=99))
    order = dataclasses.replace(order, order_sn="count-queries")
    with CaptureQueriesContext(connection) as queries:  # one more order, outside the timing, to count statements
        take_order(shop, order, source=Order.Source.API, actor=BENCH, now=NOW)
    return timer, len(queries.captured_queries), accepted


def run_ceiling(con, vendor: str, shop_id: int, n: int) -> tuple[Timer, int]:
    raw = Raw(con, vendor)
    raw.insert = raw_insert_rows.__get__(raw)  # one order at a time: plain INSERTs on both databases
    sku_of = dict(raw.rows("SELECT code, id FROM kuaifa_sku"))
    level_of = dict(raw.rows("SELECT sku_id, id FROM kuaifa_stocklevel"))
    now, empty, details = raw.t(NOW), "[]", json.dumps({"source": "api"})
    accepted = 0
    timer = Timer()
    reserve = raw.sql(
        "UPDATE kuaifa_stocklevel SET reserved = reserved + %s WHERE id = %s AND on_hand - reserved >= %s"
    )
    for (o,) in generate(n, 1):
        with timer:
            raw.begin()
            if raw.rows("SELECT id FROM kuaifa_order WHERE shop_id = %s AND order_sn = %s", (shop_id, o.order_sn)):
                raw.commit()
                continue
            r = o.receiver
            row = (shop_id, o.order_sn, "api", "NEW", empty, empty, 1, 1, 0, 1, 0, False, False, empty,
                   o.goods_amount_fen, 0, 0, 0, 0, o.pay_amount_fen, r.province, r.city, r.town, r.name, r.phone,
                   r.address, r.name_mask, r.phone_mask, r.address_mask, False, "", o.buyer_memo, "", 0, "",
                   raw.t(o.created_at), raw.t(o.paid_at), raw.t(o.last_ship_time), raw.t(o.updated_at),
                   "0" * 32, 1, now, now)  # fmt: skip
            order_id = raw.insert("kuaifa_order", ORDER_COLUMNS, [row])[0]
            line_ids = raw.insert("kuaifa_orderline", LINE_COLUMNS, [
                (order_id, sku_of.get(x.outer_id), x.goods_id, x.platform_sku_id, x.outer_id, x.goods_name,
                 x.goods_spec, x.quantity, x.unit_price_fen) for x in o.lines])  # fmt: skip
            raw.insert("kuaifa_orderevent", EVENT_COLUMNS, [(order_id, "ingested", "", "NEW", "bench", details, now)])
            ok = not o.buyer_memo
            if ok:
                raw.cur.execute("SAVEPOINT reserve")
                for x in o.lines:
                    raw.cur.execute(reserve, (x.quantity, level_of[sku_of[x.outer_id]], x.quantity))
                    if raw.cur.rowcount != 1:
                        ok = False
                        raw.cur.execute("ROLLBACK TO SAVEPOINT reserve")
                        break
            if ok:
                raw.insert("kuaifa_reservation", RESERVATION_COLUMNS, [
                    (order_id, line_id, level_of[sku_of[x.outer_id]], sku_of[x.outer_id], x.quantity, "open", now)
                    for line_id, x in zip(line_ids, o.lines, strict=True)])  # fmt: skip
                status, reasons = "ACCEPTED", "[]"
                accepted += 1
            else:
                status, reasons = "ON_HOLD", '["stock_insufficient"]'
            raw.cur.execute(raw.sql("UPDATE kuaifa_order SET status = %s, hold_reasons = %s, version = version + 1, "
                                    "updated_at = %s WHERE id = %s"), (status, reasons, now, order_id))  # fmt: skip
            raw.insert("kuaifa_orderevent", EVENT_COLUMNS, [(order_id, "reviewed", "NEW", status, "bench", "{}", now)])
            raw.commit()
    return timer, accepted


def raw_insert_rows(self: Raw, table: str, columns: tuple[str, ...], rows: list[tuple]) -> list[int]:
    """INSERT one row at a time, returning the new ids."""
    marks = ", ".join(["%s"] * len(columns))
    sql = self.sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) RETURNING id")
    ids = []
    for row in rows:
        self.cur.execute(sql, row)
        ids.append(self.cur.fetchone()[0])
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each side")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (both sides run there)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-"))
    try:
        setup_django(work, args.database_url)
        from django.db import connection

        shop_id = seed(args.orders)
        dbs = Databases(work)
        kuaifa, ceiling = [], []
        for _ in range(args.repeat):
            name = dbs.fresh()
            kuaifa.append(run_kuaifa(args.orders))
            dbs.drop(name)
            name = dbs.fresh()
            connection.close()
            con = dbs.raw(name)
            ceiling.append(run_ceiling(con, dbs.vendor, shop_id, args.orders))
            con.close()
            dbs.drop(name)
        n = args.orders
        k_wall, c_wall = [t.wall for t, _, _ in kuaifa], [t.wall for t, _ in ceiling]
        print(f"{dbs.vendor}, {n:,} orders one at a time, {args.repeat} interleaved runs of each side")
        print(f"accepted                   kuaifa {kuaifa[-1][2]:,}   ceiling {ceiling[-1][1]:,}")
        print(f"queries for one order      {kuaifa[-1][1]}")
        for label, values in (("kuaifa", k_wall), ("raw DB-API", c_wall)):
            print(f"{label:<26} min {min(values):6.2f} s  median {statistics.median(values):6.2f} s"
                  f"  ({n / min(values):,.0f} orders/s at best)")  # fmt: skip
        wall = [c.wall / k.wall for (k, _, _), (c, _) in zip(kuaifa, ceiling, strict=True)]
        cpu = [c.cpu / k.cpu for (k, _, _), (c, _) in zip(kuaifa, ceiling, strict=True)]
        print(
            f"ratio, wall time           min {min(wall):6.1%}    median {statistics.median(wall):6.1%}  (raw / kuaifa)"
        )
        print(f"ratio, CPU time            min {min(cpu):6.1%}  median {statistics.median(cpu):6.1%}  (this process)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
