"""Benchmark: orders arriving one at a time (a push, a manual order, a slow shop), against a raw DB-API loop.

    python bench/trickle.py [--orders 2000] [--repeat 3] [--database-url postgres://…]

Kuaifa's side calls ``take_order`` once per order: the order is stored and reviewed (rules + allocation) in one
durable transaction. The ceiling does the same work per order with raw DB-API calls in one transaction at the same
durability: look the order number up, insert the order, its lines and its ``ingested`` event, reserve stock with a
conditional ``UPDATE … SET reserved = reserved + q WHERE on_hand - reserved >= q`` per line, insert the reservations,
set the status and insert the ``reviewed`` event, commit. Input is generated outside the timed regions; runs are
interleaved on fresh copies of one seeded database; min and median are printed with wall and CPU ratios. Not a test.

Then the actions phase, on the database each side's intake left: every accepted order is held, released, then
cancelled, one command at a time, each its own transaction — Kuaifa through ``services.workbench.apply_to_orders``
(what the workbench's single-order buttons, its bulk actions and the API call), the ceiling with raw DB-API calls
doing the same work at the same durability: read the order (locked on PostgreSQL), read its open reservations,
``UPDATE … SET reserved = reserved - q WHERE id = … AND reserved >= q`` per stock row, close the reservations,
mark held orders of those SKUs due for review, set status, reasons, waived reasons and version (checked), INSERT
the event, commit.
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


def run_kuaifa_actions(limit: int) -> tuple[Timer, dict[str, int], int]:
    """Hold, release, cancel each accepted order (up to ``limit``) as a person would, one command at a time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kuaifa.persistence.models import Order
    from kuaifa.services.workbench import apply_to_orders

    ids = list(Order.objects.filter(status="ACCEPTED").order_by("id").values_list("id", flat=True)[: limit + 1])
    counted, ids = ids[-1], ids[:-1]
    timer = Timer()
    for order_id in ids:
        for action in ("hold", "release", "cancel"):
            with timer:
                outcome = apply_to_orders(action, [order_id], note="bench", actor=BENCH, now=NOW)
            if outcome.refused:
                raise RuntimeError(f"{action} {order_id}: {outcome.refused}")
    statements = {}
    for action in ("hold", "release", "cancel"):  # one more order, outside the timing, to count statements
        with CaptureQueriesContext(connection) as queries:
            apply_to_orders(action, [counted], note="bench", actor=BENCH, now=NOW)
        statements[action] = len(queries.captured_queries)
    return timer, statements, len(ids)


