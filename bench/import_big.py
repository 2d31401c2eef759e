"""Benchmark: import a big back-office order export (50,000 and 500,000 rows) through ``kuaifa import-orders``.

    python bench/import_big.py [--rows 50000 500000] [--database-url postgres://…/postgres]

For each size a CSV export is generated first (not timed), then a fresh process imports it exactly as the command
does (streamed parse, chunked ingest, one transaction) into a freshly migrated database, and reports the wall time
and the process's peak RSS. In the same process the raw ceiling is measured: the same file read with ``csv.reader``
and its orders and lines written with plain DB-API ``executemany`` (chunks of 2,000, one transaction) into another
freshly migrated database. With ``--database-url`` both run on PostgreSQL (two scratch databases are created and
dropped on that server); otherwise on SQLite files. Prints rows/s for both and their ratio; not a test.
"""

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

HEADER = [
    "订单成交时间", "商品", "订单号", "订单状态", "商品总价(元)", "邮费(元)",
    "店铺优惠折扣(元)", "平台优惠折扣(元)", "用户实付金额(元)", "商品数量(件)",
    "承诺发货时间", "商品id", "商品规格", "样式ID", "商家编码-规格维度",
    "收货人", "手机", "省", "市", "区", "街道", "是否审核中", "买家留言", "售后状态",
]  # fmt: skip
SKUS = 200
CHUNK = 2000


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """An export of ``rows`` rows: ~1 in 5 orders has two lines. Returns the number of orders."""
    rng = random.Random(seed)
    written = orders = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        while written < rows:
            lines = min(rows - written, 2 if rng.random() < 0.2 else 1)
            sn = f"261111-{orders:015d}"
            totals = [rng.randint(500, 20_000) for _ in range(lines)]
            discount = rng.choice((0, 0, 100, 300))
            pay = sum(totals) - discount
            for i, total in enumerate(totals):
                sku = rng.randrange(SKUS)
                writer.writerow([
                    "2026-11-11 10:00:00", "西湖龙井", sn, "待发货", f"{total / 100:.2f}",
                    "0.00", f"{discount / 100:.2f}", "0.00", f"{pay / 100:.2f}", "1", "2026-11-13 10:00:00",
                    str(1000 + sku), "250g", str(50_000 + sku),
                    f"SKU-{sku:04d}", "张**", "138****0000", "广东省", "深圳市", "南山区", "科技园**号", "否",
                    "请发顺丰" if rng.random() < 0.02 else "", "无售后或售后取消",
                ] if i == 0 else [
                    "", "西湖龙井", sn, "", f"{total / 100:.2f}", "", "", "", "", "1", "", str(1000 + sku), "250g",
                    str(50_000 + sku), f"SKU-{sku:04d}", "", "", "", "", "", "", "", "", "",
                ])  # fmt: skip
            written += lines
            orders += 1
    return orders


def migrated(url: str | None, home: Path) -> None:
    os.environ["KUAIFA_HOME"] = str(home)
    os.environ["KUAIFA_NOW"] = "2026-11-11T12:00:00+08:00"
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_kuaifa(file: Path) -> dict:
    from click.testing import CliRunner

    from kuaifa.cli.main import cli
    from kuaifa.services.catalog import add_shop, ensure_warehouse

    ensure_warehouse()
    add_shop("基准店", now=__import__("datetime").datetime.now(__import__("datetime").UTC))
    before = rss_mib()
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["import-orders", str(file), "--shop", "基准店", "--json"])
    elapsed = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(result.output[-2000:])
    return {"seconds": elapsed, "rss_before": before, "rss_peak": rss_mib(), **json.loads(result.output)}


