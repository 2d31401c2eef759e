"""Start-up: ``kuaifa orders --limit 1`` as a person types it, against a raw-database ceiling.

Each run is a new process, as from a shell. The ceiling is a Python process that opens the same database with the
driver (``sqlite3`` with Kuaifa's pragmas, or psycopg), runs the same SELECT (the order list's, most urgent
deadline first, one row) and prints the row: the least any Python command line can do for this answer. Beside
it, **Django's floor**: a process that sets Django up with no app, imports the ORM and runs the same SELECT through
Django's connection — the least any command built on Django can do; the difference is Kuaifa's own start-up. Kuaifa and
the ceiling run interleaved (A B A B …); each run's wall time and CPU time (user + system of the child process)
are recorded, and min, median and the ratios are printed.

The home is made once with ``kuaifa init`` and ``kuaifa demo`` (or ``--home`` names one). Python's bytecode cache
is written once before the timed runs (a first run without ``PYTHONDONTWRITEBYTECODE``), as an installed package
has it; ``--no-bytecode-cache`` measures with every module of Kuaifa's own compiled again in each run.

    .venv/bin/python bench/startup.py [--repeat 20] [--home DIR] [--database-url postgres://…]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SQLITE_PRAGMAS, _recreate

ROOT = Path(__file__).resolve().parent.parent
KUAIFA = str(ROOT / ".venv" / "bin" / "kuaifa") if (ROOT / ".venv" / "bin" / "kuaifa").exists() else "kuaifa"

# The order list's query as Django sends it for `kuaifa orders --limit 1` (persistence.queries.order_list.orders)
SELECT = (
    "SELECT o.id, o.order_sn, s.name, o.status, o.hold_reasons, o.ship_by, o.pay_amount, o.province, "
    "o.receiver_name_mask FROM kuaifa_order o INNER JOIN kuaifa_shop s ON o.shop_id = s.id "
    "ORDER BY o.ship_by ASC NULLS LAST, o.order_sn ASC LIMIT 1"
)

CEILING_SQLITE = f"""
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None, cached_statements=32)
for pragma in {SQLITE_PRAGMAS!r}:
    con.execute(pragma)
rows = con.execute({SELECT!r}).fetchall()
for r in rows:
    print(r[1], r[3], r[5], r[6], r[7], r[8], ",".join(json.loads(r[4])))
print(len(rows), "order(s).")
"""

CEILING_POSTGRES = f"""
import sys, psycopg
with psycopg.connect(sys.argv[1]) as con:
    rows = con.execute({SELECT!r}).fetchall()
for r in rows:
    print(r[1], r[3], r[5], r[6], r[7], r[8], ",".join(r[4]))
print(len(rows), "order(s).")
"""

# Django's own floor: the framework set up with no app at all, the ORM imported (as any model needs it), the same
# SELECT through Django's connection. What Kuaifa adds over this is its own start-up; below it no Django command goes.
FLOOR = f"""
import sys
import django
from django.conf import settings
url = sys.argv[1]
if url.startswith("postgres"):
    import dj_database_url
    db = dj_database_url.parse(url)
else:
    db = {{"ENGINE": "django.db.backends.sqlite3", "NAME": url}}
settings.configure(INSTALLED_APPS=[], DATABASES={{"default": db}}, USE_TZ=True)
django.setup()
import django.db.models
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute({SELECT!r})
    rows = cursor.fetchall()
for r in rows:
    print(r[1], r[3], r[5], r[6], r[7], r[8], r[4])
print(len(rows), "order(s).")
"""


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and the output of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def line(label: str, values: list[float]) -> str:
    return f"{label:<28} min {min(values):7.3f} s   median {statistics.median(values):7.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each side (default 20)")
    parser.add_argument("--home", type=Path, help="an existing KUAIFA_HOME (default: a new one with the demo data)")
    parser.add_argument("--database-url", help="PostgreSQL scratch database (dropped and created) instead of SQLite")
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="also run, interleaved, the command from another checkout's src/ (e.g. the previous commit's)",
    )
    parser.add_argument(
        "--no-bytecode-cache", action="store_true", help="do not write Python's bytecode cache before the runs"
    )
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    home = args.home or Path(tempfile.mkdtemp(prefix="kuaifa-startup-"))
    env["KUAIFA_HOME"] = str(home)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.home is None:
        if args.database_url:
            _recreate(args.database_url)
        for step in (["init"], ["demo"]):
            subprocess.run([KUAIFA, *step], env=env, check=True, capture_output=True)
    target = args.database_url or str(home / "kuaifa.sqlite3")
    ceiling = [sys.executable, "-c", CEILING_POSTGRES if args.database_url else CEILING_SQLITE, target]
    kuaifa = [KUAIFA, "orders", "--limit", "1"]
    floor = [sys.executable, "-c", FLOOR, target]
    runs = {"kuaifa": (kuaifa, env), "ceiling": (ceiling, env), "django": (floor, env)}
    if args.compare_src:
        other = {**env, "PYTHONPATH": str(args.compare_src.resolve())}
        runs["compared"] = ([sys.executable, "-c", "from kuaifa.cli.main import main; main()", *kuaifa[1:]], other)

    for _ in range(2):  # warm-up: the OS page cache, and the bytecode cache unless told not to
        for argv, run_env in runs.values():
            warm = {k: v for k, v in run_env.items() if k != "PYTHONDONTWRITEBYTECODE" or args.no_bytecode_cache}
            timed(argv, warm)
    for name, (argv, run_env) in runs.items():
        print(f"{name + ':':<10}", timed(argv, run_env)[2].strip().splitlines()[0])

    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in runs}
    for _ in range(args.repeat):
        for name, (argv, run_env) in runs.items():
            wall, cpu, _out = timed(argv, run_env)
            results[name][0].append(wall)
            results[name][1].append(cpu)

    print(f"\n{args.repeat} runs each, interleaved; {'PostgreSQL' if args.database_url else 'SQLite'}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; bytecode cache "
          f"{'not written' if args.no_bytecode_cache else 'written before the runs'}")  # fmt: skip
    for name, (walls, cpus) in results.items():
        print(line(f"{name} wall", walls))
        print(line(f"{name} CPU (user+sys)", cpus))
    k_wall, k_cpu = results["kuaifa"]
    c_wall, c_cpu = results["ceiling"]
    if args.compare_src:
        o_wall, o_cpu = results["compared"]
        print(f"kuaifa / compared: wall {statistics.median(k_wall) / statistics.median(o_wall):.1%}, "
              f"CPU {statistics.median(k_cpu) / statistics.median(o_cpu):.1%} (medians)")  # fmt: skip
    print(
        f"ratio ceiling/kuaifa: wall {statistics.median(c_wall) / statistics.median(k_wall):.1%} (medians), "
        f"{min(c_wall) / min(k_wall):.1%} (mins); CPU {statistics.median(c_cpu) / statistics.median(k_cpu):.1%} "
        f"(medians)"
    )
    d_wall, d_cpu = results["django"]
    extra_wall = statistics.median(k_wall) - statistics.median(d_wall)
    extra_cpu = statistics.median(k_cpu) - statistics.median(d_cpu)
    print(f"django floor (no app, the ORM imported, the same SELECT): Kuaifa adds {extra_wall:+.3f} s wall, "
          f"{extra_cpu:+.3f} s CPU (medians)")  # fmt: skip


if __name__ == "__main__":
    main()
