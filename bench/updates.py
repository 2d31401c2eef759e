"""Benchmark: re-ingesting changed orders (what sync and re-import do), statements per batch and time.

    python bench/updates.py [--orders 10000] [--batch 2000] [--database-url postgres://…]

N orders are ingested and reviewed (not timed; stock for all, so all are reserved), then changed copies come
back in batches of ``--batch``: a third
refunded (cancelled, stock released), a third shipped from the back office (stock consumed), a third with a new
address. Kuaifa's side is ``ingest_orders`` per batch; the statements it sends are counted. The ceiling, on a copy
of the same database, sends per batch one UPDATE executemany of the same order columns, one reservation UPDATE per
state, the stock-level UPDATEs and one event INSERT executemany, and commits. Runs are interleaved. Not a test.
"""

import argparse
import dataclasses
import json
import shutil
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Databases, Timer, setup_django
from pipeline import BENCH, NOW, Raw, generate, seed

LATER = NOW + timedelta(minutes=30)


def changed(orders):
    from kuaifa.domain.orders.canonical import PlatformOrderStatus, PlatformRefundStatus

    out = []
    for i, o in enumerate(orders):
        if i % 3 == 0:
            out.append(dataclasses.replace(o, refund_status=PlatformRefundStatus.REFUNDED, updated_at=LATER))
        elif i % 3 == 1:
            out.append(dataclasses.replace(o, order_status=PlatformOrderStatus.SHIPPED, updated_at=LATER))
        else:
            receiver = dataclasses.replace(o.receiver, address_mask="新地址**号")
            out.append(dataclasses.replace(o, receiver=receiver, updated_at=LATER))
    return out


def prepare(n: int, batch: int) -> None:
    from kuaifa.persistence.models import Order, Shop
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.review import review_orders

    shop = Shop.objects.get()
    for orders in generate(n, batch):
        ingest_orders(shop, orders, source=Order.Source.API, actor=BENCH, now=NOW)
    review_orders(actor=BENCH, now=NOW)


def run_kuaifa(n: int, batch: int) -> tuple[Timer, list[int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kuaifa.persistence.models import Order, Shop
    from kuaifa.services.intake import ingest_orders

    shop = Shop.objects.get()
    timer, statements = Timer(), []
    for orders in generate(n, batch):
        copies = changed(orders)
        with CaptureQueriesContext(connection) as queries, timer:
            ingest_orders(shop, copies, source=Order.Source.API, actor=BENCH, now=LATER)
        statements.append(len(queries.captured_queries))
    return timer, statements


def run_ceiling(con, vendor: str, n: int, batch: int) -> Timer:
    raw = Raw(con, vendor)
    later = raw.t(LATER)
    timer = Timer()
    for orders in generate(n, batch):
        copies = changed(orders)
        with timer:
            raw.begin()
            where, params = raw.ids_in("order_sn", (o.order_sn for o in copies))
            ids = dict(raw.rows(f"SELECT order_sn, id FROM kuaifa_order WHERE {where}", params))
            rows, events, cancel, ship = [], [], [], []
            for i, o in enumerate(copies):
                status = ("CANCELLED", "SHIPPED", "ACCEPTED")[i % 3]
                (cancel if i % 3 == 0 else ship if i % 3 == 1 else []).append(ids[o.order_sn])
                rows.append((status, int(o.order_status), int(o.refund_status), o.receiver.address_mask,
                             raw.t(o.updated_at), later, ids[o.order_sn]))  # fmt: skip
                events.append((ids[o.order_sn], "platform_updated", "ACCEPTED", status, "bench", json.dumps({}), later))
            raw.cur.executemany(raw.sql(
                "UPDATE kuaifa_order SET status = %s, order_status = %s, refund_status = %s, "
                "receiver_address_mask = %s, platform_updated_at = %s, updated_at = %s, version = version + 1 "
                "WHERE id = %s"), rows)  # fmt: skip
            for state, order_ids in (("released", cancel), ("consumed", ship)):
                if not order_ids:
                    continue
                where, params = raw.ids_in("order_id", order_ids)
                moved = raw.rows(f"SELECT stock_level_id, SUM(quantity) FROM kuaifa_reservation WHERE {where} "
                                 "AND state = 'open' GROUP BY stock_level_id", params)  # fmt: skip
                raw.cur.execute(raw.sql(f"UPDATE kuaifa_reservation SET state = %s, closed_at = %s WHERE {where} "
                                        "AND state = 'open'"), (state, later, *params))  # fmt: skip
                on_hand = "on_hand - %s" if state == "consumed" else "on_hand + 0 * %s"
                raw.cur.executemany(raw.sql(f"UPDATE kuaifa_stocklevel SET reserved = reserved - %s, "
                                            f"on_hand = {on_hand} WHERE id = %s"),
                                    [(int(q), int(q), level) for level, q in moved])  # fmt: skip
            raw.insert("kuaifa_orderevent", ("order_id", "kind", "from_status", "to_status", "actor", "details",
                                             "created_at"), events)  # fmt: skip
            raw.commit()
    return timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-"))
    try:
        setup_django(work, args.database_url)
        from django.db import connection

        seed(args.orders * 3)  # stock for every order: all are accepted and reserved before they change
        prepare(args.orders, args.batch)
        dbs = Databases(work)
        kuaifa, ceiling = [], []
        for _ in range(args.repeat):
            name = dbs.fresh()
            kuaifa.append(run_kuaifa(args.orders, args.batch))
            dbs.drop(name)
            name = dbs.fresh()
            connection.close()
            con = dbs.raw(name)
            ceiling.append(run_ceiling(con, dbs.vendor, args.orders, args.batch))
            con.close()
            dbs.drop(name)
        k, c = [t.wall for t, _ in kuaifa], [t.wall for t in ceiling]
        print(f"{dbs.vendor}: {args.orders:,} changed orders re-ingested in batches of {args.batch:,}")
        print(f"statements per batch       {sorted(set(kuaifa[-1][1]))}")
        print(f"kuaifa      min {min(k):6.2f} s  median {statistics.median(k):6.2f} s")
        print(f"raw         min {min(c):6.2f} s  median {statistics.median(c):6.2f} s")
        wall = [b / a for a, b in zip(k, c, strict=True)]
        cpu = [b.cpu / a.cpu for (a, _), b in zip(kuaifa, ceiling, strict=True)]
        print(f"ratio, wall min {min(wall):6.1%}  median {statistics.median(wall):6.1%}   (raw / kuaifa)")
        print(f"ratio, CPU  min {min(cpu):6.1%}  median {statistics.median(cpu):6.1%}   (this process)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
