"""Benchmark: ingest + review/allocate N orders through Kuaifa's services, against an equal-work raw ceiling.

    python bench/pipeline.py [--orders 100000] [--batch 2000] [--repeat 3] [--database-url postgres://…]

Kuaifa's run goes through the real services (ingest_orders in batches, then review_orders), each batch one
transaction. The ceiling does the same work with raw DB-API calls on an identical copy of the same seeded database:
per batch it looks the order numbers up, inserts orders, reads their ids back, inserts lines and ``ingested``
events, commits; then review reads the candidates most urgent first and, per chunk of 5,000, reads orders, lines
and stock rows (locked on PostgreSQL), allocates all-or-nothing in deadline order, inserts reservations, raises
reserved counters, updates order statuses and inserts ``reviewed`` events, commits. SQLite uses ``executemany``
with Kuaifa's own pragmas; PostgreSQL uses COPY for the bulk inserts. Input is generated lazily per batch (memory
does not grow with N) and outside the timed regions on both sides. Runs are interleaved (Kuaifa, ceiling, Kuaifa,
…), each on a fresh copy; min and median are printed, with wall-time and CPU-time ratios (CPU of the side's process: on
PostgreSQL the server's CPU is not in it). Not a test.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from array import array
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Databases, Timer, peak_rss_mib, reset_peak_rss, rss_now, setup_django
from kuaifa.domain.shared.actor import Actor

BENCH = Actor.system("bench")

NOW = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
SKUS = 200


def generate(n: int, batch: int, seed: int = 11):
    from kuaifa.domain.orders.canonical import CanonicalLine, CanonicalOrder, Receiver

    rng = random.Random(seed)
    for start in range(0, n, batch):
        orders = []
        for i in range(start, min(n, start + batch)):
            lines = tuple(
                CanonicalLine(
                    quantity=rng.randint(1, 3),
                    unit_price_fen=rng.randint(500, 20_000),
                    outer_id=f"SKU-{rng.randrange(SKUS):04d}",
                    goods_id=str(1000 + i % 500),
                    platform_sku_id=str(i % 977),
                    goods_name="商品",
                    goods_spec="规格",
                )
                for _ in range(rng.choice((1, 1, 1, 2, 3)))
            )
            paid = NOW - timedelta(minutes=rng.randint(0, 2880))
            goods = sum(x.quantity * x.unit_price_fen for x in lines)
            orders.append(
                CanonicalOrder(
                    order_sn=f"261111-{i:015d}",
                    lines=lines,
                    goods_amount_fen=goods,
                    pay_amount_fen=goods,
                    receiver=Receiver(
                        province="广东省",
                        city="深圳市",
                        town="南山区",
                        name="~AgAAAA~",
                        phone="~AgAAAB~",
                        address="~AgAAAC~",
                        name_mask="张**",
                        phone_mask="138****0000",
                        address_mask="科技园**号",
                    ),
                    buyer_memo="请发顺丰" if rng.random() < 0.02 else "",
                    paid_at=paid,
                    created_at=paid,
                    last_ship_time=paid + timedelta(hours=rng.choice((24, 48))),
                    updated_at=paid,
                )
            )
        yield orders


def seed(n: int) -> int:
    """The shared starting state (shop, warehouse, SKUs, stock): both sides copy it. Returns the shop id."""
    from kuaifa.domain.inventory.catalog import SkuSpec, StockCount
    from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
    from kuaifa.services.inventory import stocktake

    ensure_warehouse()
    shop = add_shop("基准店", now=NOW)
    codes = [f"SKU-{i:04d}" for i in range(SKUS)]
    upsert_skus([SkuSpec(code, name="商品") for code in codes], now=NOW)
    # about 80 % of demand is in stock, so review both accepts and holds
    stocktake([StockCount(code, "MAIN", int(n * 2.0 * 0.8 / SKUS * 1.25)) for code in codes], actor=BENCH, now=NOW)
    return shop.id


def run_kuaifa(n: int, batch: int) -> dict:
    from kuaifa.persistence.models import Order, Shop
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.review import review_orders

    shop = Shop.objects.get()
    ingest, review = Timer(), Timer()
    memory = {"start": rss_now()}
    for number, orders in enumerate(generate(n, batch), start=1):
        with ingest:
            ingest_orders(shop, orders, source=Order.Source.API, actor=BENCH, now=NOW)
        if number * batch * 2 == n:
            memory["half ingested"] = rss_now()
    memory["ingested"] = rss_now()
    with review:
        report = review_orders(actor=BENCH, now=NOW)  # the service's own chunk size
    memory["reviewed"] = rss_now()
    return {"ingest": ingest, "review": review, "accepted": report.accepted, "held": report.held, "memory": memory}


ORDER_COLUMNS = (
    "shop_id", "order_sn", "source", "status", "hold_reasons", "waived_reasons", "order_status", "refund_status",
    "after_sales_status", "confirm_status", "risk_control_status", "ship_hold", "is_pre_sale", "tags", "goods_amount",
    "discount_amount", "platform_discount", "seller_discount", "postage", "pay_amount", "province", "city", "town",
    "receiver_name", "receiver_phone", "receiver_address", "receiver_name_mask", "receiver_phone_mask",
    "receiver_address_mask", "receiver_is_plaintext", "open_address_id", "buyer_memo", "remark", "logistics_id",
    "tracking_number", "created_on_platform", "paid_at", "ship_by", "platform_updated_at", "fingerprint", "version",
    "created_at", "updated_at",
)  # fmt: skip
LINE_COLUMNS = ("order_id", "sku_id", "goods_id", "platform_sku_id", "outer_id", "goods_name", "goods_spec",
                "quantity", "unit_price")  # fmt: skip
EVENT_COLUMNS = ("order_id", "kind", "from_status", "to_status", "actor", "details", "created_at")
RESERVATION_COLUMNS = ("order_id", "line_id", "stock_level_id", "sku_id", "quantity", "state", "created_at")


class Raw:
    """The ceiling's database access: the same statements on both databases, bulk inserts the fastest way each has."""

    def __init__(self, con, vendor: str) -> None:
        self.con, self.sqlite = con, vendor == "sqlite"
        self.cur = con.cursor()

    def sql(self, text: str) -> str:
        return text.replace("%s", "?") if self.sqlite else text

    def t(self, value: datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None)) if self.sqlite else value

    def begin(self) -> None:
        if self.sqlite:
            self.cur.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.con.commit() if not self.sqlite else self.cur.execute("COMMIT")

    def rows(self, text: str, params=()) -> list:
        self.cur.execute(self.sql(text), params)
        return self.cur.fetchall()

    def ids_in(self, column: str, ids) -> tuple[str, tuple]:
        ids = tuple(ids)
        if self.sqlite:
            return f"{column} IN ({', '.join('?' * len(ids))})", ids
        return f"{column} = ANY(%s)", (list(ids),)

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.sqlite:
            marks = ", ".join("?" * len(columns))
            self.cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        else:
            with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)


