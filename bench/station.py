"""Benchmark: server time per scan at the packing station, in a wave of 2,000 parcels; printing 1,000 e-waybills.

    python bench/station.py [--orders 2000] [--parcels 300] [--prints 1000] [--database-url postgres://…]

Setup (not timed): the shop, SKUs and orders of ``bench/fulfilment.py`` (200 SKUs with barcodes and a 说明书 each,
N orders accepted), one wave of all N orders.

Timed, through the services a station page calls: for ``--parcels`` slots spread over the wave, ``open_parcel`` by
wave slot, then one ``scan_unit`` per unit and per enclosure, and one refused scan (a SKU not in the parcel) — each
call timed alone; the parcel is then put aside (not timed). p50 / p99 / max per scan are printed.

The ceiling is measured in the same run on the same database: per scan, the raw SELECT of what a scan must read —
the open parcel row, the order's lines joined with their SKUs, and the scanned barcode's SKU — with the driver's own
cursor, no ORM. Ratio = ceiling p50 / Kuaifa p50. Goal on 2 cores: p99 ≤ 50 ms per scan.

Printing: the first ``--prints`` orders of the wave get e-waybills whose print data is sealed as the simulator
seals it (setup, not timed: a provider in this file stands in for the platform). Timed: ``print_jobs_for`` the wave
(slot order), handing every task of 10 documents to the simulator's stand-in component over a WebSocket and
waiting for each task's results before the next (as the browser client does; the stand-in renders one PDF per
document), and ``record_print_results`` per task. Ceiling: the raw SELECT of those waybills' print data. Not a
test.
"""

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fulfilment import ACTOR, NOW, SKUS, setup, setup_django

RAW_SQL = """
SELECT p.id, p.scans, p.enclosures FROM kuaifa_stationparcel p WHERE p.station = 'B1' AND p.state = 'open';
SELECT l.sku_id, l.quantity, s.code, s.barcode, s.name, s.enclosures
FROM kuaifa_orderline l JOIN kuaifa_sku s ON s.id = l.sku_id WHERE l.order_id = {order_id};
SELECT code FROM kuaifa_sku WHERE barcode = '{barcode}';
"""


def raw_scan_seconds(cursor, order_id: int, barcode: str) -> float:
    start = time.perf_counter()
    for statement in RAW_SQL.format(order_id=order_id, barcode=barcode).split(";"):
        if statement.strip():
            cursor.execute(statement)
            cursor.fetchall()
    return time.perf_counter() - start


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(n: int, parcels: int) -> dict:
    from django.db import connection

    from kuaifa.domain.fulfilment.waves import WaveRule
    from kuaifa.persistence.models import Sku, WaveOrder
    from kuaifa.persistence.queries import order_contents
    from kuaifa.services.station import StationRefused, open_parcel, put_aside, scan_unit
    from kuaifa.services.waves import create_waves

    (wave,) = create_waves(WaveRule(horizon=timedelta(hours=24), max_orders=n), actor=ACTOR, now=NOW)
    members = list(WaveOrder.objects.filter(wave=wave).order_by("slot").values_list("slot", "order_id"))
    assert len(members) == n, len(members)
    chosen = random.Random(11).sample(members, min(parcels, n))
    barcodes = dict(Sku.objects.values_list("code", "barcode"))
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    opens, scans, raws, refused = [], [], [], 0
    for slot, order_id in chosen:
        units = order_contents([order_id])[order_id].units
        start = time.perf_counter()
        open_parcel("B1", f"{wave.code}/{slot}", actor=ACTOR, now=NOW)
        opens.append(time.perf_counter() - start)
        inside = {u.sku_code for u in units}
        stranger = next(barcodes[f"SKU-{i:04d}"] for i in range(SKUS) if f"SKU-{i:04d}" not in inside)
        wanted = [barcodes[u.sku_code] for u in units for _ in range(u.quantity)] + [stranger, "说明书"]
        for barcode in wanted:
            start = time.perf_counter()
            try:
                scan_unit("B1", barcode, actor=ACTOR, now=NOW)
            except StationRefused:
                refused += 1
            scans.append(time.perf_counter() - start)
            raws.append(raw_scan_seconds(cursor, order_id, barcode))
        put_aside("B1", actor=ACTOR, now=NOW)
    cursor.close()
    return {"opens": opens, "scans": scans, "raws": raws, "refused": refused}


class SealingProvider:
    """Stands in for pdd.waybill.get in the setup: numbers in ZTO's shape, print data sealed like the simulator's."""

    def __init__(self) -> None:
        self.issued = 0

    def issue(self, carrier_code, orders):
        from kuaifa.domain.carriers.waybills import IssuedWaybill
        from kuaifa.platforms.sim.waybill_api import seal_print_data

        out = []
        for request in orders:
            self.issued += 1
            code = f"78{self.issued:012d}"
            content = {"waybill_code": code, "wp_code": carrier_code, "order_sn": request.order_sn,
                       "recipient": {"province": request.receiver.province, "city": request.receiver.city}}  # fmt: skip
            out.append(IssuedWaybill(request.order_sn, carrier_code, code, seal_print_data(content)))
        return out

    def cancel(self, carrier_code, waybill_code):
        raise NotImplementedError


