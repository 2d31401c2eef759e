"""The simulator's clock and its Beijing time strings.

The simulated shop lives on its own timeline: a test sets or advances "now", and only what happened by then is
visible through the gateway (orders and cases whose ``updated_at`` ≤ now). By default the clock stands still, so a
test sees the same shop however long it runs; :meth:`SimClock.run` lets it follow the wall clock instead.
The simulator writes its own time strings rather than reusing the client's parser, so a bug in one is not
mirrored by the other.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))


def beijing(ts: float) -> str:
    """Epoch seconds as PDD writes a time: ``yyyy-MM-dd HH:mm:ss`` in Beijing."""
    return datetime.fromtimestamp(int(ts), BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def epoch_of_beijing(text: str) -> int | None:
    """A PDD time string as epoch seconds; ``""`` (not happened) is None."""
    if not text:
        return None
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).timestamp())


def beijing_midnight(year: int, month: int, day: int) -> int:
    """Epoch seconds of 00:00:00 Beijing time on a date."""
    return int(datetime(year, month, day, tzinfo=BEIJING).timestamp())


class SimClock:
    """The simulator's "now" in epoch seconds: frozen at a set moment (default) or running with the wall clock."""

    def __init__(self, now: float) -> None:
        self._lock = threading.Lock()
        self._base = float(now)
        self._running_since: float | None = None

    def now(self) -> float:
        with self._lock:
            if self._running_since is None:
                return self._base
            return self._base + (time.monotonic() - self._running_since)

    def set(self, now: float) -> None:
        """Jump to ``now`` and keep the clock's mode (frozen or running)."""
        with self._lock:
            self._base = float(now)
            if self._running_since is not None:
                self._running_since = time.monotonic()

    def advance(self, seconds: float) -> float:
        """Move the clock on by ``seconds``; returns the new now."""
        with self._lock:
            self._base += seconds
            current = self._base
            if self._running_since is not None:
                current += time.monotonic() - self._running_since
            return current

    def run(self) -> None:
        """Let the clock follow the wall clock from its current reading."""
        with self._lock:
            if self._running_since is None:
                self._running_since = time.monotonic()

    def freeze(self) -> None:
        """Stop the clock at its current reading."""
        with self._lock:
            if self._running_since is not None:
                self._base += time.monotonic() - self._running_since
                self._running_since = None
