"""Shipping and its upload to the simulated PDD gateway through the outbox, over real HTTP: every shipped order is
told to the platform exactly once, through faults, retries, concurrent workers and lost answers; an order shipped
twice at once ships once; an order the buyer wants refunded does not ship."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db.models import Sum

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import (
    Order,
    OutboxEntry,
    Reservation,
    Shipment,
    Shop,
    StockLevel,
    StockMove,
)
from kuaifa.persistence.queries import ledger_problems
from kuaifa.platforms.sim import ShopConfig, SimGatewayServer
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.services.inventory import receive_stock
from kuaifa.services.outbox import LEASE, deliver, due_ids
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ShipRefused, ship_order
from kuaifa.services.sync import SyncSettings, sync_orders
from kuaifa.tasks.platforms import platform_for
from tests.integration.platform_fixtures import (
    ACTOR,
    Sleeps,
    assert_mirrors,
    connect_sim_shop,
    create_skus,
    lookback_from,
    quiet_moment,
    run_together,
    running_sim,
    sim_now,
    sku_codes,
)

SEED = 20260303
CONFIG = ShopConfig(seed=SEED, days=1, orders_per_day=200)
SEND = "pdd.logistics.online.send"
YTO = 85  # 圆通快递, a carrier the platform ships with
STOCK = 1000


@pytest.fixture
def sim():
    """The shop at 18:00 on its first day: orders of the day to ship, a few already shipped by the platform."""
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment) as server:
        yield server


def _platform_for(sim: SimGatewayServer, **options) -> Callable[[Shop], object]:
    """The edge factory over the stored credentials, on the simulator's clock, waits recorded not slept."""
    options.setdefault("sleep", Sleeps())
    options.setdefault("rng", random.Random(5))
    return lambda shop: platform_for(shop, clock=sim.state.now, **options)


def _sync(shop: Shop, sim: SimGatewayServer) -> None:
    state = sim.state
    settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))
    gateway = platform_for(shop, clock=state.now, sleep=Sleeps())
    assert sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings).caught_up


def _ready_to_ship(sim: SimGatewayServer) -> tuple[Shop, list[Order]]:
    """A connected shop with the simulator's SKUs in stock, its orders synced and reviewed: the accepted ones."""
    state = sim.state
    shop = connect_sim_shop(sim)
    now = sim_now(state)
    codes = sku_codes(state)
    create_skus(codes, now=now)
    for code in codes:
        receive_stock(code, STOCK, actor=ACTOR, now=now)
    _sync(shop, sim)
    assert_mirrors(shop, state)
    review_orders(actor=ACTOR, now=now, shop_id=shop.id)
    accepted = list(Order.objects.filter(shop=shop, status=OrderStatus.ACCEPTED).order_by("ship_by", "order_sn"))
    assert len(accepted) > 40, Counter(Order.objects.filter(shop=shop).values_list("status", flat=True))
    for order in accepted:  # what we accepted, the platform lets ship
        platform = state.order(order.order_sn)
        assert platform is not None and platform["order_status"] == 1 and platform["refund_status"] == 1
    return shop, accepted


def _tracking(order: Order) -> str:
    return f"YT{order.id:012d}"


def _ship_all(orders: list[Order], sim: SimGatewayServer) -> list[int]:
    entries = []
    for order in orders:
        shipped = ship_order(order.id, carrier=YTO, tracking_number=_tracking(order), actor=ACTOR,
                             now=sim_now(sim.state))  # fmt: skip
        assert shipped.outbox_entry_id is not None
        entries.append(shipped.outbox_entry_id)
    return entries