def run_printing(count: int) -> dict:
    import json
    import tempfile as temp

    from websockets.sync.client import connect

    from kuaifa.persistence.models import Wave, WaveOrder
    from kuaifa.platforms.sim.print_component import running_print_component
    from kuaifa.services.printing import DocumentResult, print_jobs_for, record_print_results
    from kuaifa.services.waybills import issue_waybills

    wave = Wave.objects.order_by("id").first()
    ids = list(WaveOrder.objects.filter(wave=wave).order_by("slot").values_list("order_id", flat=True)[:count])
    issue_waybills(ids, "ZTO", SealingProvider(), actor=ACTOR, now=NOW)
    ceiling, _rows = raw_seconds_one(
        "SELECT w.waybill_code, w.print_data, o.order_sn FROM kuaifa_waybill w JOIN kuaifa_order o ON o.id = w.order_id"
        f" WHERE w.order_id IN ({', '.join(map(str, ids))})"
    )
    out = Path(temp.mkdtemp(prefix="kuaifa-bench-print-"))
    with running_print_component(out) as component, connect(f"ws://127.0.0.1:{component.port}") as ws:
        start = time.perf_counter()
        jobs = [j for j in print_jobs_for(orders=ids, station="B1")]
        listed = time.perf_counter()
        results = []
        for n in range(0, len(jobs), 10):
            batch = jobs[n : n + 10]
            documents = [{"documentID": j.document_id, "contents": [json.loads(j.print_data), {
                "data": j.custom, "templateURL": "kuaifa://custom-area/76x30"}]} for j in batch]  # fmt: skip
            ws.send(json.dumps({"cmd": "print", "requestID": f"r{n}", "version": "1.0",
                                "task": {"taskID": f"t{n}", "printer": "", "documents": documents}}))  # fmt: skip
            answer = json.loads(ws.recv(timeout=30))
            assert answer["status"] == "success", answer
            results.append((f"t{n}", [json.loads(ws.recv(timeout=30)) for _ in batch]))
        handed = time.perf_counter()
        for task_id, notes in results:  # the browser reports each task's results in one call
            documents = [
                DocumentResult(s["documentID"], s["status"], s["msg"]) for n in notes for s in n["printStatus"]
            ]
            record_print_results(documents, task_id=task_id, printer=notes[0]["printer"], station="B1", actor=ACTOR,
                                 now=NOW)  # fmt: skip
        done = time.perf_counter()
    printed = len(list(out.glob("*.pdf")))
    shutil.rmtree(out, ignore_errors=True)
    assert printed == len(ids), printed
    return {"count": len(ids), "jobs": listed - start, "hand": handed - listed, "record": done - handed,
            "total": done - start, "ceiling": ceiling}  # fmt: skip


def raw_seconds_one(sql: str) -> tuple[float, int]:
    from django.db import connection

    connection.ensure_connection()
    cursor = connection.connection.cursor()
    cursor.execute(sql)
    cursor.fetchall()
    start = time.perf_counter()
    cursor.execute(sql)
    rows = cursor.fetchall()
    elapsed = time.perf_counter() - start
    cursor.close()
    return elapsed, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--parcels", type=int, default=300, help="parcels packed (slots spread over the wave)")
    parser.add_argument("--prints", type=int, default=1_000, help="e-waybills printed through the stand-in")
    parser.add_argument("--database-url", default=None, help="run on PostgreSQL instead of the embedded SQLite")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-station-"))
    try:
        setup_django(work, args.database_url)
        import os

        from django.db import connection

        t0 = time.perf_counter()
        setup(args.orders)
        setup_s = time.perf_counter() - t0
        result = run(args.orders, args.parcels)
        printing = run_printing(args.prints)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        scans, raws, opens = result["scans"], result["raws"], result["opens"]

        def spread(values: list[float], digits: int = 1) -> str:
            return (f"p50 {statistics.median(values) * 1000:6.{digits}f} ms  "
                    f"p99 {percentile(values, 99) * 1000:6.{digits}f} ms")  # fmt: skip

        print(f"database               {connection.vendor} ({os.cpu_count()} CPUs); setup {setup_s:.1f} s (not timed)")
        print(f"wave of {args.orders:,} parcels, {len(opens)} packed, {len(scans):,} scans "
              f"({result['refused']} refused on purpose)")  # fmt: skip
        print(f"scan (server)          {spread(scans)}  max {max(scans) * 1000:6.1f} ms  (goal p99 ≤ 50 ms)")
        print(f"  raw SELECT ceiling   {spread(raws, 2)};  "
              f"ratio p50 {statistics.median(raws) / statistics.median(scans):.1%}")  # fmt: skip
        print(f"open parcel by slot    {spread(opens)}")
        print(f"{printing['count']:,} e-waybills printed   {printing['total']:>7.2f} s  jobs {printing['jobs']:.2f}"
              f" + tasks handed to the component and answered {printing['hand']:.2f}"
              f" + print log {printing['record']:.2f}")  # fmt: skip
        ratio = printing["ceiling"] / printing["total"]
        print(f"  raw SELECT ceiling   {printing['ceiling']:>7.3f} s;  ratio {ratio:.1%}")
        print(f"peak RSS               {rss_mb:>7.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
