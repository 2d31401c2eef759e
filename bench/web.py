"""Benchmark: server time and SQL queries of the workbench's order list, order detail and dashboard at 1M orders.

    python bench/web.py [--orders 1000000] [--rounds 200] [--database-url postgres://…] [--keep DIR] [--reuse]

``--keep DIR`` keeps the data directory (the SQLite database) in DIR instead of a temporary one; ``--reuse`` then
measures the database a previous run filled there (or the ``--database-url`` it filled) without writing it again —
the 1M write takes 20–30 minutes; ``--rounds 0`` only writes. Migrations newer than the filled database are applied
first.

Setup (not timed): a migrated database with one shop, 200 SKUs, an owner, and N orders written with bulk
``executemany`` — 60 days of history, most orders shipped (with a shipment and a done ship upload each), some
accepted, held (stock, buyer memo, mapping), new or cancelled, 1–3 lines and two events each.

Timed, in-process with Django's test client signed in as the owner (middleware, session, the frame's badges,
template rendering — everything but the socket): the order list's first page, its second page (keyset), the
held-orders list, the detail of a random order, and the dashboard; each page is counted in SQL queries.
The ceiling, measured in the same run and interleaved page by page: the raw SELECTs the page must read, with the
driver's own cursor and no ORM. Prints p50 / p99 per page, the benchmark process's CPU time per page (p50: what the
page costs this process whatever the machine's load; on SQLite it includes the database's work), the ceiling's p50
and their ratio. The dashboard reads the order counts the database keeps (folded once after writing, as the worker
does), open orders per ship-by hour among them, and counts live only the three hours at the risk buckets' edges.
Goals on 2 cores: list and detail p99 ≤ 50 ms in ≤ 10 queries, dashboard p99 ≤ 200 ms. Not a test.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

NOW = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
SKUS = 200
DAYS = 60
BATCH = 5000
TODAY = "2026-11-11"  # NOW's day in Shanghai
NOW_SQL, DUE_SQL, SOON_SQL = "2026-11-11 04:00:00", "2026-11-12 04:00:00", "2026-11-11 10:00:00"  # now, +24 h, +6 h
HOUR_LATER = {"now_1h": "2026-11-11 05:00:00", "soon_1h": "2026-11-11 11:00:00", "due_1h": "2026-11-12 05:00:00"}
MIX = [("SHIPPED", 85), ("ACCEPTED", 5), ("ON_HOLD", 4), ("NEW", 3), ("CANCELLED", 3)]
REASONS = [["stock_insufficient"], ["buyer_memo"], ["sku_unmapped"], ["stock_insufficient", "buyer_memo"]]


def setup_django(home: Path, database_url: str | None) -> None:
    os.environ["KUAIFA_HOME"] = str(home)
    os.environ["KUAIFA_NOW"] = NOW.isoformat()
    os.environ["KUAIFA_SECRET_KEY"] = "bench-only-" + "k" * 40
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", verbosity=0)


def _statuses(rng: random.Random):
    population = [status for status, weight in MIX for _ in range(weight)]
    while True:
        yield rng.choice(population)


def populate(n: int, seed: int = 7) -> None:
    """Shop, SKUs, owner through the services; the orders and their rows with executemany, one commit per batch."""
    from django.db import connection, transaction

    from kuaifa.domain.inventory.catalog import SkuSpec
    from kuaifa.domain.shared.actor import Actor
    from kuaifa.persistence.models import Shop, Sku
    from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
    from kuaifa.services.people import add_member

    ensure_warehouse()
    shop = add_shop("基准店", now=NOW)
    upsert_skus([SkuSpec(f"SKU-{i:04d}", name="商品") for i in range(SKUS)], now=NOW)
    add_member("owner", "owner", "bench-owner-2026", actor=Actor.system("bench"), now=NOW)
    sku_ids = list(Sku.objects.order_by("code").values_list("id", flat=True))
    dt = connection.ops.adapt_datetimefield_value
    rng = random.Random(seed)
    status_of = _statuses(rng)
    order_cols = (
        "id",
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
        "shipped_at",
        "ship_by",
        "fingerprint",
        "version",
        "created_at",
        "updated_at",
    )
    sql = {
        "order": f"INSERT INTO kuaifa_order({', '.join(order_cols)}) VALUES ({', '.join(['%s'] * len(order_cols))})",
        "line": "INSERT INTO kuaifa_orderline(order_id, sku_id, goods_id, platform_sku_id, outer_id, goods_name, "
        "goods_spec, quantity, unit_price) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        "event": "INSERT INTO kuaifa_orderevent(order_id, kind, from_status, to_status, actor, details, created_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        "shipment": "INSERT INTO kuaifa_shipment(order_id, logistics_id, tracking_number, is_primary, upload_state, "
        "shipped_at, uploaded_at, actor) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        "outbox": "INSERT INTO kuaifa_outboxentry(shop_id, kind, key, payload, state, attempts, next_attempt_at, "
        "last_error, result, created_at, done_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    }
    span = DAYS * 24 * 60
    for start in range(1, n + 1, BATCH):
        rows: dict[str, list] = {k: [] for k in sql}
        for oid in range(start, min(n, start + BATCH - 1) + 1):
            status = next(status_of)
            created = NOW - timedelta(minutes=span * (n - oid) // n + rng.randint(0, 5))
            if status in ("NEW", "ACCEPTED", "ON_HOLD"):  # open orders are recent
                created = NOW - timedelta(minutes=rng.randint(0, 2880))
            ship_by = created + timedelta(hours=48)
            sn = f"{created:%y%m%d}-{oid:015d}"
            reasons = rng.choice(REASONS) if status == "ON_HOLD" else []
            lines = [(rng.choice(sku_ids), rng.randint(1, 3), rng.randint(500, 20_000))
                     for _ in range(rng.choice((1, 1, 1, 2, 3)))]  # fmt: skip
            amount = sum(q * p for _, q, p in lines)
            shipped = status == "SHIPPED"
            tracking = f"YT{oid:013d}" if shipped else ""
            shipped_at = created + timedelta(hours=rng.randint(2, 30)) if shipped else None
            rows["order"].append((
                oid, shop.id, sn, "api", status, json.dumps(reasons), "[]", 2 if shipped else 1, 1, 0, 1, 0, False,
                False, "[]", amount, 0, 0, 0, 0, amount, "广东省", "深圳市", "南山区", "~AgAAAA~", "~AgAAAB~",
                "~AgAAAC~", "张**", f"138****{oid % 10000:04d}", "科技园**号", False, "",
                "请发顺丰" if "buyer_memo" in reasons else "", "", 85 if shipped else 0, tracking, dt(created),
                dt(shipped_at), dt(ship_by), "0" * 32, 1, dt(created), dt(shipped_at or created),
            ))  # fmt: skip
            for sku_id, qty, price in lines:
                rows["line"].append((oid, sku_id, str(1000 + sku_id), str(sku_id), "", "商品", "规格", qty, price))
            rows["event"].append((oid, "ingested", "", "NEW", "sync", '{"source": "api"}', dt(created)))
            rows["event"].append((oid, "reviewed", "NEW", status, "sync", "{}", dt(created)))
            if shipped:
                rows["shipment"].append((oid, 85, tracking, True, "done", dt(shipped_at), dt(shipped_at), "bench"))
                rows["outbox"].append((shop.id, "ship", f"ship:{shop.id}:{sn}", "{}", "done", 1, dt(shipped_at), "",
                                       "{}", dt(shipped_at), dt(shipped_at)))  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            for kind, statement in sql.items():
                if kind == "order" and connection.vendor == "postgresql":  # one statement: its trigger runs once
                    with cursor.cursor.copy(f"COPY kuaifa_order ({', '.join(order_cols)}) FROM STDIN") as copy:
                        for row in rows[kind]:
                            copy.write_row(row)
                elif rows[kind]:
                    cursor.executemany(statement, rows[kind])
        if start % 100_000 < BATCH:
            print(f"  {start + BATCH - 1:,} orders written", file=sys.stderr, flush=True)
    from kuaifa.persistence import order_counts

    order_counts.fold()  # what the worker does every interval: the triggers' deltas summed per shop, day and key
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('kuaifa_order', 'id'), %s)", [n])
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    assert Shop.objects.count() == 1


# The ceiling: what each page must read, with the driver's cursor. {ids} / {order_id} filled in per request.
RAW = {
    "list": [
        "SELECT o.id, o.order_sn, s.name, o.status, o.hold_reasons, o.ship_by, o.pay_amount, o.province, o.city, "
        "o.receiver_name_mask, o.receiver_phone_mask, o.tracking_number FROM kuaifa_order o "
        "JOIN kuaifa_shop s ON s.id = o.shop_id ORDER BY o.ship_by, o.id LIMIT 51",
        "SELECT order_id, sku_id, goods_name, quantity FROM kuaifa_orderline WHERE order_id IN ({ids})",
    ],
    "held": [
        "SELECT o.id, o.order_sn, s.name, o.status, o.hold_reasons, o.ship_by, o.pay_amount, o.province, o.city, "
        "o.receiver_name_mask, o.receiver_phone_mask, o.tracking_number FROM kuaifa_order o "
        "JOIN kuaifa_shop s ON s.id = o.shop_id WHERE o.status = 'ON_HOLD' ORDER BY o.ship_by, o.id LIMIT 51",
        "SELECT order_id, sku_id, goods_name, quantity FROM kuaifa_orderline WHERE order_id IN ({ids})",
    ],
    "detail": [
        "SELECT * FROM kuaifa_order o JOIN kuaifa_shop s ON s.id = o.shop_id WHERE o.id = {order_id}",
        "SELECT l.*, k.code FROM kuaifa_orderline l LEFT JOIN kuaifa_sku k ON k.id = l.sku_id "
        "WHERE l.order_id = {order_id}",
        "SELECT * FROM kuaifa_orderevent WHERE order_id = {order_id} ORDER BY created_at, id",
        "SELECT * FROM kuaifa_shipment WHERE order_id = {order_id}",
        "SELECT * FROM kuaifa_reservation WHERE order_id = {order_id}",
    ],
    "dashboard": [  # the kept counts (open orders per ship-by hour among them), and the ship-by risk's three edge
        # hours live: the hours holding now, now + 6 h and now + 24 h
        "SELECT kind, key, day, SUM(n) FROM kuaifa_ordercount WHERE (kind = 'status' AND key IN ('NEW', 'ON_HOLD', "
        "'ACCEPTED', 'PICKING', 'PACKED')) OR kind IN ('held', 'due') OR (day = '{today}' AND kind IN ('status', "
        "'shipped')) GROUP BY kind, key, day",
        "SELECT COUNT(CASE WHEN ship_by <= '{now}' THEN 1 END), "
        "COUNT(CASE WHEN ship_by > '{now}' AND ship_by <= '{soon}' THEN 1 END), "
        "COUNT(CASE WHEN ship_by > '{soon}' AND ship_by <= '{due}' THEN 1 END) FROM kuaifa_order "
        "WHERE status IN ('NEW', 'ON_HOLD', 'ACCEPTED', 'PICKING', 'PACKED') AND ("
        "(ship_by >= '{now}' AND ship_by < '{now_1h}') OR (ship_by >= '{soon}' AND ship_by < '{soon_1h}') "
        "OR (ship_by >= '{due}' AND ship_by < '{due_1h}'))",
    ],
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def raw_seconds(cursor, page: str, order_id: int) -> float:
    start = time.perf_counter()
    ids = "0"
    for statement in RAW[page]:
        cursor.execute(
            statement.format(
                ids=ids, order_id=order_id, today=TODAY, now=NOW_SQL, soon=SOON_SQL, due=DUE_SQL, **HOUR_LATER
            )
        )
        rows = cursor.fetchall()
        if page in ("list", "held") and rows and ids == "0":
            ids = ", ".join(str(r[0]) for r in rows)
    return time.perf_counter() - start


def measure(n: int, rounds: int, seed: int = 3) -> dict[str, dict]:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username="owner"))
    first = client.get("/orders/")
    assert first.status_code == 200, first.status_code
    from kuaifa.persistence.queries_web import OrderFilter, order_page

    # the cursor carries a "+00:00": quoted, as the page's "More" button quotes it (unquoted, "+" reads as a space
    # and the page is empty)
    second_url = "/orders/?after=" + quote(order_page(OrderFilter(), now=NOW).next_cursor)
    assert client.get(second_url).content.count(b"<tr data-order=") == 50, "the second page shows no orders"
    rng = random.Random(seed)
    pages = {
        "list": lambda: "/orders/",
        "list page 2": lambda: second_url,
        "held": lambda: "/orders/?status=ON_HOLD",
        "detail": lambda: f"/orders/{rng.randint(1, n)}/",
        "dashboard": lambda: "/dashboard/",
    }
    raw_cursor = connection.connection.cursor()
    results: dict[str, dict] = {name: {"web": [], "cpu": [], "raw": [], "queries": 0} for name in pages}
    for _ in range(rounds):
        for name, url in pages.items():
            target = url()
            with CaptureQueriesContext(connection) as queries:
                start, cpu = time.perf_counter(), time.process_time()
                response = client.get(target)
                elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            assert response.status_code == 200, (target, response.status_code)
            results[name]["web"].append(elapsed)
            results[name]["cpu"].append(cpu)
            results[name]["queries"] = max(results[name]["queries"], len(queries))
            raw_page = {"list page 2": "list"}.get(name, name)
            order_id = int(target.strip("/").rsplit("/", 1)[-1]) if name == "detail" else 0
            results[name]["raw"].append(raw_seconds(raw_cursor, raw_page, order_id))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--keep", type=Path, default=None, help="data directory to keep (the SQLite database)")
    parser.add_argument("--reuse", action="store_true", help="measure a database this script already filled")
    args = parser.parse_args()
    if args.reuse and not (args.database_url or args.keep):
        parser.error("--reuse needs the --database-url or the --keep DIR a previous run filled")
    if args.keep and not args.reuse and (args.keep / "kuaifa.sqlite3").exists() and not args.database_url:
        parser.error(f"--keep {args.keep}: a database is already there; add --reuse to measure it")

    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="kuaifa-bench-web-"))
    try:
        setup_django(work, args.database_url)
        from django.db import connection

        t0 = time.perf_counter()
        if args.reuse:
            from kuaifa.persistence.models import Order

            found = Order.objects.count()
            if found != args.orders:
                sys.exit(f"--reuse: the database holds {found:,} orders, not --orders {args.orders:,}")
        else:
            populate(args.orders)
        written = "reused" if args.reuse else "written"
        print(f"{connection.vendor}: {args.orders:,} orders {written} in {time.perf_counter() - t0:.0f} s (not timed)")
        if args.rounds == 0:  # only fill the --keep database, to measure it later with --reuse
            return
        results = measure(args.orders, args.rounds)
        print(f"{'page':<12} {'p50 ms':>8} {'p99 ms':>8} {'cpu p50':>8} {'queries':>8} {'raw p50 ms':>11} {'ratio':>7}")
        for name, r in results.items():
            web50, web99 = percentile(r["web"], 50) * 1000, percentile(r["web"], 99) * 1000
            cpu50, raw50 = percentile(r["cpu"], 50) * 1000, statistics.median(r["raw"]) * 1000
            print(
                f"{name:<12} {web50:>8.1f} {web99:>8.1f} {cpu50:>8.1f} {r['queries']:>8} {raw50:>11.2f} "
                f"{raw50 / web50:>7.1%}"
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