def run_ceiling(file: Path) -> float:
    """The file's orders and lines with plain executemany on Django's DB-API connection, one transaction."""
    from datetime import UTC, datetime

    from django.db import connection, transaction

    from kuaifa.persistence.models import Shop

    now = "2026-11-11 04:00:00"
    # the shop as the model makes one (its columns have no database defaults); not timed
    shop_id = Shop.objects.create(name="raw", created_at=datetime(2026, 11, 11, 4, tzinfo=UTC)).id
    order_sql = (
        "INSERT INTO kuaifa_order(shop_id, order_sn, source, status, hold_reasons, waived_reasons, order_status, "
        "refund_status, after_sales_status, confirm_status, risk_control_status, ship_hold, is_pre_sale, tags, "
        "goods_amount, discount_amount, platform_discount, seller_discount, postage, pay_amount, province, city, "
        "town, receiver_name, receiver_phone, receiver_address, receiver_name_mask, receiver_phone_mask, "
        "receiver_address_mask, receiver_is_plaintext, open_address_id, buyer_memo, remark, logistics_id, "
        "tracking_number, paid_at, ship_by, fingerprint, version, created_at, updated_at) VALUES "
        "(%s, %s, 'export', 'NEW', '[]', '[]', 1, 1, 0, 1, 0, false, false, '[]', %s, %s, 0, %s, 0, %s, %s, %s, %s, "
        "'', '', '', %s, %s, %s, false, '', %s, '', 0, '', %s, %s, '', 1, %s, %s)"
    )
    line_sql = (
        "INSERT INTO kuaifa_orderline(order_id, sku_id, goods_id, platform_sku_id, outer_id, goods_name, goods_spec, "
        "quantity, unit_price) VALUES (%s, NULL, %s, %s, %s, %s, %s, %s, %s)"
    )
    started = time.perf_counter()
    with transaction.atomic(), file.open(encoding="utf-8-sig", newline="") as handle, connection.cursor() as cursor:
        reader = csv.reader(handle)
        next(reader)
        orders: list[tuple] = []
        lines: list[tuple] = []
        next_id = None

        def flush() -> None:
            nonlocal next_id
            if not orders:
                return
            cursor.executemany(order_sql, orders)
            cursor.execute("SELECT id, order_sn FROM kuaifa_order WHERE shop_id = %s AND order_sn >= %s "
                           "AND order_sn <= %s", [shop_id, orders[0][1], orders[-1][1]])  # fmt: skip
            ids = dict((sn, i) for i, sn in cursor.fetchall())
            cursor.executemany(line_sql, [(ids[sn], *rest) for sn, *rest in lines])
            orders.clear()
            lines.clear()

        for row in reader:
            sn = row[2]
            if row[3]:
                if len(orders) >= CHUNK:
                    flush()
                fen = [round(float(v or 0) * 100) for v in (row[4], row[6], row[8])]
                orders.append((shop_id, sn, fen[0], fen[1], fen[1], fen[2], row[17], row[18], row[19], row[15],
                               row[16], row[20], row[22], now, now, now, now))  # fmt: skip
            lines.append((sn, row[11], row[13], row[14], row[1], row[12], int(row[9]), round(float(row[4]) * 100)))
        flush()
    return time.perf_counter() - started


def one(rows: int, file: Path, url: str | None, work: Path) -> None:
    """Child process: import into one fresh database, the ceiling into another; print a JSON line."""
    migrated(url and f"{url}_k", work / "k")
    result = run_kuaifa(file)
    from django.db import connections

    connections.close_all()
    ceiling_s = None
    if url:  # a second database on the same server
        import django.db

        django.db.connections["default"].settings_dict["NAME"] += "_raw"
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    else:
        from django.conf import settings

        raw = work / "raw"
        raw.mkdir()
        settings.DATABASES["default"]["NAME"] = str(raw / "ceiling.sqlite3")
        connections["default"].settings_dict["NAME"] = str(raw / "ceiling.sqlite3")
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    ceiling_s = run_ceiling(file)
    print(json.dumps({"rows": rows, "ceiling_s": ceiling_s, **result}, default=str))


def create_databases(url: str, names: list[str], drop: bool = False) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"' if drop else f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000, 500_000])
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL (…/postgres); scratch DBs made")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        rows, file, work = args.child
        server = args.database_url and args.database_url.rsplit("/", 1)[0]
        one(int(rows), Path(file), server and f"{server}/kb{os.getppid()}", Path(work))
        return

    print(f"{'rows':>9} {'orders':>8} {'kuaifa':>9} {'rows/s':>8} {'raw':>8} {'rows/s':>8} {'ratio':>6} "
          f"{'RSS start':>9} {'RSS peak':>9}  ({'PostgreSQL' if args.database_url else 'SQLite'})")  # fmt: skip
    for rows in args.rows:
        work = Path(tempfile.mkdtemp(prefix="kuaifa-import-big-"))
        base = args.database_url.rsplit("/", 1)[0] + f"/kb{os.getpid()}" if args.database_url else None
        scratch = [f"kb{os.getpid()}_k", f"kb{os.getpid()}_k_raw"]
        try:
            file = work / f"export-{rows}.csv"
            orders = generate(file, rows)
            if base:
                create_databases(args.database_url, scratch)
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(rows), str(file), str(work)]
                + (["--database-url", args.database_url] if args.database_url else []),
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if out.returncode != 0:
                raise SystemExit(out.stderr[-3000:] + out.stdout[-2000:])
            r = json.loads(out.stdout.strip().splitlines()[-1])
            assert r["created"] == orders, (r["created"], orders)
            print(f"{rows:>9,} {orders:>8,} {r['seconds']:>8.1f}s {rows / r['seconds']:>8,.0f} {r['ceiling_s']:>7.1f}s "
                  f"{rows / r['ceiling_s']:>8,.0f} {r['ceiling_s'] / r['seconds']:>6.1%} {r['rss_before']:>6.0f} MiB "
                  f"{r['rss_peak']:>5.0f} MiB", flush=True)  # fmt: skip
        finally:
            if base:
                create_databases(args.database_url, scratch, drop=True)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