def run_ceiling_actions(con, vendor: str, limit: int) -> tuple[Timer, int]:
    raw = Raw(con, vendor)
    now = raw.t(NOW)
    lock = "" if raw.sqlite else " FOR UPDATE"
    read = raw.sql(f"SELECT status, hold_reasons, waived_reasons, version FROM kuaifa_order WHERE id = %s{lock}")
    open_reservations = raw.sql(
        "SELECT r.id, r.stock_level_id, s.sku_id, r.quantity FROM kuaifa_reservation r"
        " JOIN kuaifa_stocklevel s ON s.id = r.stock_level_id WHERE r.order_id = %s AND r.state = 'open'"
    )
    unreserve = raw.sql("UPDATE kuaifa_stocklevel SET reserved = reserved - %s WHERE id = %s AND reserved >= %s")
    close = "UPDATE kuaifa_reservation SET state = 'released', closed_at = %s WHERE id IN ({})"
    due = ("UPDATE kuaifa_order SET review_due = %s WHERE status = 'ON_HOLD' AND NOT review_due"
           " AND id IN (SELECT order_id FROM kuaifa_orderline WHERE sku_id IN ({}))")  # fmt: skip
    status = raw.sql("UPDATE kuaifa_order SET status = %s, hold_reasons = %s, waived_reasons = %s,"
                     " version = version + 1, updated_at = %s WHERE id = %s AND version = %s")  # fmt: skip
    event = raw.sql("INSERT INTO kuaifa_orderevent (order_id, kind, from_status, to_status, actor, details, created_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s)")  # fmt: skip
    ids = [row[0] for row in raw.rows("SELECT id FROM kuaifa_order WHERE status = 'ACCEPTED' ORDER BY id")][:limit]
    actor = BENCH.stored
    steps = (  # kind, target, reasons, releases stock
        ("held", "ON_HOLD", '["manual"]', True),
        ("released", "NEW", "[]", False),
        ("cancelled", "CANCELLED", "[]", True),
    )
    timer = Timer()
    for order_id in ids:
        for kind, target, reasons, releases in steps:
            with timer:
                raw.begin()
                raw.cur.execute(read, (order_id,))
                before, _, waived, version = raw.cur.fetchone()
                released = 0
                if releases:
                    raw.cur.execute(open_reservations, (order_id,))
                    rows = raw.cur.fetchall()
                    if rows:
                        for _, level_id, _, quantity in sorted(rows, key=lambda row: row[1]):
                            raw.cur.execute(unreserve, (quantity, level_id, quantity))
                            if raw.cur.rowcount != 1:
                                raise RuntimeError(f"stock row {level_id} below its reservations")
                            released += quantity
                        raw.cur.execute(raw.sql(close.format(", ".join(["%s"] * len(rows)))),
                                        (now, *[row[0] for row in rows]))  # fmt: skip
                        skus = sorted({row[2] for row in rows})
                        raw.cur.execute(raw.sql(due.format(", ".join(["%s"] * len(skus)))), (True, *skus))
                details = json.dumps({"note": "bench", "reasons": ["manual"]} if kind == "held" else
                                     {"waived": []} if kind == "released" else
                                     {"note": "bench", "units_released": released})  # fmt: skip
                raw.cur.execute(status, (target, reasons, waived if isinstance(waived, str) else json.dumps(waived),
                                         now, order_id, version))  # fmt: skip
                if raw.cur.rowcount != 1:
                    raise RuntimeError(f"order {order_id} changed meanwhile")
                raw.cur.execute(event, (order_id, kind, before, target, actor, details, now))
                raw.commit()
    return timer, len(ids)


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


def report_actions(kuaifa: list, ceiling: list) -> None:
    orders = kuaifa[-1][2]
    if orders != ceiling[-1][1]:
        print(f"!! the sides acted on different orders: kuaifa {orders:,}, ceiling {ceiling[-1][1]:,}")
    commands = 3 * orders
    print(f"\nactions: {orders:,} accepted orders held, released, cancelled = {commands:,} commands one at a time")
    print("statements per command     " + ", ".join(f"{a} {n}" for a, n in kuaifa[-1][1].items())
          + "  (BEGIN and COMMIT included)")  # fmt: skip
    k_wall, c_wall = [t.wall for t, _, _ in kuaifa], [t.wall for t, _ in ceiling]
    for label, values in (("kuaifa", k_wall), ("raw DB-API", c_wall)):
        print(f"{label:<26} min {min(values):6.2f} s  median {statistics.median(values):6.2f} s"
              f"  ({commands / min(values):,.0f} commands/s at best)")  # fmt: skip
    wall = [c.wall / k.wall for (k, _, _), (c, _) in zip(kuaifa, ceiling, strict=True)]
    cpu = [c.cpu / k.cpu for (k, _, _), (c, _) in zip(kuaifa, ceiling, strict=True)]
    print(f"ratio, wall time           min {min(wall):6.1%}    median {statistics.median(wall):6.1%}  (raw / kuaifa)")
    print(f"ratio, CPU time            min {min(cpu):6.1%}  median {statistics.median(cpu):6.1%}  (this process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each side")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (both sides run there)")
    parser.add_argument("--actions", type=int, default=1000, help="accepted orders held, released and cancelled")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-"))
    try:
        setup_django(work, args.database_url)
        from django.db import connection

        shop_id = seed(args.orders)
        dbs = Databases(work)
        kuaifa, ceiling, kuaifa_actions, ceiling_actions = [], [], [], []
        for _ in range(args.repeat):
            name = dbs.fresh()
            kuaifa.append(run_kuaifa(args.orders))
            if args.actions:
                kuaifa_actions.append(run_kuaifa_actions(args.actions))
            dbs.drop(name)
            name = dbs.fresh()
            connection.close()
            con = dbs.raw(name)
            ceiling.append(run_ceiling(con, dbs.vendor, shop_id, args.orders))
            if args.actions:
                ceiling_actions.append(run_ceiling_actions(con, dbs.vendor, args.actions))
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
        if args.actions:
            report_actions(kuaifa_actions, ceiling_actions)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
