"""Eight OS processes review the same scarce stock at the same moment: nothing is oversold, nothing is reserved
twice, every order ends ACCEPTED with exactly its needs or ON_HOLD for stock with nothing, no held order could be
served from what is left, and the earliest deadlines win across all workers, on SQLite and on PostgreSQL.

The processes are real (``tests/services/race_worker.py``), each with its own connection to the test database
(SQLite file or PostgreSQL, whatever the settings select); they wait behind a file barrier so their reviews overlap.
"""

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, OrderLine, Reservation, StockLevel
from kuaifa.persistence.queries import ledger_problems
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from tests.factories import ACTOR, NOW, make_order

WORKERS = 8
CHILD_TIMEOUT_S = 120
READY_TIMEOUT_S = 60
SUPPLY = {"TEA-001": 100, "CUP-002": 50}
#: what one unit of each sellable code takes from the shelf (written here, not read from the code under test)
COMPONENTS = {"TEA-001": {"TEA-001": 1}, "CUP-002": {"CUP-002": 1}, "GIFT-SET": {"TEA-001": 2, "CUP-002": 1}}
#: order shapes and how many of each: 400 orders wanting 410 TEA-001 (4.1 × supply) and 180 CUP-002 (3.6 ×)
SHAPES = [
    ((("TEA-001", 1),), 180),
    ((("CUP-002", 1),), 80),
    ((("GIFT-SET", 1),), 50),
    ((("TEA-001", 2),), 40),
    ((("TEA-001", 1), ("CUP-002", 1)), 50),
]
WORKER_SCRIPT = Path(__file__).with_name("race_worker.py")


def _needs(lines) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for code, quantity in lines:
        for component, per_unit in COMPONENTS[code].items():
            totals[component] += per_unit * quantity
    return dict(totals)


def _platform_orders():
    """400 orders in shuffled shapes, deadlines 1–72 h away (to the minute) and payment 1–600 min ago."""
    rng = random.Random(20261126)
    shapes = [lines for lines, count in SHAPES for _ in range(count)]
    rng.shuffle(shapes)
    return [
        make_order(
            f"RACE{n:04d}",
            *lines,
            ship_in_hours=rng.randint(60, 72 * 60) / 60,
            paid_minutes_ago=rng.randint(1, 600),
        )
        for n, lines in enumerate(shapes, start=1)
    ]


