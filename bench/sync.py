"""Benchmark: a shop synced from the PDD simulator over real HTTP, first catching up, then following it live.

    python bench/sync.py [--orders-per-day 5000] [--days 1] [--follow-days 4] [--step-minutes 60] [--group 4]
                         [--repeat 1] [--database-url postgres://…]

The simulated shop has ``--days`` of orders, and their later changes over the following days: risk reviews and
ship holds clearing, remarks, buyer memos and new addresses, refunds before shipment (cancellations), shipments
from the back office, receipts and after-sales. The shop is connected at the end of its first day: the first sync
catches up from the first order (windows committed ``--group`` at a time), then the simulator's clock moves on
``--step-minutes`` at a time for ``--follow-days`` and each step syncs what changed and reviews, as the worker does.
Orders changed on the platform after we stored them come back in later windows and are applied as updates
(printed: how many, and the statuses they moved orders to).

The simulator runs in this process on 127.0.0.1 (a thread); Kuaifa's client talks to it over HTTP exactly as to
the real gateway. Time spent inside HTTP requests (the simulator's work plus the loopback) is measured by wrapping
the client's HTTP; the rest is Kuaifa's (signing, decoding, mapping, upserting, review). **Kuaifa's share** is
its time over the whole. The raw ceiling, measured on an identical copy of the database, inserts the same number of
new orders, lines and events and updates the same number of orders (one UPDATE executemany and one event each),
with one commit per Kuaifa transaction; it does no review. Kuaifa and the ceiling run interleaved. Not a test.
"""

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Databases, Timer, setup_django
from kuaifa.domain.shared.actor import Actor
from pipeline import EVENT_COLUMNS, LINE_COLUMNS, ORDER_COLUMNS, Raw

BENCH = Actor.system("bench")


class TimedHttp:
    """The client's HTTP (a ``PooledHttp``), adding up the time spent inside its posts, and this thread's CPU there
    (sending, reading and parsing the answer; not decoding its JSON)."""

    def __init__(self):
        from kuaifa.platforms.pdd.http import PooledHttp

        self.inner = PooledHttp(proxies={})
        self.seconds = 0.0
        self.cpu = 0.0
        self.requests = 0

    def post(self, url, body, headers, timeout):
        started = time.perf_counter()
        cpu0 = time.thread_time()
        try:
            return self.inner.post(url, body, headers, timeout)
        finally:
            self.cpu += time.thread_time() - cpu0
            self.seconds += time.perf_counter() - started
            self.requests += 1

    def close(self):
        self.inner.close()


class Clocks(Timer):
    """Wall and process CPU seconds (``Timer``), and this thread's CPU: Kuaifa's own work. The rest of the process's
    CPU is the simulator's server threads."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = 0.0

    def __enter__(self):
        self._t = time.thread_time()
        return super().__enter__()

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        self.thread += time.thread_time() - self._t


def at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def seed(shop_data) -> None:
    """Warehouse, the shop, the SKUs its orders name and stock for about 80 % of their demand (both sides copy it)."""
    from kuaifa.domain.inventory.catalog import SkuSpec, StockCount
    from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
    from kuaifa.services.inventory import stocktake

    now = at(shop_data.start_ts)
    ensure_warehouse()
    add_shop("基准店", now=now)
    demand: Counter[str] = Counter()
    for versions in shop_data.orders.values():
        for item in versions[0].order["item_list"]:
            if item["outer_id"]:
                demand[item["outer_id"]] += int(item["goods_count"])
    upsert_skus([SkuSpec(code, name="商品") for code in sorted(demand)], now=now)
    stocktake([StockCount(code, "MAIN", int(need * 0.8)) for code, need in sorted(demand.items())], actor=BENCH,
              now=now)  # fmt: skip


class Transactions:
    """What each of Kuaifa's storing transactions did (created, updated, lines of the created), for the ceiling."""

    def __init__(self) -> None:
        self.created: list[list[int]] = []  # ids of the orders each transaction created
        self.updated: list[int] = []

    def wrap(self, upsert):
        def upsert_and_count(shop, orders, **kwargs):
            report = upsert(shop, orders, **kwargs)
            self.created.append(report.order_ids[: report.created])
            self.updated.append(report.updated)
            return report

        return upsert_and_count

    def steps(self) -> list[tuple[int, int, int]]:
        """(created, updated, lines of the created) per transaction, read after the timed run."""
        from django.db.models import Count

        from kuaifa.persistence.models import OrderLine

        lines = dict(OrderLine.objects.values_list("order_id").annotate(n=Count("id")).order_by())
        return [(len(ids), updated, sum(lines.get(i, 0) for i in ids))
                for ids, updated in zip(self.created, self.updated, strict=True)]  # fmt: skip