def run_ceiling(con, vendor: str, shop_id: int, n: int, batch: int) -> dict:
    raw = Raw(con, vendor)
    sku_of = dict(raw.rows("SELECT code, id FROM kuaifa_sku"))
    now = raw.t(NOW)
    empty = "[]"
    ingest, review = Timer(), Timer()
    for orders in generate(n, batch):
        with ingest:
            raw.begin()
            where, params = raw.ids_in("order_sn", (o.order_sn for o in orders))
            stored = {sn for (sn,) in raw.rows(f"SELECT order_sn FROM kuaifa_order WHERE shop_id = %s AND {where}",
                                                (shop_id, *params))}  # fmt: skip
            fresh = [o for o in orders if o.order_sn not in stored]
            order_rows = []
            for o in fresh:
                r = o.receiver
                order_rows.append(
                    (shop_id, o.order_sn, "api", "NEW", empty, empty, 1, 1, 0, 1, 0, False, False, empty,
                     o.goods_amount_fen, 0, 0, 0, 0, o.pay_amount_fen, r.province, r.city, r.town, r.name, r.phone,
                     r.address, r.name_mask, r.phone_mask, r.address_mask, False, "", o.buyer_memo, "", 0, "",
                     raw.t(o.created_at), raw.t(o.paid_at), raw.t(o.last_ship_time), raw.t(o.updated_at),
                     "0" * 32, 1, now, now)
                )  # fmt: skip
            raw.insert("kuaifa_order", ORDER_COLUMNS, order_rows)
            where, params = raw.ids_in("order_sn", (o.order_sn for o in fresh))
            ids = dict(raw.rows(f"SELECT order_sn, id FROM kuaifa_order WHERE shop_id = %s AND {where}",
                                (shop_id, *params)))  # fmt: skip
            line_rows, event_rows = [], []
            details = json.dumps({"source": "api"})
            for o in fresh:
                order_id = ids[o.order_sn]
                for x in o.lines:
                    line_rows.append((order_id, sku_of.get(x.outer_id), x.goods_id, x.platform_sku_id, x.outer_id,
                                      x.goods_name, x.goods_spec, x.quantity, x.unit_price_fen))  # fmt: skip
                event_rows.append((order_id, "ingested", "", "NEW", "bench", details, now))
            raw.insert("kuaifa_orderline", LINE_COLUMNS, line_rows)
            raw.insert("kuaifa_orderevent", EVENT_COLUMNS, event_rows)
            raw.commit()
    accepted = held = 0
    with review:
        raw.cur.execute(
            "SELECT id FROM kuaifa_order WHERE status IN ('NEW', 'ON_HOLD') ORDER BY ship_by, paid_at, order_sn"
        )
        candidates = array("q", (order_id for (order_id,) in raw.cur))  # streamed, 8 bytes an order, like Kuaifa
        for start in range(0, len(candidates), 5000):
            chunk = list(candidates[start : start + 5000])
            raw.begin()
            where, params = raw.ids_in("id", chunk)
            orders = raw.rows(f"SELECT id, ship_by, paid_at, order_sn, buyer_memo FROM kuaifa_order WHERE {where}",
                              params)  # fmt: skip
            orders.sort(key=lambda row: (row[1], row[2], row[3]))
            where, params = raw.ids_in("order_id", chunk)
            lines: dict[int, list] = {}
            for line_id, order_id, sku_id, quantity in raw.rows(
                f"SELECT id, order_id, sku_id, quantity FROM kuaifa_orderline WHERE {where}", params
            ):
                lines.setdefault(order_id, []).append((line_id, sku_id, quantity))
            where, params = raw.ids_in("sku_id", {x[1] for ls in lines.values() for x in ls})
            lock = "" if raw.sqlite else " ORDER BY id FOR UPDATE"
            level_of, free = {}, {}
            for level_id, sku_id, on_hand, reserved in raw.rows(
                f"SELECT id, sku_id, on_hand, reserved FROM kuaifa_stocklevel WHERE {where}{lock}", params
            ):
                level_of[sku_id], free[sku_id] = level_id, on_hand - reserved
            reservations, took, ok, short, memo, events = [], {}, [], [], [], []
            for order_id, _, _, _, buyer_memo in orders:
                want = lines[order_id]
                if buyer_memo:
                    memo.append(order_id)
                    events.append((order_id, "reviewed", "NEW", "ON_HOLD", "bench", '{"reasons": ["buyer_memo"]}', now))
                    continue
                need: dict[int, int] = {}
                for _, sku_id, quantity in want:
                    need[sku_id] = need.get(sku_id, 0) + quantity
                if all(free[sku] >= q for sku, q in need.items()):
                    for sku, q in need.items():
                        free[sku] -= q
                        took[level_of[sku]] = took.get(level_of[sku], 0) + q
                    for line_id, sku_id, quantity in want:
                        reservations.append((order_id, line_id, level_of[sku_id], sku_id, quantity, "open", now))
                    ok.append(order_id)
                    events.append((order_id, "reviewed", "NEW", "ACCEPTED", "bench", "{}", now))
                else:
                    short.append(order_id)
                    events.append((order_id, "reviewed", "NEW", "ON_HOLD", "bench",
                                   '{"reasons": ["stock_insufficient"]}', now))  # fmt: skip
            raw.insert("kuaifa_reservation", RESERVATION_COLUMNS, reservations)
            raw.cur.executemany(raw.sql("UPDATE kuaifa_stocklevel SET reserved = reserved + %s WHERE id = %s"),
                                [(q, level) for level, q in sorted(took.items())])  # fmt: skip
            for ids, status, reasons in ((ok, "ACCEPTED", "[]"), (short, "ON_HOLD", '["stock_insufficient"]'),
                                         (memo, "ON_HOLD", '["buyer_memo"]')):  # fmt: skip
                if ids:
                    where, params = raw.ids_in("id", ids)
                    raw.cur.execute(raw.sql(f"UPDATE kuaifa_order SET status = %s, hold_reasons = %s, "
                                            f"version = version + 1, updated_at = %s WHERE {where}"),
                                    (status, reasons, now, *params))  # fmt: skip
            raw.insert("kuaifa_orderevent", EVENT_COLUMNS, events)
            raw.commit()
            accepted += len(ok)
            held += len(short) + len(memo)
    return {"ingest": ingest, "review": review, "accepted": accepted, "held": held}