def _run_workers(folder: Path, chunk: int | None) -> list[dict]:
    """Start the workers, release them together once all are connected, and return their reports."""
    env = dict(
        os.environ,
        KUAIFA_HOME=str(settings.KUAIFA_HOME),
        KUAIFA_RACE_DB_ENGINE=connection.settings_dict["ENGINE"],
        KUAIFA_RACE_DB_NAME=str(connection.settings_dict["NAME"]),
        KUAIFA_RACE_DIR=str(folder),
        KUAIFA_RACE_NOW=NOW.isoformat(),
        DJANGO_SETTINGS_MODULE="kuaifa.config.settings",
        PYTHONUNBUFFERED="1",
        KUAIFA_RACE_CHUNK=str(chunk or ""),
    )
    procs = []
    try:
        for n in range(WORKERS):
            procs.append(
                subprocess.Popen(
                    [sys.executable, str(WORKER_SCRIPT)],
                    cwd=Path(__file__).resolve().parents[2],
                    env=dict(env, KUAIFA_RACE_WORKER=str(n)),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        started = time.monotonic()
        while not all((folder / f"ready-{n}").exists() for n in range(WORKERS)):
            dead = [(n, p) for n, p in enumerate(procs) if p.poll() is not None]
            if dead:
                n, p = dead[0]
                out, err = p.communicate()
                pytest.fail(f"worker {n} exited with {p.returncode} before the start signal:\n{out}\n{err}")
            if time.monotonic() - started > READY_TIMEOUT_S:
                pytest.fail(f"workers not connected within {READY_TIMEOUT_S} s")
            time.sleep(0.01)

        (folder / "go").touch()
        go = time.monotonic()
        reports, failures = [], []
        for n, p in enumerate(procs):
            try:
                out, err = p.communicate(timeout=max(0.1, go + CHILD_TIMEOUT_S - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
                failures.append(f"worker {n} still running after {CHILD_TIMEOUT_S} s (killed):\n{err}")
                continue
            if p.returncode != 0:
                failures.append(f"worker {n} exited with {p.returncode}:\n{err}")
                continue
            reports.append(json.loads(out.strip().splitlines()[-1]))
        assert not failures, "\n\n".join(failures)
        return reports
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "chunk",
    [
        # the default: each worker reviews all its candidates in one transaction
        pytest.param(None, id="one-transaction-per-worker"),
        # many small transactions per worker: the review lock keeps one worker's run whole, so fairness still holds
        pytest.param(20, id="chunks-of-20"),
    ],
)
def test_eight_concurrent_reviewers_never_oversell_and_serve_the_earliest_deadlines(shop, catalog, tmp_path, chunk):
    for code, quantity in SUPPLY.items():
        receive_stock(code, quantity, actor=ACTOR, now=NOW)
    platform = {order.order_sn: order for order in _platform_orders()}
    ingest_orders(shop, list(platform.values()), source=Order.Source.API, actor=ACTOR, now=NOW)
    assert Order.objects.filter(status=OrderStatus.NEW).count() == len(platform) == 400

    reports = _run_workers(tmp_path, chunk)

    # --- the ledger: 0 units oversold, per level and per SKU
    assert ledger_problems() == []
    on_hand: dict[str, int] = defaultdict(int)
    for code, level_on_hand, reserved in StockLevel.objects.values_list("sku__code", "on_hand", "reserved"):
        assert 0 <= reserved <= level_on_hand, f"{code}: reserved {reserved} of {level_on_hand}"
        on_hand[code] += level_on_hand
    assert dict(on_hand) == SUPPLY  # review never moves stock on the shelf
    promised = dict(
        Reservation.objects.filter(state=Reservation.State.OPEN)
        .values_list("sku__code")
        .annotate(q=Sum("quantity"))
        .order_by()
    )
    for code, units in promised.items():
        assert units <= on_hand[code], f"{code}: {units} units promised, {on_hand[code]} on the shelf"

    # --- every order: ACCEPTED with exactly its needs, once; or ON_HOLD for stock with nothing
    rows: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for line_id, code, quantity, state in Reservation.objects.values_list("line_id", "sku__code", "quantity", "state"):
        rows[(line_id, code)].append((quantity, state))
    lines_of: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for order_id, line_id, code, quantity in OrderLine.objects.values_list("order_id", "id", "sku__code", "quantity"):
        lines_of[order_id].append((line_id, code, quantity))
    orders = list(Order.objects.filter(shop=shop))
    accepted = [o for o in orders if o.status == OrderStatus.ACCEPTED]
    held = [o for o in orders if o.status == OrderStatus.ON_HOLD]
    assert len(accepted) + len(held) == 400, Counter(o.status for o in orders)
    assert accepted, "nobody got any stock"
    for order in accepted:
        for line_id, code, quantity in lines_of[order.id]:
            for component, per_unit in COMPONENTS[code].items():
                # one OPEN row per line and component: reserved once, for exactly what the line needs
                assert rows[(line_id, component)] == [(per_unit * quantity, Reservation.State.OPEN)], (
                    f"{order.order_sn} line {line_id} {component}: {rows[(line_id, component)]}"
                )
    for order in held:
        assert order.hold_reasons == ["stock_insufficient"], f"{order.order_sn}: {order.hold_reasons}"
        assert not any(rows.get((line_id, c)) for line_id, _, _ in lines_of[order.id] for c in SUPPLY), (
            f"{order.order_sn} is held but has reservations"
        )
    assert sum(r["accepted"] for r in reports) == len(accepted), f"an order was accepted twice: {reports}"
    acceptances = Counter(
        OrderEvent.objects.filter(kind="reviewed", to_status=OrderStatus.ACCEPTED).values_list("order_id", flat=True)
    )
    assert acceptances == Counter(o.id for o in accepted)

    # --- nothing left on the shelf that a held order could have taken (allocation is all-or-nothing, and
    # availability only falls during the run, so an order short at its turn is still short at the end)
    available = {code: on_hand[code] - promised.get(code, 0) for code in SUPPLY}
    for order in held:
        needs = _needs((c, q) for _, c, q in lines_of[order.id])
        assert any(needs[code] > available[code] for code in needs), (
            f"{order.order_sn} is held but {needs} fits in what is left: {available}"
        )

    # --- fairness, among orders that need exactly the same units (e.g. 1 × TEA-001): the accepted ones come first
    # by (ship_by, paid_at, order_sn), the order review sorts candidates in and allocation serves them in.
    #
    # It must hold across all workers, whatever the chunk size, on both databases:
    # - PostgreSQL: a run takes the review lock (an advisory lock held across its chunks) before it lists its
    #   candidates, so runs do not interleave: the first decides every order in deadline order, and a later run only
    #   sees orders already short, which stay short (availability only falls here). Without the lock, two runs split
    #   a chunk's orders (SKIP LOCKED) and the one that wins the stock lock serves its later deadlines first.
    # - SQLite: writers are serialised (BEGIN IMMEDIATE) and each transaction sees every earlier commit; a run's
    #   chunks follow its sorted candidate list, so an earlier order was either accepted already or reviewed in the
    #   same or an earlier transaction, where being short means short for good, and so is every later twin.
    # With one transaction per worker, the first run read every order as NEW and decides all 400: it alone accepts.
    priority = {o.id: (o.ship_by, o.paid_at, o.order_sn) for o in orders}
    shape = {o.id: tuple(sorted(_needs((c, q) for _, c, q in lines_of[o.id]).items())) for o in orders}
    _assert_accepted_first([o.id for o in accepted], [o.id for o in held], shape, priority, "all workers")
    if chunk is None:
        by_worker: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        for order_id, actor, to_status in OrderEvent.objects.filter(kind="reviewed").values_list(
            "order_id", "actor", "to_status"
        ):
            by_worker[actor][to_status].append(order_id)
        for actor, decided in by_worker.items():
            _assert_accepted_first(decided[OrderStatus.ACCEPTED], decided[OrderStatus.ON_HOLD], shape, priority, actor)
        deciders = {actor for actor, decided in by_worker.items() if decided[OrderStatus.ACCEPTED]}
        assert len(deciders) == 1, f"review runs are serialised, yet several workers accepted orders: {deciders}"


def _assert_accepted_first(accepted_ids, held_ids, shape, priority, who: str) -> None:
    latest_accepted: dict[tuple, tuple] = {}
    for order_id in accepted_ids:
        key = shape[order_id]
        latest_accepted[key] = max(latest_accepted.get(key, priority[order_id]), priority[order_id])
    for order_id in held_ids:
        key = shape[order_id]
        if key in latest_accepted:
            assert priority[order_id] > latest_accepted[key], (
                f"{who}: {priority[order_id][2]} (due {priority[order_id][0]}) was held while "
                f"{latest_accepted[key][2]} (due {latest_accepted[key][0]}) with the same needs {dict(key)} got stock"
            )
