"""The simulated shop's state behind the gateway: orders, after-sales cases, shipments, extra waybills, refund
decisions, return addresses, apps and tokens, rate windows and injected faults, all behind one lock so the threaded
server and the test thread can share it.

Orders and cases are kept as every version they ever had; what the gateway shows is the newest version with
``updated_at`` ≤ the simulator's now, so moving the clock makes orders appear and change as they would on PDD.
Tests drive it directly: set the clock, add or change an order, expire a token, or queue faults for the next
calls (``fail_next``, ``http_error_next``, ``delay_next``, ``rate_limit_next``, ``expire_token_next``).
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kuaifa.platforms.sim.clock import SimClock, beijing, epoch_of_beijing
from kuaifa.platforms.sim.generator import generate_shop, poison
from kuaifa.platforms.sim.return_addresses import SimReturnAddress, return_addresses_for
from kuaifa.platforms.sim.shop import DAY, OrderVersion, RefundCase, ShopConfig, SimShop, copy_order

DEFAULT_CLIENT_ID = "sim-client-id"
DEFAULT_CLIENT_SECRET = "sim-client-secret"
#: exact merchant-token lifetimes were not found (pdd-reference §10); the simulator's are configurable
DEFAULT_TOKEN_TTL_S = 30 * DAY
DEFAULT_REFRESH_TTL_S = 90 * DAY
#: how long after the merchant agrees (4 商家同意退款，退款中) the refund goes through (10 退款成功); not published
DEFAULT_REFUND_SETTLE_S = 120

#: published merchant limits (§6), per API per token; APIs without a published limit are not limited
DEFAULT_SIM_RATE_LIMITS: Mapping[str, tuple[int, float]] = {
    "pdd.order.list.get": (10_000, 60.0),
    "pdd.refund.list.increment.get": (100, 10.0),
    "pdd.refund.information.get": (1_400, 1.0),
}


@dataclass(frozen=True, slots=True)
class TokenRecord:
    access_token: str
    refresh_token: str
    expires_at: int
    refresh_expires_at: int
    owner_id: str
    owner_name: str
    client_id: str


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    """One accepted ``pdd.logistics.online.send``."""

    order_sn: str
    logistics_id: int
    tracking_number: str
    redelivery_type: int
    at: int


@dataclass(frozen=True, slots=True)
class ExtraLogisticsRecord:
    """One accepted ``pdd.order.upload.extra.logistics``: the type (1 分包发货 / 2 补发商品 / 3 发放赠品) and its
    ``(shipping_id, tracking_number)`` waybills."""

    order_sn: str
    extra_track_type: int
    parcels: tuple[tuple[int, str], ...]
    at: int


@dataclass(frozen=True, slots=True)
class RefundDecisionRecord:
    """One accepted merchant decision on an after-sales case (``pdd.refund.agree``, ``pdd.refund.returngoods.agree``,
    ``pdd.refund.exchange.shipping``).

    ``to_status`` is the status the decision set at once; ``return_address_id`` only for an agreed return,
    ``shipping`` only for a shipped replacement.
    """

    api: str
    order_sn: str
    after_sales_id: int
    from_status: int
    to_status: int
    operate_desc: str
    at: int
    return_address_id: int | None = None
    shipping: tuple[int, str, str] | None = None  # the replacement's (shipping_id, shipping_name, tracking_number)


@dataclass(frozen=True, slots=True)
class Fault:
    """Something to go wrong on a coming call: an ``error_response`` code, an HTTP status, or a delay."""

    kind: str  # "error" | "http" | "delay" (before the API runs) | "delay_after" | "truncate" (after it ran)
    api: str | None = None  # only calls of this type; None = any call
    code: int = 0
    http_status: int = 0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One request the gateway saw, with the outcome it gave (for tests that count calls and retries)."""

    type: str
    error_code: int | None = None
    http_status: int = 200


@dataclass
class _Faults:
    queue: deque[Fault] = field(default_factory=deque)


