"""Benchmark: late shipments on a simulated peak day with short packing capacity, in one run.

    python bench/dispatch.py [--orders 3000] [--capacity 60] [--seed 11] [--database-url postgres://…]

The instance: the morning after 11.11 (08:00 Beijing time), the to-pack queue holds every order paid in the 48 h
before, with the midnight rush of 11.11; 30 % of the goods are fast-ship (24 h promise), the rest 48 h, a few
pre-sale orders due tonight. The orders go through Kuaifa's real services (ingest, review with stock for all),
and the suggested order is what ``services.sla.at_risk_queue`` returns at the given capacity. It is compared on the
same instance with FIFO (by payment time), earliest deadline first (EDD), and the offline optimum computed
independently of Moore–Hodgson: with one parcel per order, the most orders that can ship on time is a matroid
greedy — take orders by deadline, keep one whenever its deadline leaves room (at most ``capacity × hours`` parcels
due by each deadline), which is exact for unit jobs. Goals: suggested ≤ 1.1 × optimum and ≤ 0.5 × FIFO.

Also timed: the queue read and plan (``at_risk_queue``) against the raw-database ceiling, one SELECT of the same
columns with the driver, in the same run. Not a test.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from kuaifa.domain.shared.actor import Actor

NOW = datetime(2026, 11, 12, 0, 0, tzinfo=UTC)  # 08:00 in Beijing, the morning after 11.11
RUSH = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)  # 11.11 00:00 in Beijing
SKUS = 50

BENCH = Actor.system("bench")


def paid_times(n: int, rng: random.Random) -> list[datetime]:
    """Payments over the 48 h before NOW: a third of them in the first two hours of 11.11, the rest spread."""
    out = []
    for _ in range(n):
        if rng.random() < 0.35:
            out.append(RUSH + timedelta(minutes=rng.uniform(0, 120)))
        else:
            out.append(NOW - timedelta(minutes=rng.uniform(1, 48 * 60)))
    return out


def generate(n: int, seed: int):
    from kuaifa.domain.orders.canonical import CanonicalLine, CanonicalOrder, Receiver

    rng = random.Random(seed)
    orders = []
    for i, paid in enumerate(paid_times(n, rng)):
        sku = rng.randrange(SKUS)
        fast = sku < SKUS * 0.3  # fast-ship goods: 24 h promise
        promise = timedelta(hours=24 if fast else 48)
        deadline = paid + promise
        if rng.random() < 0.03:  # pre-sale: due at 23:59:59 tonight, Beijing time
            deadline = datetime(2026, 11, 12, 15, 59, 59, tzinfo=UTC)
        if deadline <= NOW:
            deadline = NOW + timedelta(minutes=rng.uniform(5, 120))  # already-extended backlog: due soon
        quantity = rng.choice((1, 1, 1, 2))
        orders.append(
            CanonicalOrder(
                order_sn=f"261112-{i:08d}",
                lines=(CanonicalLine(quantity=quantity, unit_price_fen=2_990, outer_id=f"SKU-{sku:03d}"),),
                goods_amount_fen=2_990 * quantity,
                pay_amount_fen=2_990 * quantity,
                receiver=Receiver(province="浙江省", city="杭州市", town="西湖区", address_mask="文**路"),
                paid_at=paid,
                created_at=paid,
                last_ship_time=deadline,
                updated_at=paid,
            )
        )
    return orders


def optimum_late(deadlines: list[datetime], *, start: datetime, capacity: float) -> int:
    """Fewest late orders, one parcel each, by the matroid greedy: by deadline, keep an order if the kept ones due
    by its deadline still fit the line time before it. Unit jobs with deadlines form a matroid, so this greedy's
    on-time set is a largest one; it shares no code with Moore–Hodgson."""
    step = 3600 / capacity
    kept = 0
    for d in sorted(deadlines):
        # taken in deadline order, the kept ones are all due by this deadline: they fit if one more slot ends by it
        if (kept + 1) * step <= (d - start).total_seconds():
            kept += 1
    return len(deadlines) - kept


def setup_django(home: Path, database_url: str | None) -> None:
    os.environ["KUAIFA_HOME"] = str(home)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def load(n: int, seed: int) -> None:
    from kuaifa.domain.inventory.catalog import SkuSpec, StockCount
    from kuaifa.persistence.models import Order
    from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.inventory import stocktake
    from kuaifa.services.review import review_orders

    ensure_warehouse()
    shop = add_shop("双十一店", now=NOW - timedelta(days=3))
    codes = [f"SKU-{i:03d}" for i in range(SKUS)]
    upsert_skus([SkuSpec(code, name="商品") for code in codes], now=NOW)
    stocktake([StockCount(code, "MAIN", n * 2) for code in codes], actor=BENCH, now=NOW)
    ingest_orders(shop, generate(n, seed), source=Order.Source.API, actor=BENCH, now=NOW)
    review_orders(actor=BENCH, now=NOW)


def ceiling_select() -> float:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.id, o.order_sn, o.shop_id, s.name, o.status, o.paid_at, o.created_at, o.ship_by, "
            "s.ship_by_hours, o.pay_amount, o.risk_control_status, o.ship_hold FROM kuaifa_order o "
            "JOIN kuaifa_shop s ON s.id = o.shop_id WHERE o.status IN ('ACCEPTED', 'PICKING') "
            "ORDER BY o.ship_by, o.order_sn"
        )
        cursor.fetchall()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--capacity", type=float, default=60.0, help="packing capacity, parcels per hour")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="kuaifa-bench-dispatch-"))
    try:
        setup_django(home, args.database_url)
        load(args.orders, args.seed)
        from kuaifa.domain.sla import dispatch
        from kuaifa.services.sla import at_risk_queue

        t0 = time.perf_counter()
        queue = at_risk_queue(capacity_per_hour=args.capacity, now=NOW)
        plan_s = time.perf_counter() - t0
        raw_s = min(ceiling_select() for _ in range(3))

        jobs = [
            dispatch.Job(e.watched.order_sn, e.watched.assessment.order.ship_by, e.watched.paid_at)
            for e in queue.entries
        ]
        suggested = dispatch.late_count(jobs, start=NOW, capacity_per_hour=args.capacity)
        fifo = dispatch.late_count(dispatch.by_arrival(jobs), start=NOW, capacity_per_hour=args.capacity)
        edd = dispatch.late_count(dispatch.by_deadline(jobs), start=NOW, capacity_per_hour=args.capacity)
        best = optimum_late([j.deadline for j in jobs], start=NOW, capacity=args.capacity)
        assert suggested == queue.late, (suggested, queue.late)

        hours = len(jobs) / args.capacity
        print(
            f"peak day: {len(jobs)} orders to pack at {NOW:%Y-%m-%d %H:%M} UTC, capacity {args.capacity:g}/h "
            f"({hours:.1f} h of work), seed {args.seed}"
        )
        print(f"{'order':<12}{'late':>8}{'on time':>10}{'vs optimum':>12}")
        for name, late in (("suggested", suggested), ("EDD", edd), ("FIFO", fifo), ("optimum", best)):
            ratio = f"{late / best:.3f}×" if best else ("1.000×" if late == 0 else "∞")
            print(f"{name:<12}{late:>8}{len(jobs) - late:>10}{ratio:>12}")
        print(f"suggested / FIFO = {suggested / fifo:.3f}" if fifo else "FIFO has no late shipments")
        print(
            f"goal ≤ 1.1× optimum: {'met' if suggested <= 1.1 * best else 'NOT met'}; "
            f"goal ≤ 0.5× FIFO: {'met' if suggested <= 0.5 * fifo else 'NOT met'}"
        )
        print(
            f"at_risk_queue: {plan_s * 1000:.0f} ms; raw SELECT ceiling {raw_s * 1000:.1f} ms; "
            f"ratio {raw_s / plan_s:.1%}"
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
