"""Benchmark: the CPU the calling thread spends on one full page of orders over HTTP, httpx against the PDD
client's ``PooledHttp`` (``platforms/pdd/http.py``).

    python bench/http_client.py [--requests 200] [--rounds 4]

The PDD simulator runs in this process on 127.0.0.1 (its server threads); one signed ``pdd.order.list.get`` for
a full page of 100 orders (about 250 KB of JSON) is posted ``--requests`` times through each, over one kept-alive
connection, in ``--rounds`` alternating rounds. Measured per request: this thread's CPU (``time.thread_time``:
sending, reading and parsing the answer; not decoding the JSON), the simulator's server threads' CPU (the
process's CPU less this thread's) and wall time. **The ceiling** is the standard library's ``http.client`` by
hand (one connection, ``request``/``getresponse``/``read``), run interleaved with the other two; the ratio of its CPU
to ``PooledHttp``'s is printed. Not a test.
"""

import argparse
import http.client
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


class Keep:
    """The client's HTTP for one call: keeps the signed body it sends."""

    def __init__(self, inner):
        self.inner = inner
        self.body = b""

    def post(self, url, body, headers, timeout):
        self.body = body
        return self.inner.post(url, body, headers, timeout)

    def close(self):
        self.inner.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests through each client")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds the requests are split into")
    args = parser.parse_args()

    import httpx

    from kuaifa.platforms.pdd.client import _FORM, DEFAULT_TIMEOUT, PddClient
    from kuaifa.platforms.pdd.http import PooledHttp
    from kuaifa.platforms.sim import (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        ShopConfig,
        SimState,
        generate_shop,
        serve,
    )
    from kuaifa.platforms.sim.shop import DAY

    shop = generate_shop(ShopConfig(seed=7, days=1, orders_per_day=1_500))
    state = SimState(shop, now=shop.start_ts + 2 * DAY, rate_limits={}, check_timestamp=False)
    server, thread = serve("127.0.0.1", 0, state=state)
    keep = Keep(PooledHttp(proxies={}))
    client = PddClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, state.default_token.access_token,
                       base_url=server.base_url, http=keep, clock=state.now, rate_limits={})  # fmt: skip
    page = client.list_orders(shop.start_ts, shop.start_ts + DAY - 1, 1)
    body, url = keep.body, server.base_url
    pooled = PooledHttp(proxies={})
    size = len(pooled.post(url, body, _FORM, DEFAULT_TIMEOUT).body)
    print(f"one page: {len(page.orders)} orders, {size:,} bytes of JSON; {args.requests} requests through each")

    bare = http.client.HTTPConnection("127.0.0.1", server.port, timeout=DEFAULT_TIMEOUT)
    path = urlsplit(url).path
    with httpx.Client(timeout=DEFAULT_TIMEOUT, trust_env=False) as web:

        def by_httpx() -> int:
            return len(web.post(url, content=body, headers=_FORM, timeout=DEFAULT_TIMEOUT).content)

        def by_pooled() -> int:
            return len(pooled.post(url, body, _FORM, DEFAULT_TIMEOUT).body)

        def by_hand() -> int:
            bare.request("POST", path, body=body, headers=_FORM)
            return len(bare.getresponse().read())

        sides = {"httpx": by_httpx, "PooledHttp": by_pooled, "ceiling (http.client)": by_hand}
        cpu: dict[str, list[float]] = {name: [] for name in sides}
        server_cpu: dict[str, list[float]] = {name: [] for name in sides}
        wall: dict[str, list[float]] = {name: [] for name in sides}
        for side in sides.values():
            side()  # the connection made before timing
        per_round = max(1, args.requests // args.rounds)
        for _ in range(args.rounds):
            for name, side in sides.items():
                for _ in range(per_round):
                    started, started_cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
                    assert side() == size
                    cpu[name].append(time.thread_time() - started_cpu)
                    server_cpu[name].append(time.process_time() - process_cpu - cpu[name][-1])
                    wall[name].append(time.perf_counter() - started)
    pooled.close()
    bare.close()
    keep.close()
    server.stop()
    thread.join(timeout=5)

    print(f"{'ms a request (mean, median)':<28}{'this thread CPU':>18}{'simulator CPU':>18}{'wall':>18}")
    for name in sides:
        columns = "".join(f"{statistics.fmean(v) * 1e3:>10.3f}{statistics.median(v) * 1e3:>8.3f}"
                          for v in (cpu[name], server_cpu[name], wall[name]))  # fmt: skip
        print(f"{name:<28}{columns}")
    ratio = statistics.median(cpu["ceiling (http.client)"]) / statistics.median(cpu["PooledHttp"])
    print(
        f"ratio, this thread's CPU (medians): ceiling / PooledHttp {ratio:.1%}, "
        f"ceiling / httpx {statistics.median(cpu['ceiling (http.client)']) / statistics.median(cpu['httpx']):.1%}"
    )


if __name__ == "__main__":
    main()