class SimState:
    """Everything the simulated gateway knows. All public methods are thread-safe."""

    def __init__(
        self,
        shop: SimShop | None = None,
        *,
        now: float | None = None,
        apps: Mapping[str, str] | None = None,
        rate_limits: Mapping[str, tuple[int, float]] | None = None,
        token_ttl_s: int = DEFAULT_TOKEN_TTL_S,
        refresh_ttl_s: int = DEFAULT_REFRESH_TTL_S,
        check_timestamp: bool = True,
    ) -> None:
        self.shop = shop or generate_shop(ShopConfig())
        self.lock = threading.RLock()
        self.clock = SimClock(self.shop.end_ts + 4 * DAY if now is None else now)
        self.apps = dict(apps or {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET})
        self.rate_limits = dict(DEFAULT_SIM_RATE_LIMITS if rate_limits is None else rate_limits)
        self.token_ttl_s = token_ttl_s
        self.refresh_ttl_s = refresh_ttl_s
        self.check_timestamp = check_timestamp
        self._orders: dict[str, list[OrderVersion]] = {sn: list(vs) for sn, vs in self.shop.orders.items()}
        self._refunds: dict[int, list[RefundCase]] = {rid: list(vs) for rid, vs in self.shop.refunds.items()}
        self.shipments: list[ShipmentRecord] = []
        self.extra_logistics: list[ExtraLogisticsRecord] = []
        self.refund_decisions: list[RefundDecisionRecord] = []
        self.trace_faults: dict[str, tuple[str, int]] = {}  # tracking number → (stall|lost, events kept)
        self.refund_settle_s = DEFAULT_REFUND_SETTLE_S
        self.return_addresses: tuple[SimReturnAddress, ...] = return_addresses_for(self.shop.config)
        self.calls: list[CallRecord] = []
        self._tokens: dict[str, TokenRecord] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token → access token it belongs to
        self._auth_codes: dict[str, str] = {}  # authorisation code → the app it was granted to (used once)
        self._token_seq = 0
        self._request_seq = 0
        self._faults = _Faults()
        self._rate_windows: dict[tuple[str, str], deque[float]] = {}
        #: called (under the lock) after every change a restart must honour: tokens issued, refreshed, expired or
        #: revoked, shipments accepted (``saved.keep_saved`` writes the state file with it)
        self.on_change: Callable[[SimState], None] | None = None
        self.default_token = self.issue_token(next(iter(self.apps)))

    # --- clock ------------------------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now()

    def set_now(self, now: float) -> None:
        self.clock.set(now)

    def advance(self, seconds: float) -> float:
        return self.clock.advance(seconds)

    def next_request_id(self) -> str:
        with self.lock:
            self._request_seq += 1
            return f"{int(self.now() * 1000)}{self._request_seq:05d}"

    # --- orders -----------------------------------------------------------------------------------------------

    def order(self, order_sn: str) -> dict[str, Any] | None:
        """The order as visible now (its newest version with updated_at ≤ now), or None."""
        with self.lock:
            version = self._visible(order_sn)
            return None if version is None else copy_order(version.order)

    def orders_updated_between(self, start: int, end: int) -> list[dict[str, Any]]:
        """Visible orders whose current ``updated_at`` is in ``[start, end]``, by (updated_at, order_sn)."""
        with self.lock:
            found = []
            for order_sn in self._orders:
                version = self._visible(order_sn)
                if version is not None and start <= version.updated_at <= end:
                    found.append((version.updated_at, order_sn, version.order))
            return [copy_order(order) for _, _, order in sorted(found, key=lambda item: (item[0], item[1]))]

    def orders_confirmed_between(self, start: int, end: int) -> list[dict[str, Any]]:
        """Visible orders whose 成交 time is in ``[start, end]``, by (confirm_time, order_sn)."""
        with self.lock:
            found = []
            for order_sn in self._orders:
                version = self._visible(order_sn)
                if version is None:
                    continue
                confirmed = epoch_of_beijing(version.order["confirm_time"])
                if confirmed is not None and start <= confirmed <= end:
                    found.append((confirmed, order_sn, version.order))
            return [copy_order(order) for _, _, order in sorted(found, key=lambda item: (item[0], item[1]))]

    def visible_order_sns(self) -> list[str]:
        with self.lock:
            return sorted(sn for sn in self._orders if self._visible(sn) is not None)

    def add_order(self, order: Mapping[str, Any]) -> None:
        """Add an order (or a new version of one) exactly as given; it is visible from its ``updated_at``."""
        updated = epoch_of_beijing(order["updated_at"])
        if updated is None:
            raise ValueError("an order needs an updated_at")
        with self.lock:
            versions = self._orders.setdefault(str(order["order_sn"]), [])
            versions.append(OrderVersion(updated, copy_order(dict(order))))
            versions.sort(key=lambda version: version.updated_at)

    def update_order(self, order_sn: str, **changes: Any) -> dict[str, Any]:
        """A new version of a visible order at the simulator's now, with ``changes`` applied; returns it.

        Versions the generator scripted for later moments stay and still replace this one when their time comes.
        """
        with self.lock:
            version = self._visible(order_sn)
            if version is None:
                raise KeyError(order_sn)
            now = int(self.now())
            order = {**copy_order(version.order), **changes, "updated_at": beijing(now)}
            self._orders[order_sn].append(OrderVersion(now, order))
            self._orders[order_sn].sort(key=lambda v: v.updated_at)
            return copy_order(order)

    def poison_order(self, order_sn: str, **changes: Any) -> dict[str, Any]:
        """A new version of a visible order, at the simulator's now, that cannot be mapped: its first line's
        goods_count is not a number (or ``changes`` break it another way, e.g. ``goods_amount="12.345"``)."""
        with self.lock:
            version = self._visible(order_sn)
            if version is None:
                raise KeyError(order_sn)
            broken = copy_order(version.order)
        if changes:
            broken.update(changes)
        else:
            poison(broken)
        broken.pop("order_sn")
        return self.update_order(order_sn, **broken)

    def record_shipment(self, shipment: ShipmentRecord) -> dict[str, Any]:
        """Apply an accepted online.send: a new version, 已发货, carrier and number set, receiver ciphertext gone
        (PDD hands out ciphertext only while 待发货).

        A shipment through the gateway rewrites the order's future: the generator scripted its later versions and
        after-sales changes for a shop where this shipment did not happen, so they are dropped.
        """
        with self.lock:
            self.shipments.append(shipment)
            self._drop_scripted_future(shipment.order_sn)
            shipped = self.update_order(
                shipment.order_sn,
                order_status=2,
                shipping_time=beijing(shipment.at),
                logistics_id=shipment.logistics_id,
                tracking_number=shipment.tracking_number,
                receiver_name="",
                receiver_phone="",
                receiver_address="",
                address="",
            )
            self._changed()
            return shipped

    def record_extra_logistics(self, record: ExtraLogisticsRecord, list_key: str) -> dict[str, Any]:
        """Apply an accepted extra-waybill upload: a new version of the order listing the waybills under
        ``list_key`` (``extra_delivery_list``, ``resend_delivery_list`` or ``gift_delivery_list``), each once; no new
        version when it lists them all already. Returns the order as visible now.

        Unlike a shipment, extra waybills do not change where the order goes next, so the versions scripted for later
        moments stay and get the waybills too.
        """
        entries = [{"logistics_id": sid, "tracking_number": number} for sid, number in record.parcels]
        with self.lock:
            self.extra_logistics.append(record)
            now = self.now()
            versions = self._orders[record.order_sn]
            for index, version in enumerate(versions):
                if version.updated_at > now:
                    order = copy_order(version.order)
                    order[list_key] = _with_entries(order.get(list_key) or [], entries)
                    versions[index] = OrderVersion(version.updated_at, order)
            current = self.order(record.order_sn)
            assert current is not None
            listed = _with_entries(current.get(list_key) or [], entries)
            if listed == current.get(list_key):
                return current
            return self.update_order(record.order_sn, **{list_key: listed})

    def record_refund_decision(
        self,
        decision: RefundDecisionRecord,
        steps: Sequence[tuple[int, Mapping[str, Any], Mapping[str, Any]]],
    ) -> None:
        """Apply an accepted merchant decision: each step ``(moment, case changes, order changes)`` becomes a new
        version of the case and of its order at that moment (the first at now, later ones appear as the clock
        passes them).

        Like a shipment, a decision rewrites the future: the versions the generator scripted for the case and its
        order after now are dropped.
        """
        with self.lock:
            now = self.now()
            self.refund_decisions.append(decision)
            case_versions = [c for c in self._refunds[decision.after_sales_id] if c.updated_at <= now]
            order_versions = [v for v in self._orders.get(decision.order_sn, []) if v.updated_at <= now]
            for moment, case_changes, order_changes in steps:
                case_versions.append(replace(case_versions[-1], updated_at=moment, **case_changes))
                if order_versions:
                    order = {**copy_order(order_versions[-1].order), **order_changes, "updated_at": beijing(moment)}
                    order_versions.append(OrderVersion(moment, order))
            self._refunds[decision.after_sales_id] = case_versions
            if order_versions:
                self._orders[decision.order_sn] = order_versions

    def _drop_scripted_future(self, order_sn: str) -> None:
        now = self.now()
        self._orders[order_sn] = [v for v in self._orders[order_sn] if v.updated_at <= now]
        for case_id, versions in list(self._refunds.items()):
            if versions[0].order_sn != order_sn:
                continue
            kept = [case for case in versions if case.updated_at <= now]
            if kept:
                self._refunds[case_id] = kept
            else:
                del self._refunds[case_id]

    def _visible(self, order_sn: str) -> OrderVersion | None:
        versions = self._orders.get(order_sn)
        if not versions:
            return None
        index = bisect.bisect_right([v.updated_at for v in versions], self.now()) - 1
        return versions[index] if index >= 0 else None

    # --- after-sales ------------------------------------------------------------------------------------------

    def refund_cases_updated_between(self, start: int, end: int) -> list[RefundCase]:
        """Visible cases whose current update time is in ``[start, end]``, by (updated_at, id)."""
        with self.lock:
            found = [case for case in self._visible_cases() if start <= case.updated_at <= end]
            return sorted(found, key=lambda case: (case.updated_at, case.id))

    def refund_cases_of(self, order_sn: str) -> list[RefundCase]:
        with self.lock:
            return sorted((c for c in self._visible_cases() if c.order_sn == order_sn), key=lambda c: c.id)

    def refund_case(self, after_sales_id: int) -> RefundCase | None:
        with self.lock:
            return next((case for case in self._visible_cases() if case.id == after_sales_id), None)

    def add_refund_case(self, case: RefundCase) -> None:
        with self.lock:
            self._refunds.setdefault(case.id, []).append(case)
            self._refunds[case.id].sort(key=lambda c: c.updated_at)

    def update_refund_case(self, after_sales_id: int, **changes: Any) -> RefundCase:
        with self.lock:
            current = self.refund_case(after_sales_id)
            if current is None:
                raise KeyError(after_sales_id)
            updated = replace(current, updated_at=int(self.now()), **changes)
            self._refunds[after_sales_id].append(updated)
            return updated

    def _visible_cases(self) -> Iterable[RefundCase]:
        now = self.now()
        for versions in self._refunds.values():
            seen = [case for case in versions if case.updated_at <= now]
            if seen:
                yield seen[-1]

    def return_address(self, address_id: int) -> SimReturnAddress | None:
        return next((address for address in self.return_addresses if address.id == address_id), None)

    def default_return_address(self) -> SimReturnAddress:
        return next((a for a in self.return_addresses if a.is_default), self.return_addresses[0])

    # --- apps and tokens --------------------------------------------------------------------------------------

    def issue_token(self, client_id: str) -> TokenRecord:
        """A fresh access/refresh token pair for the simulated shop, valid from now."""
        with self.lock:
            self._token_seq += 1
            now = int(self.now())
            stem = hashlib.sha256(f"{self.shop.config.seed}|{self._token_seq}".encode()).hexdigest()
            record = TokenRecord(
                access_token=f"sim{stem[:29]}",
                refresh_token=f"simr{stem[29:57]}",
                expires_at=now + self.token_ttl_s,
                refresh_expires_at=now + self.refresh_ttl_s,
                owner_id=str(self.shop.config.mall_id),
                owner_name=self.shop.config.mall_name,
                client_id=client_id,
            )
            self._tokens[record.access_token] = record
            self._refresh_tokens[record.refresh_token] = record.access_token
            self._changed()
            return record

    def token(self, access_token: str) -> TokenRecord | None:
        with self.lock:
            return self._tokens.get(access_token)

    def refresh(self, refresh_token: str, client_id: str) -> TokenRecord | None:
        """Exchange a valid refresh token for a new pair; the refresh token is used up. None if it is not valid."""
        with self.lock:
            access = self._refresh_tokens.get(refresh_token)
            old = self._tokens.get(access) if access else None
            if old is None or old.client_id != client_id or old.refresh_expires_at < self.now():
                return None
            del self._refresh_tokens[refresh_token]
            return self.issue_token(client_id)

    def grant_code(self, client_id: str) -> str | None:
        """The merchant agreed on the authorisation page: a one-time code for this app (None for an unknown app)."""
        with self.lock:
            if client_id not in self.apps:
                return None
            self._token_seq += 1
            code = "simc" + hashlib.sha256(f"{self.shop.config.seed}|code|{self._token_seq}".encode()).hexdigest()[:28]
            self._auth_codes[code] = client_id
            return code

    def redeem_code(self, code: str, client_id: str) -> TokenRecord | None:
        """``pdd.pop.auth.token.create``: a code is good once, for the app it was granted to."""
        with self.lock:
            if self._auth_codes.get(code) != client_id:
                return None
            del self._auth_codes[code]
            return self.issue_token(client_id)

    def expire_access_token(self, access_token: str) -> None:
        """Make a token expired as of now (calls with it get 10019 until it is refreshed)."""
        with self.lock:
            record = self._tokens[access_token]
            self._tokens[access_token] = replace(record, expires_at=int(self.now()) - 1)
            self._changed()

    def revoke_access_token(self, access_token: str) -> None:
        """Forget a token, as the platform does when the merchant cancels the authorisation or authorises again
        (calls with it get 20032; its refresh token no longer works either)."""
        with self.lock:
            record = self._tokens.pop(access_token)
            self._refresh_tokens.pop(record.refresh_token, None)
            self._changed()

    def tokens_snapshot(self) -> tuple[list[TokenRecord], dict[str, str], int]:
        """Every issued token, the refresh tokens still unused (→ their access token), and the issue counter: what
        a restarted simulator needs to honour them (``restore_tokens``)."""
        with self.lock:
            return list(self._tokens.values()), dict(self._refresh_tokens), self._token_seq

    def restore_tokens(self, tokens: Iterable[TokenRecord], refresh_tokens: Mapping[str, str], token_seq: int) -> None:
        """Honour the tokens an earlier run issued, alongside this run's; the counter moves past theirs so no new
        token repeats an old one."""
        with self.lock:
            for record in tokens:
                self._tokens[record.access_token] = record
            self._refresh_tokens.update(refresh_tokens)
            self._token_seq = max(self._token_seq, token_seq)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    # --- rate limits ------------------------------------------------------------------------------------------

    def set_rate_limit(self, api: str, calls: int, period_s: float) -> None:
        with self.lock:
            self.rate_limits[api] = (calls, period_s)

    def take_rate_slot(self, api: str, token: str) -> bool:
        """Count a call of ``api`` by ``token``; False when the sliding window is full (→ 70031)."""
        with self.lock:
            limit = self.rate_limits.get(api)
            if limit is None:
                return True
            calls, period = limit
            now = self.now()
            window = self._rate_windows.setdefault((api, token), deque())
            while window and window[0] <= now - period:
                window.popleft()
            if len(window) >= calls:
                return False
            window.append(now)
            return True

    # --- faults -----------------------------------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, code: int = 50001, api: str | None = None) -> None:
        """The next ``count`` matching calls answer ``error_response`` with ``code``."""
        self._queue(count, Fault("error", api, code=code))

    def http_error_next(self, count: int = 1, *, status: int = 502, api: str | None = None) -> None:
        """The next ``count`` matching calls answer HTTP ``status`` with a non-JSON body, like a broken proxy."""
        self._queue(count, Fault("http", api, http_status=status))

    def delay_next(
        self, count: int = 1, *, seconds: float, api: str | None = None, after_handling: bool = False
    ) -> None:
        """The next ``count`` matching calls are answered only after ``seconds`` of real time: before the API runs,
        or with ``after_handling`` after it ran (its effect is done, only the answer is late: a "lost" answer)."""
        self._queue(count, Fault("delay_after" if after_handling else "delay", api, seconds=seconds))

    def truncate_next(self, count: int = 1, *, api: str | None = None) -> None:
        """The next ``count`` matching calls run, then answer HTTP 200 with only the first half of their JSON."""
        self._queue(count, Fault("truncate", api))

    def rate_limit_next(self, count: int = 1, *, api: str | None = None) -> None:
        """The next ``count`` matching calls are throttled with 70031."""
        self._queue(count, Fault("error", api, code=70031))

    def expire_token_next(self, count: int = 1, *, api: str | None = None) -> None:
        """The next ``count`` matching calls answer 10019 whatever their token."""
        self._queue(count, Fault("error", api, code=10019))

    def take_fault(
        self, api: str, *, kinds: tuple[str, ...] = ("error", "http", "delay", "delay_after")
    ) -> Fault | None:
        """Remove and return the first queued fault of one of ``kinds`` that applies to a call of ``api``."""
        with self.lock:
            for fault in self._faults.queue:
                if fault.kind in kinds and (fault.api is None or fault.api == api):
                    self._faults.queue.remove(fault)
                    return fault
            return None

    def pending_faults(self) -> int:
        with self.lock:
            return len(self._faults.queue)

    def _queue(self, count: int, fault: Fault) -> None:
        with self.lock:
            self._faults.queue.extend([fault] * count)

    def record_call(self, record: CallRecord) -> None:
        with self.lock:
            self.calls.append(record)

    def calls_of(self, api: str) -> list[CallRecord]:
        with self.lock:
            return [call for call in self.calls if call.type == api]


def _with_entries(existing: list[dict[str, Any]], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``existing`` followed by the ``entries`` it does not hold yet (a waybill is listed once)."""
    merged = [dict(entry) for entry in existing]
    for entry in entries:
        if entry not in merged:
            merged.append(dict(entry))
    return merged
