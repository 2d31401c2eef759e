"""Helpers for the service tests that talk to the PDD simulator over HTTP on 127.0.0.1 with the real client.

No patched client and no mocks: a simulated shop (``kuaifa.platforms.sim``) serves the gateway, the real
:class:`PddClient` and :class:`PddGateway` (or the edge factory ``kuaifa.tasks.platforms.platform_for`` over stored
credentials) talk to it, and the services write to the test database. Time on both sides is the simulator's clock,
which stands still unless a test moves it; the client's sleeps are recorded and return at once.
"""

from __future__ import annotations

import bisect
import itertools
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from django.db import connection

from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Order, Shop, SyncCursor, SyncLog
from kuaifa.platforms.pdd.client import PddClient
from kuaifa.platforms.pdd.gateway import PddGateway
from kuaifa.platforms.pdd.mapping import order_from_pdd
from kuaifa.platforms.sim import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    ShopConfig,
    SimGatewayServer,
    SimShop,
    SimState,
    generate_shop,
    serve,
)
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.services.catalog import ensure_warehouse, upsert_skus
from kuaifa.services.credentials import connect_pdd_shop
from kuaifa.services.fingerprints import fingerprint

ACTOR = Actor.worker("sync")
#: a moment the orders stored at it have no newer copy on the platform: nothing changed for this long before it
QUIET_S = 10 * 60


class Sleeps:
    """The client's ``sleep``: returns at once and keeps every requested wait (retries and rate limits)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class SimSleeps(Sleeps):
    """A ``sleep`` that moves the simulator's clock on instead of waiting: the platform's time passes while the
    client waits (its rate limiter and the simulator's rate windows then drain together)."""

    def __init__(self, state: SimState) -> None:
        super().__init__()
        self.state = state

    def __call__(self, seconds: float) -> None:
        super().__call__(seconds)
        self.state.advance(seconds)


def run_together(count: int, work: Callable[[int], object]) -> list[object]:
    """Run ``work(n)`` for n in range(count) in threads released together; results (or exceptions) in order.

    Each thread has its own database connection, closed when it is done.
    """
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(n: int) -> None:
        try:
            barrier.wait(10)
            results[n] = work(n)
        except BaseException as error:  # handed back to the test
            results[n] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,), name=f"worker-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive(), f"{thread.name} still running"
    return results


def at(ts: float) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, UTC)


def sim_now(state: SimState) -> datetime:
    return at(state.now())


@contextmanager
def running_sim(
    config: ShopConfig, *, now: Callable[[SimShop], float] | None = None, check_timestamp: bool = True
) -> Iterator[SimGatewayServer]:
    """The simulated gateway for ``config`` on a free port of 127.0.0.1, its clock frozen at ``now(shop)`` (the
    merchant's token is issued then)."""
    shop = generate_shop(config)
    state = SimState(shop, now=None if now is None else now(shop), check_timestamp=check_timestamp)
    server, thread = serve("127.0.0.1", 0, state=state)
    try:
        yield server
    finally:
        server.stop()
        thread.join(timeout=5)


def change_moments(shop: SimShop) -> list[int]:
    """Every moment a generated order or after-sales case gets a new version, sorted."""
    moments = {version.updated_at for versions in shop.orders.values() for version in versions}
    moments |= {case.updated_at for versions in shop.refunds.values() for case in versions}
    return sorted(moments)


def quiet_moment(shop: SimShop, not_before: float, *, quiet_s: int = QUIET_S, after_s: int = 0) -> int:
    """The first whole second ≥ ``not_before`` with no generated change in the ``quiet_s`` before it (nor in the
    ``after_s`` after it, for tests whose client waits move the simulator's clock on a little).

    Sync stops a few minutes short of the platform's now (the settle time, and the minimum advance at the live
    edge), so only at such a moment is "everything visible now" the same as "everything a finished sync must hold".
    """
    moments = change_moments(shop)
    moment = int(not_before)
    while True:
        index = bisect.bisect_right(moments, moment + after_s) - 1
        if index < 0 or moments[index] <= moment - quiet_s:
            return moment
        moment = moments[index] + quiet_s


