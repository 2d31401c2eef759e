"""Benchmark: ingest + review/allocate N orders through Kuaifa's services, against the raw-database ceiling.

    python bench/pipeline.py [--orders 100000] [--batch 2000] [--database-url postgres://…]

Kuaifa's run goes through the real services (ingest_orders in batches, then review_orders), each batch one
transaction. The ceiling writes the same rows (orders, lines, events, reservations) into an identical empty schema
with raw DB-API ``executemany`` and one commit per batch. Orders are generated lazily per batch so memory does not
grow with N. Prints orders/s for both and their ratio; not a test.
"""

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from kuaifa.domain.shared.actor import Actor

NOW = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
SKUS = 200

BENCH = Actor.system("bench")


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


def setup_django(home: Path, database_url: str | None) -> None:
    os.environ["KUAIFA_HOME"] = str(home)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def run_kuaifa(n: int, batch: int) -> dict:
    from kuaifa.domain.inventory.catalog import SkuSpec, StockCount
    from kuaifa.persistence.models import Order
    from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.inventory import stocktake
    from kuaifa.services.review import review_orders

    ensure_warehouse()
    shop = add_shop("基准店", now=NOW)
    codes = [f"SKU-{i:04d}" for i in range(SKUS)]
    upsert_skus([SkuSpec(code, name="商品") for code in codes], now=NOW)
    # about 80 % of demand is in stock, so review both accepts and holds
    stocktake([StockCount(code, "MAIN", int(n * 2.0 * 0.8 / SKUS * 1.25)) for code in codes], actor=BENCH, now=NOW)

    t0 = time.perf_counter()
    for orders in generate(n, batch):
        ingest_orders(shop, orders, source=Order.Source.API, actor=BENCH, now=NOW)
    t1 = time.perf_counter()
    report = review_orders(actor=BENCH, now=NOW)  # the service's own chunk size
    t2 = time.perf_counter()
    return {"ingest_s": t1 - t0, "review_s": t2 - t1, "accepted": report.accepted, "held": report.held}


