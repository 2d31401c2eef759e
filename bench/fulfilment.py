"""Benchmark: a wave of 10,000 accepted orders with its pick-list PDF, and 1,000 shipping labels in one PDF.

    python bench/fulfilment.py [--orders 10000] [--labels 1000] [--database-url postgres://…]

Setup (not timed): a shop, 200 SKUs with bins, sizes and barcodes, stock, N orders ingested and reviewed through
the services (all accepted), and — after the wave — ``--labels`` of its orders shipped with tracking numbers.

Timed, through the real code the CLI runs (labels ``--repeat`` times, min and median shown; the wave once, as it
moves the orders):
- wave: ``create_waves`` (load, plan, store slots, move orders to PICKING with events) + ``drop_stale_orders`` +
  ``pick_list_data`` + ``render_pick_list`` — ``kuaifa wave create`` then ``kuaifa wave pdf``;
- labels: ``label_data`` + ``render_labels`` + ``log_print`` — ``kuaifa labels FILE --wave …`` for those orders.

The ceiling is measured in the same run on the same database: the time to SELECT the rows each step reads (orders
joined with lines and SKUs; for labels also shipments and shops) with the driver's own cursor, no ORM. Ratio =
ceiling / Kuaifa (100 % would mean Kuaifa costs nothing beyond reading its input). Targets on 2 cores: the wave
with its PDF ≤ 2 s, 1,000 labels ≤ 1 s (median of 5). Not a test.
"""

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django  # the PostgreSQL database is scratch space, created empty
from kuaifa.domain.shared.actor import Actor

NOW = datetime(2026, 11, 11, 4, 0, tzinfo=UTC)
SKUS = 200
ACTOR = Actor.system("bench")


def orders(n: int, batch: int = 2000, seed: int = 7):
    from kuaifa.domain.orders.canonical import CanonicalLine, CanonicalOrder, Receiver

    rng = random.Random(seed)
    for start in range(0, n, batch):
        chunk = []
        for i in range(start, min(n, start + batch)):
            lines = tuple(
                CanonicalLine(
                    quantity=rng.randint(1, 2), unit_price_fen=1990, outer_id=f"SKU-{rng.randrange(SKUS):04d}"
                )
                for _ in range(rng.choice((1, 1, 1, 2, 3)))
            )
            paid = NOW - timedelta(minutes=rng.randint(0, 2880))
            chunk.append(
                CanonicalOrder(
                    order_sn=f"261111-{i:015d}",
                    lines=lines,
                    goods_amount_fen=1990 * sum(x.quantity for x in lines),
                    pay_amount_fen=1990 * sum(x.quantity for x in lines),
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
                    paid_at=paid,
                    created_at=paid,
                    last_ship_time=NOW + timedelta(hours=rng.randint(1, 23)),
                    updated_at=paid,
                )
            )
        yield chunk


def setup(n: int) -> None:
    from kuaifa.domain.inventory.catalog import SkuSpec, StockCount
    from kuaifa.persistence.models import Order
    from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.inventory import stocktake
    from kuaifa.services.review import review_orders

    ensure_warehouse()
    shop = add_shop("基准店", now=NOW)
    rng = random.Random(3)
    specs = [
        SkuSpec(
            f"SKU-{i:04d}",
            name=f"商品{i}",
            barcode=f"690{i:010d}",
            weight_g=rng.randint(50, 900),
            length_mm=rng.randint(30, 250),
            width_mm=rng.randint(30, 200),
            height_mm=rng.randint(10, 150),
            bin_location=f"{'ABCDEFGH'[i % 8]}-{i // 8 + 1:02d}-{i % 5 + 1}",
            enclosures=("说明书",),
        )
        for i in range(SKUS)
    ]
    upsert_skus(specs, now=NOW)
    stocktake([StockCount(s.code, "MAIN", n * 10) for s in specs], actor=ACTOR, now=NOW)
    for chunk in orders(n):
        ingest_orders(shop, chunk, source=Order.Source.API, actor=ACTOR, now=NOW)
    report = review_orders(actor=ACTOR, now=NOW)
    assert report.accepted == n, report


def raw_seconds(sql: str) -> tuple[float, int]:
    """Run ``sql`` with the driver's cursor (no ORM): warm once, then time a second run; (seconds, rows)."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    for _attempt in range(2):
        cursor = raw.cursor()
        start = time.perf_counter()
        cursor.execute(sql)
        rows = cursor.fetchall()
        elapsed = time.perf_counter() - start
        cursor.close()
    return elapsed, len(rows)


WAVE_SQL = """
SELECT o.id, o.order_sn, o.shop_id, o.ship_by, o.logistics_id, l.sku_id, l.quantity, s.code, s.bin_location, s.name
FROM kuaifa_order o JOIN kuaifa_orderline l ON l.order_id = o.id JOIN kuaifa_sku s ON s.id = l.sku_id
WHERE o.status = 'ACCEPTED'
"""

LABEL_SQL = """
SELECT o.id, o.order_sn, o.province, o.city, o.town, o.receiver_name_mask, o.receiver_phone_mask,
       o.receiver_address_mask, h.name, p.logistics_id, p.tracking_number, l.quantity, s.code