def in_child(side: str, home: Path, database_url, name: str, vendor: str, shop_id: int, n: int, batch: int) -> dict:
    """One side's run in a fresh process of its own (spawned, not forked): its peak resident size is its own, not
    what the other side or the seeding left behind, and both sides start from the same baseline."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=_die_with,
                             initargs=(os.getpid(),)) as pool:  # fmt: skip
        return pool.submit(_side, side, str(home), database_url, name, vendor, shop_id, n, batch).result()


def _die_with(parent: int) -> None:
    """Stop this side's process when the benchmark is stopped: left running, it would keep its database session
    open and the next run could not drop the scratch database."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _side(side: str, home: str, database_url, name: str, vendor: str, shop_id: int, n: int, batch: int) -> dict:
    os.environ["KUAIFA_HOME"] = home
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
    import django

    django.setup()
    from django.db import connection

    connection.settings_dict["NAME"] = name
    baseline = rss_now()["rss"]
    reset_peak_rss()
    if side == "kuaifa":
        result = run_kuaifa(n, batch)
    else:
        con = Databases.raw(SimpleNamespace(vendor=vendor), name)  # only the vendor is read
        result = run_ceiling(con, vendor, shop_id, n, batch)
        con.close()
    connection.close()
    result["peak"], result["baseline"] = peak_rss_mib(), baseline
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
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
            for side, runs in (("kuaifa", kuaifa), ("ceiling", ceiling)):
                name = dbs.fresh()
                connection.close()
                runs.append(in_child(side, work, args.database_url, name, dbs.vendor, shop_id, args.orders, args.batch))
                dbs.drop(name)
        report(args, dbs.vendor, kuaifa, ceiling)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(args, vendor: str, kuaifa: list[dict], ceiling: list[dict]) -> None:
    n = args.orders

    def total(run: dict, what: str) -> float:
        return getattr(run["ingest"], what) + getattr(run["review"], what)

    def line(label: str, values: list[float]) -> str:
        return (f"{label:<26} min {min(values):7.2f} s  median {statistics.median(values):7.2f} s"
                f"  ({n / min(values):>8,.0f} orders/s at best)")  # fmt: skip

    k, c = kuaifa[-1], ceiling[-1]
    print(f"{vendor}, {n:,} orders, {args.repeat} interleaved runs of each side")
    print(f"outcome                    kuaifa accepted {k['accepted']:,} held {k['held']:,};"
          f" ceiling accepted {c['accepted']:,} held {c['held']:,}")  # fmt: skip
    print(line("kuaifa ingest", [r["ingest"].wall for r in kuaifa]))
    print(line("kuaifa review+allocate", [r["review"].wall for r in kuaifa]))
    print(line("kuaifa end to end", [total(r, "wall") for r in kuaifa]))
    print(line("ceiling ingest", [r["ingest"].wall for r in ceiling]))
    print(line("ceiling review+allocate", [r["review"].wall for r in ceiling]))
    print(line("ceiling end to end", [total(r, "wall") for r in ceiling]))
    wall = [total(c, "wall") / total(k, "wall") for k, c in zip(kuaifa, ceiling, strict=True)]
    cpu = [total(c, "cpu") / total(k, "cpu") for k, c in zip(kuaifa, ceiling, strict=True)]
    print(f"{'ratio, wall time':<26} min {min(wall):7.1%}  median {statistics.median(wall):7.1%}   (ceiling / kuaifa)")
    print(f"{'CPU, kuaifa / ceiling':<26} min {min(total(r, 'cpu') for r in kuaifa):7.2f} s / "
          f"{min(total(r, 'cpu') for r in ceiling):.2f} s   (each side's process)")  # fmt: skip
    print(
        f"{'ratio, CPU time':<26} min {min(cpu):7.1%}    median {statistics.median(cpu):7.1%}   (each side's process)"
    )
    print(f"{'peak RSS, kuaifa':<26} {max(r['peak'] for r in kuaifa):7.0f} MiB   (each run: "
          f"{', '.join(str(round(r['peak'])) for r in kuaifa)})")  # fmt: skip
    for phase, rss in k["memory"].items():
        print(f"  {phase:<24} {rss['rss']:7.0f} MiB   (heap and anonymous {rss['anon']:.0f}, "
              f"mapped files {rss['file']:.0f})")  # fmt: skip
    print(f"{'peak RSS, ceiling':<26} {max(r['peak'] for r in ceiling):7.0f} MiB   (each run: "
          f"{', '.join(str(round(r['peak'])) for r in ceiling)})")  # fmt: skip
    print(
        f"{'baseline RSS':<26} kuaifa {k['baseline']:.0f} MiB, ceiling {c['baseline']:.0f} MiB   "
        "(each side runs in a spawned process of its own; Django loaded, nothing run)"
    )


if __name__ == "__main__":
    main()