def pdd_gateway(sim: SimGatewayServer, sleeps: Sleeps, *, clock=None, **options) -> PddGateway:
    """The real client and adapter, signed with the simulator's app and the shop's token, on the simulator's clock."""
    client = PddClient(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        sim.state.default_token.access_token,
        base_url=sim.base_url,
        clock=clock or sim.state.now,
        sleep=sleeps,
        rng=random.Random(7),
        **options,
    )
    return PddGateway(client)


def connect_sim_shop(sim: SimGatewayServer, name: str = "模拟旗舰店") -> Shop:
    """A PDD shop whose stored (sealed) credentials point at the simulator: the simulator's app and token pair."""
    ensure_warehouse()
    token = sim.state.default_token
    return connect_pdd_shop(
        name,
        gateway_url=sim.base_url,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        access_token=token.access_token,
        refresh_token=token.refresh_token,
        access_expires_at=at(token.expires_at),
        now=sim_now(sim.state),
    )


def lookback_from(state: SimState, start: float) -> timedelta:
    """A first-sync lookback that reaches back to ``start`` (plus an hour) from the simulator's now."""
    return timedelta(seconds=state.now() - start + HOUR)


def sku_codes(state: SimState) -> list[str]:
    """The merchant codes (outer_id) the simulator's visible orders use."""
    codes = set()
    for order_sn in state.visible_order_sns():
        order = state.order(order_sn)
        assert order is not None
        codes |= {item["outer_id"] for item in order["item_list"] if item["outer_id"]}
    return sorted(codes)


def create_skus(codes: list[str], *, now: datetime) -> None:
    upsert_skus([SkuSpec(code, name=code) for code in codes], now=now)


def mirror_gaps(shop: Shop, state: SimState) -> dict[str, list[str]]:
    """How what we hold differs from what the simulator shows now: missing, extra, duplicated and stale orders."""
    stored = list(Order.objects.filter(shop=shop).values_list("order_sn", "fingerprint"))
    numbers = [order_sn for order_sn, _ in stored]
    visible = set(state.visible_order_sns())
    stale = []
    for order_sn, digest in stored:
        current = state.order(order_sn)
        if current is not None and digest != fingerprint(order_from_pdd(current)):
            stale.append(order_sn)
    return {
        "missing": sorted(visible - set(numbers)),
        "extra": sorted(set(numbers) - visible),
        "duplicated": sorted({n for n in numbers if numbers.count(n) > 1}) if len(numbers) != len(set(numbers)) else [],
        "stale": sorted(stale),
    }


def assert_mirrors(shop: Shop, state: SimState) -> int:
    """Every order the simulator shows now is stored once, as its latest version; returns how many there are."""
    visible = state.visible_order_sns()
    assert visible, "the simulator shows no orders: the test would prove nothing"
    gaps = mirror_gaps(shop, state)
    assert gaps == {"missing": [], "extra": [], "duplicated": [], "stale": []}, {k: v[:10] for k, v in gaps.items()}
    assert Order.objects.filter(shop=shop).count() == len(set(visible)) == len(visible)
    return len(visible)


def assert_windows_contiguous(shop: Shop, stream: str = "orders") -> list[SyncLog]:
    """The committed windows of ``stream`` overlap or touch, and the cursor stands at the last one's end."""
    logs = list(SyncLog.objects.filter(shop=shop, stream=stream, error_code="").order_by("id"))
    assert logs, f"no {stream} window was committed"
    for previous, window in itertools.pairwise(logs):
        assert window.window_start <= previous.window_end, (
            f"gap between windows: {previous.window_end.isoformat()} … {window.window_start.isoformat()}"
        )
        assert window.window_end > previous.window_end, "a window did not move the cursor on"
    cursor = SyncCursor.objects.get(shop=shop, stream=stream)
    assert cursor.position == logs[-1].window_end
    return logs