def _assert_told_once(orders: list[Order], sim: SimGatewayServer, tracking: dict[int, str] | None = None) -> None:
    """The simulator holds exactly one shipment per order, with its carrier and number; ours are all uploaded."""
    state = sim.state
    tracking = tracking or {order.id: _tracking(order) for order in orders}
    shipments = Counter(record.order_sn for record in state.shipments)
    assert shipments == Counter({order.order_sn: 1 for order in orders}), shipments - Counter(
        {o.order_sn: 1 for o in orders}
    )
    by_sn = {record.order_sn: record for record in state.shipments}
    for order in orders:
        record = by_sn[order.order_sn]
        assert (record.logistics_id, record.tracking_number, record.redelivery_type) == (YTO, tracking[order.id], 1)
        platform = state.order(order.order_sn)
        assert platform is not None and platform["order_status"] == 2
        assert (platform["logistics_id"], platform["tracking_number"]) == (YTO, tracking[order.id])
    ids = [order.id for order in orders]
    assert set(Shipment.objects.filter(order_id__in=ids).values_list("upload_state", flat=True)) == {"done"}
    assert Shipment.objects.filter(order_id__in=ids).count() == len(orders)
    entries = OutboxEntry.objects.filter(payload__order_sn__in=[o.order_sn for o in orders])
    assert entries.count() == len(orders)
    assert set(entries.values_list("state", flat=True)) == {OutboxEntry.State.DONE}


def test_shipped_orders_are_uploaded_once_each_with_their_carrier_and_number(db, sim):
    shop, accepted = _ready_to_ship(sim)
    orders = accepted[:20]
    on_hand = StockLevel.objects.aggregate(n=Sum("on_hand"))["n"]
    entries = _ship_all(orders, sim)

    outcomes = [deliver(entry, _platform_for(sim), now=sim_now(sim.state)).outcome for entry in entries]

    assert outcomes == ["done"] * len(orders)
    _assert_told_once(orders, sim)
    results = list(OutboxEntry.objects.filter(id__in=entries).values_list("result", "attempts"))
    assert results == [({"already": False}, 1)] * len(orders)  # accepted at the first call
    units = sum(line.quantity for order in orders for line in order.lines.all())
    assert StockLevel.objects.aggregate(n=Sum("on_hand"))["n"] == on_hand - units
    assert deliver(entries[0], _platform_for(sim), now=sim_now(sim.state) + timedelta(hours=1)).outcome == "skipped"

    # the platform now reports them shipped; syncing that changes nothing of ours and takes no stock twice
    sim.state.advance(15 * 60)
    _sync(shop, sim)
    assert set(Order.objects.filter(id__in=[o.id for o in orders]).values_list("status", flat=True)) == {"SHIPPED"}
    assert StockLevel.objects.aggregate(n=Sum("on_hand"))["n"] == on_hand - units
    assert ledger_problems() == []
    assert len(sim.state.shipments) == len(orders)


# --- concurrency helpers ------------------------------------------------------------------------------------------


class _CachedPlatforms:
    """One client per worker (as a real worker keeps one), built through the edge factory on first use."""

    def __init__(self, sim: SimGatewayServer, **options) -> None:
        self.factory = _platform_for(sim, **options)
        self.gateways: dict[int, object] = {}

    def __call__(self, shop: Shop):
        if shop.id not in self.gateways:
            self.gateways[shop.id] = self.factory(shop)
        return self.gateways[shop.id]

    def close(self) -> None:
        for gateway in self.gateways.values():
            gateway.client.close()


# --- retries and concurrent workers ------------------------------------------------------------------------------

WORKERS = 6
MAX_ROUNDS = 12