def run_ceiling(db_path: Path, n: int, batch: int) -> float:
    """The same rows, written with sqlite3 executemany into the same empty schema, one commit per batch."""
    import sqlite3

    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute(
        "INSERT INTO kuaifa_shop(name, platform, platform_shop_id, ship_by_hours, review_rules, created_at) "
        "VALUES ('raw', 'pdd', '', 48, '[]', ?)",
        (NOW.isoformat(),),
    )
    con.execute("INSERT INTO kuaifa_warehouse(code, name, priority) VALUES ('MAIN', 'MAIN', 100)")
    con.executemany(
        "INSERT INTO kuaifa_sku(code, name, spec, barcode, weight_g, length_mm, width_mm, height_mm, "
        "bin_location, enclosures, is_bundle, incomplete, created_at) VALUES (?, '', '', '', 0, 0, 0, 0, "
        "'', '[]', 0, 0, ?)",
        [(f"SKU-{i:04d}", NOW.isoformat()) for i in range(SKUS)],
    )
    con.executemany(
        "INSERT INTO kuaifa_stocklevel(warehouse_id, sku_id, on_hand, reserved) VALUES (1, ?, 1000000, 0)",
        [(i + 1,) for i in range(SKUS)],
    )
    order_cols = [
        "shop_id",
        "order_sn",
        "source",
        "status",
        "hold_reasons",
        "waived_reasons",
        "order_status",
        "refund_status",
        "after_sales_status",
        "confirm_status",
        "risk_control_status",
        "ship_hold",
        "is_pre_sale",
        "tags",
        "goods_amount",
        "discount_amount",
        "platform_discount",
        "seller_discount",
        "postage",
        "pay_amount",
        "province",
        "city",
        "town",
        "receiver_name",
        "receiver_phone",
        "receiver_address",
        "receiver_name_mask",
        "receiver_phone_mask",
        "receiver_address_mask",
        "receiver_is_plaintext",
        "open_address_id",
        "buyer_memo",
        "remark",
        "logistics_id",
        "tracking_number",
        "paid_at",
        "ship_by",
        "platform_updated_at",
        "fingerprint",
        "version",
        "created_at",
        "updated_at",
    ]
    order_sql = f"INSERT INTO kuaifa_order({', '.join(order_cols)}) VALUES ({', '.join('?' * len(order_cols))})"
    line_sql = (
        "INSERT INTO kuaifa_orderline(order_id, sku_id, goods_id, platform_sku_id, outer_id, goods_name, "
        "goods_spec, quantity, unit_price) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    event_sql = (
        "INSERT INTO kuaifa_orderevent(order_id, kind, from_status, to_status, actor, details, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    res_sql = (
        "INSERT INTO kuaifa_reservation(order_id, line_id, stock_level_id, sku_id, quantity, state, "
        "created_at) VALUES (?, ?, ?, ?, ?, 'open', ?)"
    )
    now = NOW.isoformat()
    start = time.perf_counter()
    next_order = next_line = 1
    for orders in generate(n, batch):
        con.execute("BEGIN IMMEDIATE")
        order_rows, line_rows, event_rows, res_rows = [], [], [], []
        for o in orders:
            r = o.receiver
            order_rows.append(
                (
                    1,
                    o.order_sn,
                    "api",
                    "ACCEPTED",
                    "[]",
                    "[]",
                    1,
                    1,
                    0,
                    1,
                    0,
                    0,
                    0,
                    "[]",
                    o.goods_amount_fen,
                    0,
                    0,
                    0,
                    0,
                    o.pay_amount_fen,
                    r.province,
                    r.city,
                    r.town,
                    r.name,
                    r.phone,
                    r.address,
                    r.name_mask,
                    r.phone_mask,
                    r.address_mask,
                    0,
                    "",
                    o.buyer_memo,
                    "",
                    0,
                    "",
                    o.paid_at.isoformat(),
                    o.last_ship_time.isoformat(),
                    o.updated_at.isoformat(),
                    "0" * 32,
                    1,
                    now,
                    now,
                )
            )
            for line in o.lines:
                sku_id = int(line.outer_id[4:]) + 1
                line_rows.append(
                    (
                        next_order,
                        sku_id,
                        line.goods_id,
                        line.platform_sku_id,
                        line.outer_id,
                        line.goods_name,
                        line.goods_spec,
                        line.quantity,
                        line.unit_price_fen,
                    )
                )
                res_rows.append((next_order, next_line, sku_id, sku_id, line.quantity, now))
                next_line += 1
            event_rows.append((next_order, "ingested", "", "NEW", "bench", '{"source": "api"}', now))
            event_rows.append((next_order, "reviewed", "NEW", "ACCEPTED", "bench", "{}", now))
            next_order += 1
        con.executemany(order_sql, order_rows)
        con.executemany(line_sql, line_rows)
        con.executemany(event_sql, event_rows)
        con.executemany(res_sql, res_rows)
        con.execute("COMMIT")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="run Kuaifa on PostgreSQL (the ceiling stays SQLite)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-"))
    try:
        setup_django(work, args.database_url)
        empty_schema = work / "ceiling.sqlite3"
        if args.database_url:
            raise SystemExit("the raw ceiling is measured on SQLite; run without --database-url for the ratio")
        from django.db import connection

        with connection.cursor() as cursor:  # a consistent copy of the empty migrated schema (WAL included)
            cursor.execute("VACUUM INTO %s", [str(empty_schema)])
        result = run_kuaifa(args.orders, args.batch)
        ceiling_s = run_ceiling(empty_schema, args.orders, args.batch)
        total = result["ingest_s"] + result["review_s"]
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"orders                 {args.orders:>10,}   (accepted {result['accepted']:,}, held {result['held']:,})")
        print(
            f"kuaifa ingest          {args.orders / result['ingest_s']:>10,.0f} orders/s  ({result['ingest_s']:.1f} s)"
        )
        print(
            f"kuaifa review+allocate {args.orders / result['review_s']:>10,.0f} orders/s  ({result['review_s']:.1f} s)"
        )
        print(f"kuaifa end to end      {args.orders / total:>10,.0f} orders/s  ({total:.1f} s)")
        print(f"raw executemany        {args.orders / ceiling_s:>10,.0f} orders/s  ({ceiling_s:.1f} s, same rows)")
        print(f"ratio                  {ceiling_s / total:>10.1%} of the raw ceiling")
        print(f"peak RSS               {rss_mb:>10.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
