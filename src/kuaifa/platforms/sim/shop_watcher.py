"""Watching the simulated shop for the changes that make PDD push messages (pdd-reference §5).

A :class:`ShopWatcher` compares what the gateway shows now with what it showed at its previous pass, so moving the
simulator's clock (or changing an order or case) produces the topics a merchant would get — new 成团 orders
``pdd_trade_TradeConfirmed``, shipped ``pdd_trade_TradeSellerShip``, received ``pdd_trade_TradeSuccess``, review
changes ``pdd_trade_TradeRiskChanged``, memo and address changes, and for after-sales cases
``pdd_refund_RefundCreated`` / ``RefundAgreeAgreement`` / ``RefundClosed`` / ``RefundBuyerReturnGoods``. Which case
status maps to which refund topic is the simulator's choice (§5 lists the topics, not the mapping).

Whoever runs the passes (the push server, on its own thread) calls :meth:`ShopWatcher.watch`; anyone else can
:meth:`ShopWatcher.wait_until_watched` to know that a change they made has been turned into messages, instead of
sleeping for a guessed while.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kuaifa.platforms.sim.clock import epoch_of_beijing
from kuaifa.platforms.sim.refund_api import DETAIL_TYPE_CODES
from kuaifa.platforms.sim.shop import RefundCase
from kuaifa.platforms.sim.state import SimState

#: after-sales statuses the simulator announces as 同意 (agreed / refunded / done) and as closed
AGREED_STATUSES = frozenset({4, 5, 7, 10, 16, 25})
CLOSED_STATUSES = frozenset({9, 11, 12, 13, 17, 24})
OPERATION_BUYER_APPLIED = 1000  # 消费者申请 (§5)


@dataclass(frozen=True, slots=True)
class ShopEvent:
    """A change seen in the shop, as a push message to send: when (epoch s), which topic, what content."""

    at: int
    topic: str
    content: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _OrderFacets:
    """What of an order the push topics are about."""

    confirmed: bool
    order_status: int
    risk: int
    buyer_memo: str
    remark: tuple[str, object]
    address: str


@dataclass(frozen=True, slots=True)
class _CaseFacets:
    status: int
    return_tracking_number: str


class ShopWatcher:
    """Turns changes in what the simulated gateway shows into push messages, by comparing snapshots.

    The first pass (made at construction) is the baseline and yields nothing: messages are for what happens after
    the watcher starts. Passes are counted: :meth:`wait_until_watched` waits for a pass that began after the call,
    so that whatever the caller changed before calling has been seen and its events handed on.
    """

    def __init__(self, state: SimState) -> None:
        self.state = state
        self.mall_id = state.shop.config.mall_id
        self._orders: dict[str, _OrderFacets] = {}
        self._cases: dict[int, _CaseFacets] = {}
        self._baseline = True
        self._passes = threading.Condition()
        self._started = 0  # passes begun
        self._finished = 0  # passes whose events have been handed on (or that failed)
        self.changes()

    def changes(self) -> list[ShopEvent]:
        """Events since the last pass, by (moment, business key). Prefer :meth:`watch`, which also counts the pass
        for :meth:`wait_until_watched`."""
        events: list[ShopEvent] = []
        for order in self.state.orders_updated_between(0, 2**62):
            events.extend(self._order_events(order))
        for case in self.state.refund_cases_updated_between(0, 2**62):
            events.extend(self._case_events(case))
        if self._baseline:
            self._baseline = False
            return []
        return sorted(events, key=lambda event: (event.at, str(event.content.get("tid")), event.topic))

    def watch(self, emit: Callable[[ShopEvent], object]) -> int:
        """One pass: hand each event since the last pass to ``emit``, then wake the waiters; returns the number of
        events. Passes are made by one thread at a time (the caller's loop); a failing pass still counts as done, so
        a waiter is not left hanging on it, and the error goes to the caller."""
        with self._passes:
            self._started += 1
        try:
            events = self.changes()
            for event in events:
                emit(event)
            return len(events)
        finally:
            with self._passes:
                self._finished += 1
                self._passes.notify_all()

    def wait_until_watched(self, timeout: float = 5.0, *, ask: Callable[[], object] | None = None) -> None:
        """Return once a pass that began after this call has finished, so every change made before the call has
        become events; raise :class:`TimeoutError` if none finished within ``timeout`` seconds. ``ask`` is called
        once the pass to wait for is fixed, to have whoever makes the passes make one now."""
        with self._passes:
            target = self._started + 1
        if ask is not None:
            ask()
        deadline = time.monotonic() + timeout
        with self._passes:
            while self._finished < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the shop watcher made no pass within {timeout} s")
                self._passes.wait(left)

    def _order_events(self, order: dict[str, Any]) -> list[ShopEvent]:
        order_sn = str(order["order_sn"])
        now = _epoch(order.get("updated_at")) or int(self.state.now())
        facets = _OrderFacets(
            confirmed=int(order.get("confirm_status") or 0) == 1,
            order_status=int(order.get("order_status") or 0),
            risk=int(order.get("risk_control_status") or 0),
            buyer_memo=str(order.get("buyer_memo") or ""),
            remark=(str(order.get("remark") or ""), order.get("remark_tag")),
            address=str(order.get("open_address_id") or ""),
        )
        before = self._orders.get(order_sn)
        self._orders[order_sn] = facets
        if before == facets:
            return []
        topics: list[str] = []
        if facets.confirmed and (before is None or not before.confirmed):
            topics.append("pdd_trade_TradeConfirmed")
        if facets.order_status >= 2 and (before is None or before.order_status < 2):
            topics.append("pdd_trade_TradeSellerShip")
        if facets.order_status == 3 and (before is None or before.order_status != 3):
            topics.append("pdd_trade_TradeSuccess")
        if before is not None:
            if facets.risk != before.risk:
                topics.append("pdd_trade_TradeRiskChanged")
            if facets.buyer_memo != before.buyer_memo:
                topics.append("pdd_trade_BuyerMemoModified")
            if facets.remark != before.remark:
                topics.append("pdd_trade_TradeMemoModified")
            if facets.address != before.address:
                topics.append("pdd_trade_TradeLogisticsAddressChanged")
        content = {"mall_id": self.mall_id, "tid": order_sn}
        return [ShopEvent(now, topic, dict(content)) for topic in topics]

    def _case_events(self, case: RefundCase) -> list[ShopEvent]:
        facets = _CaseFacets(case.status, case.return_tracking_number)
        before = self._cases.get(case.id)
        self._cases[case.id] = facets
        if before == facets:
            return []
        topics: list[str] = []
        if before is None:
            topics.append("pdd_refund_RefundCreated")
        if facets.status != (before.status if before else None):
            if facets.status in AGREED_STATUSES:
                topics.append("pdd_refund_RefundAgreeAgreement")
            elif facets.status in CLOSED_STATUSES:
                topics.append("pdd_refund_RefundClosed")
        if facets.return_tracking_number and (before is None or not before.return_tracking_number):
            topics.append("pdd_refund_RefundBuyerReturnGoods")
        return [ShopEvent(case.updated_at, topic, refund_content(self.mall_id, case)) for topic in topics]


def refund_content(mall_id: int, case: RefundCase) -> dict[str, Any]:
    """A refund topic's content (§5): refund_fee in fen, bill_type in the detail coding, modified in ms."""
    return {
        "mall_id": mall_id,
        "tid": case.order_sn,
        "refund_id": case.id,
        "refund_fee": case.refund_fen,
        "bill_type": DETAIL_TYPE_CODES[case.kind],
        "operation": OPERATION_BUYER_APPLIED,
        "modified": case.updated_at * 1000,
    }


def _epoch(text: object) -> int | None:
    return epoch_of_beijing(text) if isinstance(text, str) and text else None