def run_kuaifa(shop_data, args) -> dict:
    from django.db.models import Count

    import kuaifa.services.sync as sync_module
    from kuaifa.persistence.models import Order, OrderEvent, Shop
    from kuaifa.platforms.pdd.client import PddClient
    from kuaifa.platforms.pdd.gateway import PddGateway
    from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimState, serve
    from kuaifa.platforms.sim.shop import DAY
    from kuaifa.services.intake import IngestReport
    from kuaifa.services.review import review_orders
    from kuaifa.services.sync import SyncSettings, sync_orders

    connected = shop_data.start_ts + args.days * DAY
    state = SimState(shop_data, now=connected, rate_limits={}, check_timestamp=False)
    server, thread = serve("127.0.0.1", 0, state=state)
    timed_http = TimedHttp()
    client = PddClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, state.default_token.access_token,
                       base_url=server.base_url, http=timed_http, clock=state.now,
                       rate_limits={})  # fmt: skip
    gateway = PddGateway(client)
    shop = Shop.objects.get()
    settings = SyncSettings(first_lookback=timedelta(seconds=connected - shop_data.start_ts + 3600),
                            catch_up_group=args.group)  # fmt: skip
    clock = lambda: at(state.now())  # noqa: E731
    tx = Transactions()
    real_upsert = sync_module.upsert_orders
    sync_module.upsert_orders = tx.wrap(real_upsert)
    ingest = IngestReport()
    counts = Counter()
    timer, reviewing = Clocks(), Clocks()
    try:
        end = shop_data.end_ts + args.follow_days * DAY
        first = True
        while True:
            with timer:
                report = sync_orders(shop, gateway, actor=BENCH, clock=clock, settings=settings)
            with reviewing:
                reviewed = review_orders(actor=BENCH, now=clock(), shop_id=shop.id)
            ingest.add(report.ingest)
            counts["windows"] += report.windows
            counts["fetched"] += report.fetched
            counts["skipped"] += getattr(report, "skipped", 0)
            counts["reviewed"] += reviewed.reviewed
            counts["steps"] += 1
            if first:
                counts["catch_up_windows"], counts["catch_up_orders"] = report.windows, report.ingest.created
                first = False
            if state.now() >= end:
                break
            state.set_now(min(state.now() + args.step_minutes * 60, end))
    finally:
        sync_module.upsert_orders = real_upsert
        timed_http.close()
        server.stop()
        thread.join(timeout=5)
    statuses = Counter(dict(Order.objects.values_list("status").annotate(n=Count("id")).order_by()))
    moved = Counter(
        OrderEvent.objects.filter(kind="status_changed", details__cause="platform").values_list("to_status", flat=True)
    )
    return {"timer": timer, "review": reviewing, "http": timed_http.seconds, "http_cpu": timed_http.cpu,
            "requests": timed_http.requests,
            "ingest": ingest, "counts": counts, "statuses": statuses, "moved": moved,
            "transactions": tx.steps()}  # fmt: skip


