"""Benchmark: what the order-count triggers cost intake and review — the same work with and without them.

    python bench/order_counts.py [--orders 20000] [--repeat 3] [--database-url postgres://…]

The runs of ``bench/pipeline.py``'s Kuaifa side (``ingest_orders`` in batches of 2,000, then ``review_orders``),
interleaved: one on a fresh copy of the seeded database as migrated (triggers keeping ``OrderCount``), one on a fresh
copy whose order-count triggers were dropped (the ceiling: the same writes, nothing counted). Prints min / median
wall and CPU seconds per stage and the ratio without / with. On PostgreSQL the CPU is this process's only (the
triggers run in the server): read the wall times there. Not a test.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Databases, setup_django
from pipeline import run_kuaifa, seed


def drop_triggers(connection) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for event in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER IF EXISTS kuaifa_order_counts_{event} ON kuaifa_order")
            return
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'kuaifa_order_counts_%'")
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each side")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (both sides run there)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-counts-"))
    try:
        setup_django(work, args.database_url)
        from django.db import connection

        seed(args.orders)
        dbs = Databases(work)
        runs: dict[str, list[dict]] = {"with counts": [], "without": []}
        for _ in range(args.repeat):
            for side in runs:
                name = dbs.fresh()
                if side == "without":
                    drop_triggers(connection)
                runs[side].append(run_kuaifa(args.orders, 2000))
                connection.close()
                dbs.drop(name)
        print(f"{dbs.vendor}, {args.orders:,} orders, {args.repeat} interleaved runs of each side (seconds)")
        for stage in ("ingest", "review"):
            for measure in ("wall", "cpu"):
                values = {side: [getattr(r[stage], measure) for r in rs] for side, rs in runs.items()}
                with_, without = (statistics.median(values[side]) for side in runs)
                print(f"{stage:<7} {measure:<5} with counts min {min(values['with counts']):7.2f} median {with_:7.2f}"
                      f"   without min {min(values['without']):7.2f} median {without:7.2f}"
                      f"   ratio (median) {without / with_:6.1%}")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
