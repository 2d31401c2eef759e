"""The anti-miss recipe for incremental order pulls (pdd-reference §6, official order FAQ).

1. Ask the window with ``use_has_next=false`` once, for ``total_count`` and so the number of pages.
2. Walk the pages from the last to the first with ``use_has_next=true``. An order updated during the walk leaves
   the window (its ``updated_at`` moves past the end), which shifts only the pages before it, not yet read; walking
   forwards would skip the order that slid into an already-read page.
3. Windows span at most 30 minutes, end ≤ PDD time − 3 min, and start a few minutes before the previous end.

Overlapping windows return some orders twice; :func:`fetch_window` keeps the newest copy of each order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from kuaifa.platforms.pdd.client import INCREMENT_WINDOW_S, MAX_PAGE_SIZE, PddClient


def split_windows(
    start: int, end: int, *, size_s: int = INCREMENT_WINDOW_S, overlap_s: int = 0
) -> Iterator[tuple[int, int]]:
    """Consecutive ``(start, end)`` epoch-second windows spanning at most ``size_s`` and covering ``[start, end]``.

    Times are whole seconds and a window includes both ends, so without overlap the next window starts one second
    after the previous end (no second read twice, none skipped); ``overlap_s`` starts it that much earlier.
    """
    if not 0 <= overlap_s < size_s:
        raise ValueError(f"overlap must be in [0, {size_s}) seconds, not {overlap_s}")
    cursor = start
    while cursor <= end:
        window_end = min(cursor + size_s, end)
        yield cursor, window_end
        if window_end == end:
            return
        cursor = window_end + 1 - overlap_s


def fetch_window(client: PddClient, start: int, end: int, *, page_size: int = MAX_PAGE_SIZE) -> list[dict[str, Any]]:
    """Every order updated in ``[start, end]``, read last page first; one copy per order, the newest."""
    first = client.increment_orders(start, end, page=1, page_size=page_size, use_has_next=False)
    total = first.total_count or 0
    pages = math.ceil(total / page_size)
    collected: list[dict[str, Any]] = list(first.orders) if pages <= 1 else []
    if pages > 1:
        for page in range(pages, 0, -1):
            collected.extend(client.increment_orders(start, end, page=page, page_size=page_size).orders)
    return newest_per_order(collected)


def newest_per_order(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One copy per ``order_sn``, the one with the latest ``updated_at``, in (updated_at, order_sn) order.

    PDD time strings are fixed-width ``yyyy-MM-dd HH:mm:ss``, so they compare correctly as text. A record without
    a readable ``order_sn`` is kept as it came (its mapping sets it apart), never dropped.
    """
    newest: dict[object, dict[str, Any]] = {}
    for index, order in enumerate(orders):
        sn = order.get("order_sn") if isinstance(order, dict) else None
        key: object = sn if isinstance(sn, str) and sn else ("", index)
        held = newest.get(key)
        if held is None or _text(order, "updated_at") >= _text(held, "updated_at"):
            newest[key] = order
    return sorted(newest.values(), key=lambda order: (_text(order, "updated_at"), _text(order, "order_sn")))


def _text(order: object, key: str) -> str:
    return str(order.get(key) or "") if isinstance(order, dict) else ""