@pytest.mark.django_db(transaction=True)
def test_faults_retries_and_concurrent_workers_still_upload_each_shipment_exactly_once(sim):
    state = sim.state
    shop, accepted = _ready_to_ship(sim)
    orders = accepted[:30]
    entries = _ship_all(orders, sim)
    rng = random.Random(SEED)
    base = sim_now(state)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        # fewer faults than entries left (each fails one call, whoever makes it), so every round makes progress;
        # at the tail no faults at all — otherwise one unlucky entry can exhaust the outbox's retry budget
        left = OutboxEntry.objects.filter(id__in=entries).exclude(state=OutboxEntry.State.DONE).count()
        state.fail_next(rng.randint(0, left // 2), code=50001, api=SEND)
        state.http_error_next(rng.randint(0, (left - 1) // 2), status=502, api=SEND)
        now = base + (rounds - 1) * timedelta(minutes=31)  # past every backoff (≤ 30 min) and lease

        def worker(n: int, now=now, rounds=rounds) -> None:
            # the first round every fault reaches the outbox; later ones, some are retried inside the client
            platforms = _CachedPlatforms(sim, max_retries=0 if rounds == 1 else n % 3)
            shuffler = random.Random(SEED * 1000 + rounds * 10 + n)
            try:
                for _ in range(2):  # every worker goes over what is due twice, in its own order
                    due = due_ids(now=now, shop_id=shop.id)
                    shuffler.shuffle(due)
                    for entry_id in due:
                        outcome = deliver(entry_id, platforms, now=now).outcome
                        with lock:
                            outcomes[outcome] += 1
            finally:
                platforms.close()

        failures = [r for r in run_together(WORKERS, worker) if isinstance(r, BaseException)]
        assert not failures, failures
        if not OutboxEntry.objects.filter(id__in=entries).exclude(state=OutboxEntry.State.DONE).exists():
            break

    stuck = list(OutboxEntry.objects.filter(id__in=entries).exclude(state=OutboxEntry.State.DONE).values_list(
        "id", "state", "attempts", "last_error"))  # fmt: skip
    assert not stuck, f"not all delivered after {rounds} rounds: {outcomes}; stuck: {stuck}"
    assert outcomes["done"] == len(entries), outcomes  # each entry completed by exactly one worker
    assert outcomes["retry"] > 0 and outcomes["skipped"] > 0 and outcomes["failed"] == 0, outcomes
    assert rounds > 1
    _assert_told_once(orders, sim)
    assert max(OutboxEntry.objects.filter(id__in=entries).values_list("attempts", flat=True)) > 1
    failed_calls = [c for c in state.calls_of(SEND) if c.error_code == 50001 or c.http_status == 502]
    assert len(failed_calls) >= outcomes["retry"]


# --- a lost answer ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("client_retries", [5, 0], ids=["retried-by-the-client", "retried-by-the-outbox"])
def test_a_lost_answer_is_recognised_on_the_retry_as_already_shipped(db, sim, client_retries):
    state = sim.state
    _, accepted = _ready_to_ship(sim)
    order = accepted[0]
    [entry] = _ship_all([order], sim)
    # the platform ships it, then its answer is late: the client has stopped waiting
    state.delay_next(1, seconds=1.0, api=SEND, after_handling=True)
    platforms = _CachedPlatforms(sim, timeout=0.3, max_retries=client_retries)
    now = sim_now(state)

    delivery = deliver(entry, platforms, now=now)
    if client_retries == 0:
        assert delivery.outcome == "retry" and "timeout" in delivery.detail
        assert [record.order_sn for record in state.shipments] == [order.order_sn]  # it did ship
        assert deliver(entry, platforms, now=now).outcome == "skipped"  # backing off
        delivery = deliver(entry, platforms, now=now + timedelta(seconds=31))
    platforms.close()

    assert delivery.outcome == "done"
    assert OutboxEntry.objects.get(id=entry).result == {"already": True}
    assert [call.error_code for call in state.calls_of(SEND)] == [None, 21001]  # shipped; then "already shipped"
    _assert_told_once([order], sim)


def test_a_lost_answer_whose_check_fails_for_a_moment_is_retried_not_given_up(db, sim):
    """After a lost answer the retry is refused as already shipped and the client reads the order to recognise its
    own shipment. If that read fails for a moment (after the client's own retries), the entry must be retried
    later, not failed for a person to handle: the platform holds the shipment, nothing is wrong with it."""
    state = sim.state
    _, accepted = _ready_to_ship(sim)
    order = accepted[0]
    [entry] = _ship_all([order], sim)
    state.delay_next(1, seconds=1.0, api=SEND, after_handling=True)
    platforms = _CachedPlatforms(sim, timeout=0.3, max_retries=0)
    now = sim_now(state)
    assert deliver(entry, platforms, now=now).outcome == "retry"  # the answer was lost; the platform shipped it

    state.fail_next(1, code=50001, api="pdd.order.information.get")  # the check fails once
    second = deliver(entry, platforms, now=now + timedelta(seconds=31))

    assert second.outcome == "retry", second
    assert Shipment.objects.get(order=order).upload_state == Shipment.Upload.PENDING
    third = deliver(entry, platforms, now=now + timedelta(minutes=5))
    platforms.close()
    assert third.outcome == "done" and OutboxEntry.objects.get(id=entry).result == {"already": True}
    _assert_told_once([order], sim)


@pytest.mark.django_db(transaction=True)
def test_a_worker_whose_lease_ran_out_cannot_undo_the_delivery_another_worker_completed(sim):
    """Worker A's call hangs past its lease; worker B takes the entry over (as designed) and completes it. When A's
    call finally times out, A must not put the completed entry back to pending (or, with a refusal, to failed)."""
    state = sim.state
    shop, accepted = _ready_to_ship(sim)
    order = accepted[0]
    [entry] = _ship_all([order], sim)
    now = sim_now(state)
    state.delay_next(1, seconds=1.0, api=SEND)  # A's request waits at the gateway before it is handled
    slow = _CachedPlatforms(sim, timeout=0.5, max_retries=0)
    fast = _CachedPlatforms(sim)

    def worker(n: int):
        if n == 0:
            return deliver(entry, slow, now=now)
        deadline = time.monotonic() + 5
        while state.pending_faults() and time.monotonic() < deadline:  # A's call is at the gateway
            time.sleep(0.005)
        return deliver(entry, fast, now=now + LEASE + timedelta(seconds=1))  # A's lease has run out

    stale, fresh = run_together(2, worker)
    slow.close()
    fast.close()

    assert fresh.outcome == "done", fresh
    assert stale.outcome == "superseded", stale  # the newer claim's outcome stands
    row = OutboxEntry.objects.get(id=entry)
    assert (row.state, row.result) == (OutboxEntry.State.DONE, {"already": False}), (row.state, row.last_error)
    assert Shipment.objects.get(order=order).upload_state == Shipment.Upload.DONE
    assert due_ids(now=now + timedelta(days=1), shop_id=shop.id) == []  # nothing left to send
    _assert_told_once([order], sim)


# --- the same order shipped twice at once -------------------------------------------------------------------------

STATIONS = 4


@pytest.mark.django_db(transaction=True)
def test_the_same_order_shipped_at_once_from_several_stations_ships_once(sim):
    state = sim.state
    shop, accepted = _ready_to_ship(sim)
    orders = accepted[:8]
    now = sim_now(state)
    winners: dict[int, str] = {}
    for order in orders:
        numbers = [f"YT{order.id:010d}{n}" for n in range(STATIONS)]
        results = run_together(
            STATIONS,
            lambda n, order=order, numbers=numbers: ship_order(
                order.id, carrier=YTO, tracking_number=numbers[n], actor=Actor.user(f"station-{n}"), now=now
            ),
        )
        shipped = [(n, r) for n, r in enumerate(results) if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, ShipRefused)]
        assert len(shipped) == 1 and len(refused) == STATIONS - 1, results
        n, result = shipped[0]
        winners[order.id] = numbers[n]
        assert result.shipment.tracking_number == numbers[n] and result.outbox_entry_id is not None
        assert Shipment.objects.filter(order=order).count() == 1
        assert OutboxEntry.objects.filter(payload__order_sn=order.order_sn).count() == 1
        units = sum(line.quantity for line in order.lines.all())
        moved = StockMove.objects.filter(order=order, kind=StockMove.Kind.SHIP).aggregate(n=Sum("quantity"))["n"]
        assert moved == -units  # the stock left once
    assert ledger_problems() == []

    platforms = _CachedPlatforms(sim)
    for entry_id in due_ids(now=now, shop_id=shop.id):
        assert deliver(entry_id, platforms, now=now).outcome == "done"
    platforms.close()
    _assert_told_once(orders, sim, winners)


# --- interception -------------------------------------------------------------------------------------------------


def _with_tag(order: dict, name: str) -> dict:
    return {"order_tag_list": [{**tag, "value": 1 if tag["name"] == name else tag["value"]}
                               for tag in order["order_tag_list"]]}  # fmt: skip


INTERCEPTIONS = {
    # the buyer asked for a refund (售后处理中)
    "refund-requested": (lambda o: {"refund_status": 2, "after_sales_status": 2}, OrderStatus.ON_HOLD, "refund"),
    # the platform put the order on hold (拦截)
    "ship-hold": (lambda o: _with_tag(o, "ship_hold"), OrderStatus.ON_HOLD, "ship_hold"),
    # the platform's risk review
    "risk-review": (lambda o: {"risk_control_status": 1}, OrderStatus.ON_HOLD, "risk"),
    # refunded before shipping: cancelled
    "refunded": (lambda o: {"refund_status": 4, "after_sales_status": 10}, OrderStatus.CANCELLED, "cancelled"),
}


@pytest.mark.parametrize("kind", list(INTERCEPTIONS))
def test_an_accepted_order_the_platform_stops_is_refused_at_shipping_and_keeps_its_stock(db, sim, kind):
    state = sim.state
    change, status, reason = INTERCEPTIONS[kind]
    shop, accepted = _ready_to_ship(sim)
    order = accepted[0]
    levels_before = dict(StockLevel.objects.values_list("sku__code", "on_hand"))
    reserved_before = StockLevel.objects.aggregate(n=Sum("reserved"))["n"]
    held = Reservation.objects.filter(order=order, state=Reservation.State.OPEN).aggregate(n=Sum("quantity"))["n"]
    assert held > 0

    state.advance(60)
    state.update_order(order.order_sn, **change(state.order(order.order_sn)))
    state.advance(15 * 60)
    _sync(shop, sim)
    order.refresh_from_db()
    assert order.status == status

    with pytest.raises(ShipRefused, match=reason):
        ship_order(order.id, carrier=YTO, tracking_number=_tracking(order), actor=ACTOR, now=sim_now(state))

    assert not Shipment.objects.filter(order=order).exists()
    assert not OutboxEntry.objects.filter(payload__order_sn=order.order_sn).exists()
    assert not StockMove.objects.filter(order=order).exists()
    assert dict(StockLevel.objects.values_list("sku__code", "on_hand")) == levels_before  # nothing left the shelf
    assert StockLevel.objects.aggregate(n=Sum("reserved"))["n"] == reserved_before - held  # back in the pool
    assert set(Reservation.objects.filter(order=order).values_list("state", flat=True)) == {"released"}
    assert state.shipments == []
    assert ledger_problems() == []


def test_a_truncated_answer_leaves_the_delivery_due_again_never_failed(db, sim):
    state = sim.state
    _, accepted = _ready_to_ship(sim)
    order = accepted[0]
    [entry] = _ship_all([order], sim)
    state.truncate_next(1, api=SEND)  # the platform ships it; its answer is cut in half
    platforms = _platform_for(sim, max_retries=0)
    now = sim_now(state)

    first = deliver(entry, platforms, now=now)

    assert first.outcome == "retry" and "not JSON" in first.detail
    assert OutboxEntry.objects.get(id=entry).state == OutboxEntry.State.PENDING
    assert Shipment.objects.get(order=order).upload_state != "failed"
    second = deliver(entry, platforms, now=now + timedelta(seconds=31))
    assert second.outcome == "done"
    assert OutboxEntry.objects.get(id=entry).result == {"already": True}
    _assert_told_once([order], sim)
