"""Benchmark: orders synced from the PDD simulator end to end (fetch, map, upsert, review), over real HTTP.

    python bench/sync.py [--orders-per-day 20000] [--days 1]

The simulator runs in this process on 127.0.0.1 (a thread); Kuaifa's client talks to it over HTTP exactly as to
the real gateway. Time spent waiting on HTTP (the simulator's work plus the loopback) is measured by wrapping the
client's transport; the rest is Kuaifa's (signing, mapping, upsert, review). The raw-database ceiling, measured in
the same run, writes the same orders and lines with DB-API executemany. Not a test.
"""

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from kuaifa.domain.shared.actor import Actor

BENCH = Actor.system("bench")


class TimedTransport:
    """An httpx transport that adds up the time spent inside requests."""

    def __init__(self):
        import httpx

        self.inner = httpx.HTTPTransport()
        self.seconds = 0.0
        self.requests = 0

    def handle_request(self, request):
        started = time.perf_counter()
        response = self.inner.handle_request(request)
        response.read()
        self.seconds += time.perf_counter() - started
        self.requests += 1
        return response

    def close(self):
        self.inner.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders-per-day", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=1)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kuaifa-bench-sync-"))
    os.environ["KUAIFA_HOME"] = str(work)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
    import django
    import httpx
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection

    from kuaifa.persistence.secrets import ensure_key_file

    ensure_key_file()  # the throw-away home gets its own key, as `kuaifa init` gives one

    from kuaifa.platforms.pdd.client import PddClient
    from kuaifa.platforms.pdd.gateway import PddGateway
    from kuaifa.platforms.sim import (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        ShopConfig,
        SimState,
        generate_shop,
        serve,
    )
    from kuaifa.services.catalog import add_shop, ensure_warehouse
    from kuaifa.services.review import review_orders
    from kuaifa.services.sync import SyncSettings, sync_orders

    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(work / "ceiling.sqlite3")])
        shop_data = generate_shop(ShopConfig(seed=7, days=args.days, orders_per_day=args.orders_per_day))
        state = SimState(shop_data, rate_limits={}, check_timestamp=False)
        server, _thread = serve("127.0.0.1", 0, state=state)
        transport = TimedTransport()
        client = PddClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, state.default_token.access_token,
                           base_url=server.base_url, http=httpx.Client(transport=transport), clock=state.now,
                           rate_limits={})  # fmt: skip
        gateway = PddGateway(client)
        ensure_warehouse()
        from datetime import UTC, datetime

        now = lambda: datetime.now(UTC)  # noqa: E731
        shop = add_shop("基准店", now=now())
        settings = SyncSettings(first_lookback=__import__("datetime").timedelta(days=args.days + 4))

        started = time.perf_counter()
        report = sync_orders(shop, gateway, actor=BENCH, clock=now, settings=settings)
        reviewed = review_orders(actor=BENCH, now=now(), shop_id=shop.id)
        total = time.perf_counter() - started
        server.stop()

        orders = report.ingest.created + report.ingest.updated
        lines = sum(len(v[-1].order["item_list"]) for v in shop_data.orders.values())
        ceiling = _ceiling(work / "ceiling.sqlite3", report.ingest.created, lines, report.windows)
        kuaifa_s = total - transport.seconds
        print(f"orders synced          {report.ingest.created:>10,} new, {report.ingest.updated:,} updated "
              f"({report.fetched:,} fetched in {report.windows} windows, {transport.requests:,} requests)")  # fmt: skip
        print(
            f"reviewed               {reviewed.reviewed:>10,} ({reviewed.accepted:,} accepted, {reviewed.held:,} held)"
        )
        print(f"end to end             {orders / total:>10,.0f} orders/s  ({total:.1f} s)")
        print(f"in the simulator+HTTP  {transport.seconds:>10.1f} s  ({transport.seconds / total:.0%})")
        print(f"in Kuaifa              {kuaifa_s:>10.1f} s  ({kuaifa_s / total:.0%})")
        print(
            f"raw executemany        {report.ingest.created / ceiling:>10,.0f} orders/s  ({ceiling:.2f} s, same rows)"
        )
        print(f"ratio                  {ceiling / kuaifa_s:>10.1%} of the raw ceiling (Kuaifa's own time)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _ceiling(path: Path, orders: int, lines: int, commits: int) -> float:
    """The same rows with the same number of durable commits as Kuaifa's windows (one per window)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("INSERT INTO kuaifa_shop(name, platform, platform_shop_id, ship_by_hours, review_rules, created_at) "
                "VALUES ('raw', 'pdd', '', 48, '[]', '2026-01-01')")  # fmt: skip
    started = time.perf_counter()
    for _ in range(max(commits - 1, 0)):  # the windows' commits (cursor advance + log row)
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE kuaifa_shop SET created_at = created_at WHERE id = 1")
        con.execute("COMMIT")
    con.execute("BEGIN IMMEDIATE")
    con.executemany(
        "INSERT INTO kuaifa_order(shop_id, order_sn, source, status, hold_reasons, waived_reasons, order_status, "
        "refund_status, after_sales_status, confirm_status, risk_control_status, ship_hold, is_pre_sale, tags, "
        "goods_amount, discount_amount, platform_discount, seller_discount, postage, pay_amount, province, city, "
        "town, receiver_name, receiver_phone, receiver_address, receiver_name_mask, receiver_phone_mask, "
        "receiver_address_mask, receiver_is_plaintext, open_address_id, buyer_memo, remark, logistics_id, "
        "tracking_number, fingerprint, version, created_at, updated_at) VALUES (1, ?, 'api', 'NEW', '[]', '[]', 1, "
        "1, 0, 1, 0, 0, 0, '[]', 100, 0, 0, 0, 0, 100, '省', '市', '区', '~a~', '~b~', '~c~', '张*', '138****', "
        "'路**', 0, '', '', '', 0, '', '', 1, '2026-01-01', '2026-01-01')",
        [(f"raw-{i}",) for i in range(orders)],
    )
    con.executemany(
        "INSERT INTO kuaifa_orderline(order_id, sku_id, goods_id, platform_sku_id, outer_id, goods_name, goods_spec, "
        "quantity, unit_price) VALUES (?, NULL, 'g', 's', 'o', 'n', 's', 1, 100)",
        [(1 + i % max(orders, 1),) for i in range(lines)],
    )
    con.executemany(
        "INSERT INTO kuaifa_orderevent(order_id, kind, from_status, to_status, actor, details, created_at) "
        "VALUES (?, 'ingested', '', 'NEW', 'bench', '{}', '2026-01-01')",
        [(1 + i,) for i in range(orders)],
    )
    con.execute("COMMIT")
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


if __name__ == "__main__":
    main()