FROM kuaifa_order o JOIN kuaifa_shop h ON h.id = o.shop_id
JOIN kuaifa_shipment p ON p.order_id = o.id AND p.is_primary
JOIN kuaifa_orderline l ON l.order_id = o.id JOIN kuaifa_sku s ON s.id = l.sku_id
WHERE o.id IN ({ids})
"""


def run_wave(n: int) -> dict:
    from kuaifa.documents.model import PickListData, PickRow
    from kuaifa.documents.pick_list import render_pick_list
    from kuaifa.domain.fulfilment.waves import WaveRule
    from kuaifa.services.labels import pick_list_data
    from kuaifa.services.waves import create_waves, drop_stale_orders

    ceiling, rows = raw_seconds(WAVE_SQL)
    start, cpu = time.perf_counter(), time.process_time()
    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=24), max_orders=n), actor=ACTOR, now=NOW)
    planned = time.perf_counter()
    drop_stale_orders(wave.id, actor=ACTOR, now=NOW)
    info = pick_list_data(wave.code)
    data = PickListData(info.wave_code, info.created_at,
                        tuple(PickRow(r.bin_location, r.sku_code, r.name, r.quantity, r.slots) for r in info.rows),
                        info.order_count)  # fmt: skip
    read = time.perf_counter()
    pdf = render_pick_list(data)
    done = time.perf_counter()
    assert info.order_count == n
    return {"code": wave.code, "total": done - start, "cpu": time.process_time() - cpu, "create": planned - start,
            "read": read - planned,
            "render": done - read, "pdf_kb": len(pdf) / 1024, "ceiling": ceiling, "rows": rows}  # fmt: skip


def ship_some(wave_code: str, count: int) -> list[int]:
    from kuaifa.services.labels import wave_order_ids
    from kuaifa.services.shipping import ship_order

    _, ids = wave_order_ids(wave_code)
    for n, order_id in enumerate(ids[:count], start=1):
        ship_order(order_id, carrier=115, tracking_number=f"7731{n:08d}", actor=ACTOR, now=NOW)
    return ids[:count]


def run_labels(ids: list[int], wave_id: int) -> dict:
    from kuaifa.documents.labels import render_labels
    from kuaifa.documents.model import ContentLine, LabelData, Receiver, Sender
    from kuaifa.services.labels import label_data, log_print

    ceiling, rows = raw_seconds(LABEL_SQL.format(ids=", ".join(map(str, ids))))
    start, cpu = time.perf_counter(), time.process_time()
    batch = label_data(ids)
    labels = [
        LabelData(
            i.carrier_name,
            i.tracking_number,
            Receiver(**vars(i.receiver)),
            Sender(i.shop_name, "", ""),
            (i.order_sn,),
            tuple(ContentLine(c, q) for c, q in i.contents),
            NOW,
        )
        for i in batch.labels
    ]
    read = time.perf_counter()
    pdf = render_labels(labels)
    rendered = time.perf_counter()
    log_print("label", order_ids=ids, wave_id=wave_id, actor=ACTOR, now=NOW)
    done = time.perf_counter()
    return {"total": done - start, "cpu": time.process_time() - cpu,
            "read": read - start, "render": rendered - read, "log": done - rendered,
            "pdf_kb": len(pdf) / 1024, "ceiling": ceiling, "rows": rows}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--labels", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5, help="label runs (each with its ceiling); median shown")
    parser.add_argument("--database-url", default=None, help="run on PostgreSQL instead of the embedded SQLite")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-fulfilment-"))
    try:
        setup_django(work, args.database_url)
        from django.db import connection

        from kuaifa.persistence.queries import wave_by_code

        t0 = time.perf_counter()
        setup(args.orders)
        setup_s = time.perf_counter() - t0
        wave = run_wave(args.orders)
        ids = ship_some(wave["code"], args.labels)
        runs = [run_labels(ids, wave_by_code(wave["code"]).id) for _ in range(args.repeat)]  # ceiling interleaved
        labels = sorted(runs, key=lambda r: r["total"])[len(runs) // 2]  # the median run
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        print(f"database               {connection.vendor} ({os.cpu_count()} CPUs); setup {setup_s:.1f} s (not timed)")
        print(f"wave of {args.orders:,} orders    {wave['total']:>7.2f} s  (target ≤ 2 s)  "
              f"create {wave['create']:.2f} + pick list read {wave['read']:.2f} + PDF {wave['render']:.2f}; "
              f"{wave['pdf_kb']:.0f} KiB; CPU {wave['cpu']:.2f} s (this process)")  # fmt: skip
        print(f"  raw SELECT ceiling   {wave['ceiling']:>7.3f} s  ({wave['rows']:,} order-line rows); "
              f"ratio {wave['ceiling'] / wave['total']:.1%}")  # fmt: skip
        print(f"{args.labels:,} labels, one PDF   {labels['total']:>7.2f} s  (target ≤ 1 s)  "
              f"read {labels['read']:.2f} + PDF {labels['render']:.2f} + print log {labels['log']:.2f}; "
              f"{labels['pdf_kb']:.0f} KiB")  # fmt: skip
        totals = [r["total"] for r in runs]
        print(f"  {len(runs)} runs              min {min(totals):.2f} s, median {statistics.median(totals):.2f} s; "
              f"CPU median {statistics.median(r['cpu'] for r in runs):.2f} s")  # fmt: skip
        print(f"  raw SELECT ceiling   {labels['ceiling']:>7.3f} s  ({labels['rows']:,} rows); "
              f"ratio {labels['ceiling'] / labels['total']:.1%}")  # fmt: skip
        print(f"peak RSS               {rss_mb:>7.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
