"""Retry delays: exponential backoff with full jitter (pdd-reference §1.4, §6: back off on 5xx, 50000–50002,
gateway, degradation and rate-limit codes; a deployed PDD tool retries up to 5 times).

Full jitter (a uniform draw between 0 and the exponential ceiling) spreads retries of many workers apart, so a
throttled API is not hit again by all of them at the same moment. The random source is injected for tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class FullJitterBackoff:
    """``delay(n)`` for the n-th retry (0-based): uniform in ``[0, min(cap, base * 2**n)]`` seconds."""

    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def ceiling(self, attempt: int) -> float:
        """The largest delay the n-th retry may wait."""
        return min(self.cap, self.base * 2.0**attempt)

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0.0, self.ceiling(attempt))
