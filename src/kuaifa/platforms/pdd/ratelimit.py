"""Client-side rate limiting per API (pdd-reference §6).

PDD publishes limits per merchant token, per app and per API (e.g. ``pdd.refund.list.increment.get`` 100 calls
per 10 s per merchant) and answers excess calls with 70031/52101. Staying under the limit on our side is cheaper
than being throttled, so every call first takes a slot from a sliding window for its API. The limits not
published are not guessed: such APIs are unlimited unless configured (a ``"*"`` entry sets a default).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping

#: merchant-level limits from the official API pages (§6); the rest were not published.
DEFAULT_RATE_LIMITS: Mapping[str, tuple[int, float]] = {
    "pdd.order.list.get": (10_000, 60.0),
    "pdd.refund.list.increment.get": (100, 10.0),
    "pdd.refund.information.get": (1_400, 1.0),
}

WILDCARD = "*"


class SlidingWindowLimiter:
    """At most ``calls`` acquisitions per ``period`` seconds per API, measured on the injected clock.

    ``acquire`` blocks (through the injected ``sleep``) until a slot is free; it is safe to share between threads.
    """

    def __init__(
        self,
        limits: Mapping[str, tuple[int, float]],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        for api, (calls, period) in limits.items():
            if calls < 1 or period <= 0:
                raise ValueError(f"rate limit for {api} must allow ≥1 call per positive period, got {calls}/{period}")
        self._limits = dict(limits)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}

    def limit_for(self, api: str) -> tuple[int, float] | None:
        """The (calls, period) applied to ``api``, or None when it is not limited."""
        return self._limits.get(api) or self._limits.get(WILDCARD)

    def acquire(self, api: str) -> float:
        """Take a slot for one call of ``api``; returns the seconds spent waiting for it."""
        limit = self.limit_for(api)
        if limit is None:
            return 0.0
        calls, period = limit
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                window = self._calls.setdefault(api, deque())
                while window and window[0] <= now - period:
                    window.popleft()
                if len(window) < calls:
                    window.append(now)
                    return waited
                wait = window[0] + period - now
            wait = max(wait, 0.001)
            self._sleep(wait)
            waited += wait