def run_ceiling(con, vendor: str, transactions: list[tuple[int, int, int]]) -> Timer:
    raw = Raw(con, vendor)
    shop_id = raw.rows("SELECT id FROM kuaifa_shop")[0][0]
    now = raw.t(datetime(2026, 3, 3, tzinfo=UTC))
    empty = "[]"
    timer = Timer()
    serial = 0
    stored: list[int] = []
    for created, updated, lines in transactions:
        sns = [f"raw-{serial + i:012d}" for i in range(created)]
        serial += created
        rows = [(shop_id, sn, "api", "NEW", empty, empty, 1, 1, 0, 1, 0, False, False, empty, 100, 0, 0, 0, 0, 100,
                 "省", "市", "区", "~a~", "~b~", "~c~", "张*", "138****", "路**", False, "", "", "", 0, "", now, now,
                 now, now, "0" * 32, 1, now, now) for sn in sns]  # fmt: skip
        with timer:
            raw.begin()
            raw.insert("kuaifa_order", ORDER_COLUMNS, rows)
            ids = []
            if sns:
                where, params = raw.ids_in("order_sn", sns)
                ids = [i for (i,) in raw.rows(f"SELECT id FROM kuaifa_order WHERE shop_id = %s AND {where}",
                                              (shop_id, *params))]  # fmt: skip
            line_rows = [(ids[i % len(ids)], None, "g", "s", "o", "商品", "规格", 1, 100) for i in range(lines)]
            raw.insert("kuaifa_orderline", LINE_COLUMNS, line_rows)
            events = [(i, "ingested", "", "NEW", "bench", '{"source": "api"}', now) for i in ids]
            changed = [stored[(serial + i) % len(stored)] for i in range(updated)] if stored else []
            raw.cur.executemany(raw.sql("UPDATE kuaifa_order SET refund_status = %s, remark = %s, "
                                        "platform_updated_at = %s, version = version + 1 WHERE id = %s"),
                                [(2, "备注", now, i) for i in changed])  # fmt: skip
            events += [(i, "platform_updated", "ACCEPTED", "ACCEPTED", "bench", "{}", now) for i in changed]
            raw.insert("kuaifa_orderevent", EVENT_COLUMNS, events)
            raw.commit()
        stored += ids
    return timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders-per-day", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=1, help="days of new orders (the shop connects after them)")
    parser.add_argument("--follow-days", type=int, default=4, help="days followed live after the orders stop")
    parser.add_argument("--step-minutes", type=int, default=60, help="simulated time between two live syncs")
    parser.add_argument("--group", type=int, default=4, help="windows committed together while catching up")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved runs of each side")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (both sides run there)")
    args = parser.parse_args()

    from kuaifa.platforms.sim import ShopConfig, generate_shop

    shop_data = generate_shop(ShopConfig(seed=7, days=args.days, orders_per_day=args.orders_per_day))
    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-sync-"))
    try:
        setup_django(work, args.database_url)
        from django.db import connection

        from kuaifa.persistence.secrets import ensure_key_file

        ensure_key_file()  # the throw-away home gets its own key, as `kuaifa init` gives one
        seed(shop_data)
        dbs = Databases(work)
        kuaifa, ceiling = [], []
        for _ in range(args.repeat):
            name = dbs.fresh()
            kuaifa.append(run_kuaifa(shop_data, args))
            dbs.drop(name)
            name = dbs.fresh()
            connection.close()
            con = dbs.raw(name)
            ceiling.append(run_ceiling(con, dbs.vendor, kuaifa[-1]["transactions"]))
            con.close()
            dbs.drop(name)
        report(args, dbs.vendor, kuaifa, ceiling)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(args, vendor: str, kuaifa: list[dict], ceiling: list[Timer]) -> None:
    k = kuaifa[-1]
    ingest, counts = k["ingest"], k["counts"]
    print(f"{vendor}, {args.orders_per_day:,} orders a day × {args.days}, followed {args.follow_days} days in steps "
          f"of {args.step_minutes} min, catch-up group {args.group}, {args.repeat} run(s)")  # fmt: skip
    print(f"catch-up               {counts['catch_up_orders']:>10,} orders in {counts['catch_up_windows']} windows")
    print(f"syncs                  {counts['steps']:>10,} ({counts['windows']:,} windows, {k['requests']:,} requests,"
          f" {len(k['transactions']):,} storing transactions)")  # fmt: skip
    print(f"copies fetched         {counts['fetched']:>10,} (skipped before mapping: {counts['skipped']:,})")
    print(f"orders created         {ingest.created:>10,}")
    print(
        f"updates applied        {ingest.updated:>10,} (unchanged copies {ingest.unchanged:,}, stale {ingest.stale:,})"
    )
    moved = ", ".join(f"{status} {n:,}" for status, n in sorted(k["moved"].items()))
    print(f"moved by the platform  {sum(k['moved'].values()):>10,} ({moved})")
    print(f"final statuses         {', '.join(f'{s} {n:,}' for s, n in sorted(k['statuses'].items()))}")
    print(f"reviewed               {counts['reviewed']:>10,}")

    def line(label: str, values) -> str:
        values = list(values)
        return f"{label:<22} min {min(values):8.2f} s  median {statistics.median(values):8.2f} s"

    def share(label: str, values) -> str:
        values = list(values)
        return f"{label:<22} min {min(values):8.1%}    median {statistics.median(values):8.1%}"

    own = [r["timer"].wall - r["http"] for r in kuaifa]
    print(line("sync, end to end", (r["timer"].wall for r in kuaifa)))
    print(line("in the simulator+HTTP", (r["http"] for r in kuaifa)))
    print(line("in Kuaifa", own))
    print(line("Kuaifa CPU", (r["timer"].thread for r in kuaifa)))
    print(line("  of it in HTTP posts", (r["http_cpu"] for r in kuaifa)))
    print(line("simulator CPU", (r["timer"].cpu - r["timer"].thread for r in kuaifa)))
    print(share("Kuaifa's share, wall", (o / r["timer"].wall for o, r in zip(own, kuaifa, strict=True))))
    print(share("Kuaifa's share, CPU", (r["timer"].thread / r["timer"].cpu for r in kuaifa)))
    print(line("review after each sync", (r["review"].wall for r in kuaifa)))
    print(share("share with review", ((o + r["review"].wall) / (r["timer"].wall + r["review"].wall)
                                      for o, r in zip(own, kuaifa, strict=True))))  # fmt: skip
    raw = [c.wall for c in ceiling]
    ratio = [c / o for c, o in zip(raw, own, strict=True)]
    print(line("raw ceiling", raw) + " (same rows, same commits)")
    print(f"ratio                  min {min(ratio):8.1%}    median {statistics.median(ratio):8.1%} "
          f"(ceiling / Kuaifa's own time)")  # fmt: skip


if __name__ == "__main__":
    main()
