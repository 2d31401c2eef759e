"""The signed PDD gateway client (pdd-reference §1, §2, §3, §4, §6).

One ``POST`` to the router per call: the method name in ``type``, the public parameters (``client_id``,
``timestamp`` in seconds, ``data_type=JSON``, ``version=V1``, ``access_token``), the business parameters, and the
MD5 ``sign`` over all of them, form-encoded. The answer is ``{"<name>_response": {...}}`` or
``{"error_response": {...}}``; ``pdd.refund.information.get`` answers at top level, and the two after-sales
agreements in a bare ``{"response": {...}}``.

Around that single call the client adds what every call leaving the process needs: a per-API rate limit, retries
with exponential backoff and full jitter on the codes that may pass (and on timeouts, network errors, HTTP 429/5xx),
one token refresh on 10019, and a clock calibrated against ``pdd.time.get`` so timestamps and sync windows are in
PDD time. Everything with time or randomness in it is injected, so tests run on a fake clock.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import orjson

from kuaifa.domain.platform import CallFailure
from kuaifa.platforms.pdd.backoff import FullJitterBackoff
from kuaifa.platforms.pdd.beijing_time import epoch_seconds, parse_beijing
from kuaifa.platforms.pdd.errors import (
    PddBusinessError,
    PddError,
    PddParamError,
    PddRateLimited,
    PddTokenExpired,
    PddTransportError,
    error_from_response,
)
from kuaifa.platforms.pdd.http import HttpPost, HttpTimeout, HttpTransportFailure, PooledHttp
from kuaifa.platforms.pdd.ratelimit import DEFAULT_RATE_LIMITS, SlidingWindowLimiter
from kuaifa.platforms.pdd.responses import (
    ExtraTrackType,
    LogisticsCompany,
    OrderPage,
    OrderStatusRow,
    RefundDecisionResult,
    RefundPage,
    ReturnAddress,
    ShipResult,
    TokenGrant,
)
from kuaifa.platforms.pdd.signing import encode_params, sign

logger = logging.getLogger(__name__)

GATEWAY_URL = "https://gw-api.pinduoduo.com/api/router"
PUBLIC_PARAMS = frozenset({"type", "client_id", "timestamp", "sign", "access_token", "data_type", "version"})
#: APIs that answer with the fields at top level instead of a ``<name>_response`` wrapper (§1.4).
TOP_LEVEL_RESPONSE_TYPES = frozenset({"pdd.refund.information.get"})
#: APIs that answer in a plain ``response`` wrapper (the SDKs' PddRefundAgreeResponse, ...ReturngoodsAgreeResponse).
BARE_RESPONSE_TYPES = frozenset({"pdd.refund.agree", "pdd.refund.returngoods.agree", "pdd.refund.exchange.shipping"})
#: APIs called with the app's credentials only: they mint the merchant token, so they cannot send one.
TOKENLESS_TYPES = frozenset({"pdd.pop.auth.token.create", "pdd.pop.auth.token.refresh"})

INCREMENT_WINDOW_S = 30 * 60  # §2.1: pdd.order.number.list.increment.get and refunds, by updated_at
CONFIRM_WINDOW_S = 24 * 3600  # §2.1: pdd.order.list.get, by confirm time
MAX_PAGE_SIZE = 100
ALL_STATUSES = 5  # order_status / refund_status filter value meaning 全部
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DEFAULT_TIMEOUT = 5.0  # seconds; the official SDK caps connect and socket timeouts at 5 s (§1.1)
#: after_sales_status (§4.2) where pdd.refund.agree has nothing left to do: 4 商家同意退款 / 5 平台同意退款 (退款中),
#: 10 退款成功
REFUND_AGREED_STATUSES = frozenset({4, 5, 10})
#: where pdd.refund.returngoods.agree has nothing left to do: 7 已同意退货退款,待用户发货; or refunding / refunded
#: with the buyer's return waybill on the case (the agreed return went ahead)
RETURN_AGREED_STATUS = 7
#: where pdd.refund.exchange.shipping has nothing left to do: the replacement went out (18 换货补寄待用户确认完成)
#: or the exchange is done (16 换货补寄成功). Not 15 换货补寄待用户处理: that is also the buyer's turn to send the
#: goods back, before any replacement
REPLACEMENT_SHIPPED_STATUSES = frozenset({16, 18})


class ShipmentConflict(PddBusinessError):
    """A first shipment was refused because the order is already shipped with another carrier or number.

    The upload must not be retried as is: a person decides between the two tracking numbers (or sends a
    ``redelivery_type=2`` correction).
    """

    def __init__(self, cause: PddError, *, order_sn: str, logistics_id: int, tracking_number: str) -> None:
        super().__init__(cause.code, cause.msg, cause.sub_code, cause.sub_msg, cause.request_id)
        self.order_sn = order_sn
        self.platform_logistics_id = logistics_id
        self.platform_tracking_number = tracking_number


class RefundDecisionRefused(PddBusinessError):
    """The platform refused an agreement on an after-sales case, and the case does not stand where the agreement
    leads: e.g. it is closed (9, 11, 12, 13), waits on the buyer or the platform, or is another type of case.

    ``after_sales_status`` is the case's status as read after the refusal; the platform's code, message and
    sub_code are kept. A person (or the sync that reads the case) decides what happens next; do not retry as is.
    """

    def __init__(
        self, cause: PddError, *, api: str, order_sn: str, after_sales_id: str, after_sales_status: int
    ) -> None:
        detail = (
            f"{api} refused for case {after_sales_id} of {order_sn}, now at after_sales_status {after_sales_status}"
        )
        sub_msg = f"{cause.sub_msg}; {detail}" if cause.sub_msg else detail
        super().__init__(cause.code, cause.msg, cause.sub_code, sub_msg, cause.request_id)
        self.api = api
        self.order_sn = order_sn
        self.after_sales_id = after_sales_id
        self.after_sales_status = after_sales_status


class PddClient:
    """A client for one app (``client_id``/``client_secret``) acting for one merchant (``access_token``).

    ``rate_limits`` maps API names (or ``"*"``) to ``(calls, period_s)``; None means the published limits
    (:data:`~kuaifa.platforms.pdd.ratelimit.DEFAULT_RATE_LIMITS`); a mapping given replaces them.
    ``token_refresher`` is called once when the gateway says 10019 and must return the new access token.
    ``rng`` is the jitter source of the backoff. ``http`` posts the calls (by default a
    :class:`~kuaifa.platforms.pdd.http.PooledHttp` of the client's own, closed with it); ``timeout`` is in seconds,
    for connecting and for each read of the answer.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        access_token: str | None,
        *,
        base_url: str = GATEWAY_URL,
        http: HttpPost | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rate_limits: Mapping[str, tuple[int, float]] | None = None,
        max_retries: int = 5,
        timeout: float = DEFAULT_TIMEOUT,
        token_refresher: Callable[[], str] | None = None,
        rng: random.Random | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be ≥ 0")
        self.client_id = client_id
        self._client_secret = client_secret
        self.access_token = access_token
        self.base_url = base_url
        self.max_retries = max_retries
        self.timeout = timeout
        self._owns_http = http is None
        self._http: HttpPost = http if http is not None else PooledHttp()
        self._clock = clock
        self._sleep = sleep
        self._token_refresher = token_refresher
        self._token_lock = threading.Lock()
        self._failure_hooks: list[Callable[[CallFailure], None]] = []
        self._backoff = FullJitterBackoff(base=backoff_base, cap=backoff_cap, rng=rng or random.Random())
        self._limiter = SlidingWindowLimiter(
            DEFAULT_RATE_LIMITS if rate_limits is None else rate_limits, clock=clock, sleep=sleep
        )
        self.clock_offset = 0.0

    # --- lifecycle --------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP connection pool if this client created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> PddClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def add_failure_hook(self, hook: Callable[[CallFailure], None]) -> None:
        """Call ``hook`` with every failed call, also those a retry or a token refresh then got through."""
        self._failure_hooks.append(hook)

    def _report(self, type_: str, error: PddError, *, retried: bool) -> None:
        http_status = getattr(error, "http_status", None)
        if isinstance(error, PddTransportError):
            code = f"http_{http_status}" if http_status else "transport"
        else:
            code = str(error.code)
        failure = CallFailure(type_, code, str(error)[:500], retried,
                              isinstance(error, PddRateLimited) or http_status == 429)  # fmt: skip
        for hook in self._failure_hooks:
            hook(failure)

    # --- the gateway call -------------------------------------------------------------------------------------

    def call(self, type_: str, **params: object) -> dict[str, Any]:
        """Call API ``type_`` with business ``params``; returns the inner ``<name>_response`` object.

        Retries retryable failures up to ``max_retries`` times with full-jitter backoff; refreshes the token once on
        10019 when a refresher is configured; raises a typed :class:`PddError` otherwise.
        """
        clash = PUBLIC_PARAMS.intersection(params)
        if clash:
            raise ValueError(f"{sorted(clash)} are public parameters set by the client, not business parameters")
        refreshed = False
        attempt = 0
        while True:
            self._limiter.acquire(type_)
            token = None if type_ in TOKENLESS_TYPES else self.access_token
            try:
                return self._call_once(type_, params, token)
            except PddTokenExpired as exc:
                if self._token_refresher is None or refreshed or token is None:
                    self._report(type_, exc, retried=False)
                    raise
                self._report(type_, exc, retried=True)
                refreshed = True
                self._refresh_after_expiry(token)
            except PddError as exc:
                if not exc.retryable or attempt >= self.max_retries:
                    self._report(type_, exc, retried=False)
                    raise
                self._report(type_, exc, retried=True)
                delay = self._backoff.delay(attempt)
                attempt += 1
                logger.warning("PDD %s failed (%s); retry %d/%d in %.2fs", type_, exc, attempt, self.max_retries, delay)
                self._sleep(delay)

    def _call_once(self, type_: str, params: Mapping[str, object], token: str | None) -> dict[str, Any]:
        wire = encode_params(
            {
                **params,
                "type": type_,
                "client_id": self.client_id,
                "timestamp": str(int(self.platform_now())),
                "data_type": "JSON",
                "version": "V1",
                "access_token": token,
            }
        )
        wire["sign"] = sign(wire, self._client_secret)
        try:
            answer = self._http.post(self.base_url, urlencode(wire).encode(), _FORM, self.timeout)
        except HttpTimeout as exc:
            raise PddTransportError(f"timeout calling {type_}: {exc}", retryable=True) from exc
        except HttpTransportFailure as exc:
            raise PddTransportError(f"network error calling {type_}: {exc}", retryable=True) from exc
        status = answer.status
        if status == 429 or status >= 500:
            raise PddTransportError(f"HTTP {status} from the gateway for {type_}", retryable=True, http_status=status)
        if status != 200:
            raise PddTransportError(f"HTTP {status} from the gateway for {type_}", retryable=False, http_status=status)
        try:
            body = _decode(answer.body)
        except ValueError as exc:
            # a truncated or garbled answer (a proxy's error page, a cut connection) is passing: ask again
            raise PddTransportError(f"{type_} answered with a body that is not JSON", retryable=True) from exc
        if not isinstance(body, dict):
            raise PddTransportError(f"{type_} answered with JSON that is not an object", retryable=False)
        if "error_response" in body:
            raise error_from_response(body)
        return _unwrap(type_, body)

    def _refresh_after_expiry(self, expired_token: str) -> None:
        """Replace an expired token once, even when several threads saw 10019 for it at the same time."""
        assert self._token_refresher is not None
        with self._token_lock:
            if self.access_token != expired_token:
                return  # another thread already refreshed it
            logger.info("PDD access token expired; refreshing")
            self.access_token = self._token_refresher()

    # --- clock ------------------------------------------------------------------------------------------------

    def calibrate(self) -> float:
        """Measure PDD time with ``pdd.time.get`` and keep the offset; returns it in seconds (PDD − local).

        Timestamps must be within 10 minutes of PDD time, and sync windows must end ≤ PDD time − 3 min (§1.2, §6).
        The round trip's midpoint is taken as the moment the server read its clock.
        """
        before = self._clock()
        answer = self.call("pdd.time.get")
        after = self._clock()
        self.clock_offset = _platform_time(answer.get("time")) - (before + after) / 2
        return self.clock_offset

    def platform_now(self) -> float:
        """PDD time as epoch seconds: the injected clock plus the calibrated offset (0 before calibration)."""
        return self._clock() + self.clock_offset

    def platform_datetime(self) -> datetime:
        """PDD time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.platform_now(), UTC)

    # --- orders -----------------------------------------------------------------------------------------------

    def increment_orders(
        self,
        start: datetime | float,
        end: datetime | float,
        page: int,
        page_size: int = MAX_PAGE_SIZE,
        use_has_next: bool = True,
        *,
        order_status: int = ALL_STATUSES,
        refund_status: int = ALL_STATUSES,
    ) -> OrderPage:
        """``pdd.order.number.list.increment.get``: full orders whose ``updated_at`` is in ``[start, end]``.

        The window may span at most 30 minutes. Walk pages from the last to the first (ask once with
        ``use_has_next=False`` for ``total_count``): an order updated meanwhile leaves the window and only shifts
        pages not yet read.
        """
        start_s, end_s = _window(start, end, INCREMENT_WINDOW_S, "pdd.order.number.list.increment.get")
        _check_page(page, page_size)
        answer = self.call(
            "pdd.order.number.list.increment.get",
            start_updated_at=start_s,
            end_updated_at=end_s,
            order_status=order_status,
            refund_status=refund_status,
            page=page,
            page_size=page_size,
            use_has_next=use_has_next,
        )
        return _order_page(answer, "order_sn_list")

    def list_orders(
        self,
        start_confirm: datetime | float,
        end_confirm: datetime | float,
        page: int,
        page_size: int = MAX_PAGE_SIZE,
        use_has_next: bool = True,
        *,
        order_status: int = ALL_STATUSES,
        refund_status: int = ALL_STATUSES,
    ) -> OrderPage:
        """``pdd.order.list.get``: orders by 成交 (confirm) time in a window of at most 24 h, for reconciliation."""
        start_s, end_s = _window(start_confirm, end_confirm, CONFIRM_WINDOW_S, "pdd.order.list.get")
        _check_page(page, page_size)
        answer = self.call(
            "pdd.order.list.get",
            start_confirm_at=start_s,
            end_confirm_at=end_s,
            order_status=order_status,
            refund_status=refund_status,
            page=page,
            page_size=page_size,
            use_has_next=use_has_next,
        )
        return _order_page(answer, "order_list")

    def order_information(self, order_sn: str) -> dict[str, Any]:
        """``pdd.order.information.get``: one full order object (orders of the last 3 months; else 45001)."""
        answer = self.call("pdd.order.information.get", order_sn=order_sn)
        info = answer.get("order_info")
        if not isinstance(info, dict):
            raise PddTransportError(f"order_info missing in the answer for {order_sn}", retryable=False)
        return info

    def order_statuses(self, order_sns: Sequence[str]) -> list[OrderStatusRow]:
        """``pdd.order.status.get``: the shipping and refund axes of several orders (0 = 异常/unknown)."""
        answer = self.call("pdd.order.status.get", order_sns=",".join(order_sns))
        return [
            OrderStatusRow(
                order_sn=str(row.get("orderSn") or row.get("order_sn") or ""),
                order_status=int(row.get("order_status") or 0),
                refund_status=int(row.get("refund_status") or 0),
            )
            for row in answer.get("order_status_list") or []
        ]

    # --- logistics --------------------------------------------------------------------------------------------

    def logistics_companies(self) -> list[LogisticsCompany]:
        """``pdd.logistics.companies.get``: carrier ids, codes and whether shipping with them is supported."""
        answer = self.call("pdd.logistics.companies.get")
        return [
            LogisticsCompany(
                id=int(row["id"]),
                name=str(row.get("logistics_company") or ""),
                code=str(row.get("code") or ""),
                available=int(row.get("available") or 0) == 1,
            )
            for row in answer.get("logistics_companies") or []
        ]

    def online_send(
        self,
        order_sn: str,
        logistics_id: int,
        tracking_number: str,
        redelivery_type: int = 1,
        *,
        refund_address_id: int | None = None,
        feature: str | None = None,
    ) -> ShipResult:
        """``pdd.logistics.online.send``: mark the order shipped with a supported carrier id and tracking number.

        ``redelivery_type`` 1 is the first shipment (only for 待发货), 2 overwrites the shipment of a shipped order.
        A refused first shipment is checked against the order: if it already carries this carrier and number (a
        retry whose first answer was lost), the result says ``already_shipped``; if it carries another, the error
        is a :class:`ShipmentConflict`.
        """
        if not tracking_number.strip():
            raise ValueError(f"a shipment of {order_sn} needs a tracking number")
        try:
            answer = self.call(
                "pdd.logistics.online.send",
                order_sn=order_sn,
                logistics_id=logistics_id,
                tracking_number=tracking_number,
                redelivery_type=redelivery_type,
                refund_address_id=refund_address_id,
                feature=feature,
            )
        except (PddBusinessError, PddParamError) as exc:
            if redelivery_type != 1:
                raise
            return self._recognise_earlier_shipment(exc, order_sn, logistics_id, tracking_number)
        if answer.get("is_success") is not True:
            raise PddBusinessError(0, f"online.send for {order_sn} answered is_success={answer.get('is_success')!r}")
        return ShipResult(order_sn=order_sn, logistics_id=logistics_id, tracking_number=tracking_number)

    def _recognise_earlier_shipment(
        self, refusal: PddError, order_sn: str, logistics_id: int, tracking_number: str
    ) -> ShipResult:
        try:
            order = self.order_information(order_sn)
        except PddError as lookup:  # a passing failure of the check must stay retryable, not become the refusal
            raise (lookup if lookup.retryable else refusal) from refusal
        if int(order.get("order_status") or 0) == 1:
            raise refusal  # not shipped: the refusal has another reason
        platform_logistics = int(order.get("logistics_id") or 0)
        platform_tracking = str(order.get("tracking_number") or "")
        if platform_logistics == logistics_id and platform_tracking == tracking_number:
            return ShipResult(order_sn, logistics_id, tracking_number, already_shipped=True)
        raise ShipmentConflict(
            refusal, order_sn=order_sn, logistics_id=platform_logistics, tracking_number=platform_tracking
        ) from refusal

    def upload_extra_logistics(
        self, order_sn: str, extra_track_type: ExtraTrackType | int, parcels: Sequence[tuple[int, str]]
    ) -> bool:
        """``pdd.order.upload.extra.logistics``: waybills besides the main one, shown to the buyer only.

        ``extra_track_type`` is 1 分包发货 (more parcels of the order), 2 补发商品 (goods sent again) or 3 发放赠品
        (a gift); ``parcels`` are ``(shipping_id, tracking_number)`` with ``shipping_id`` a supported carrier id as in
        :meth:`logistics_companies`. Only a shipped order takes them; the order object then lists them in
        ``extra_delivery_list``, ``resend_delivery_list`` or ``gift_delivery_list``. ``extra_track_list`` goes as one
        JSON-string parameter (§1.3). Returns the platform's ``success``.
        """
        track_type = ExtraTrackType(extra_track_type)
        if not parcels:
            raise ValueError(f"extra logistics for {order_sn} need at least one waybill")
        tracks = []
        for shipping_id, tracking_number in parcels:
            if not str(tracking_number).strip():
                raise ValueError(f"an extra waybill of {order_sn} needs a tracking number")
            tracks.append({"shipping_id": int(shipping_id), "tracking_number": str(tracking_number).strip()})
        answer = self.call(
            "pdd.order.upload.extra.logistics",
            order_sn=order_sn,
            extra_track_type=int(track_type),
            extra_track_list=tracks,
        )
        return answer.get("success") is True

    # --- after-sales ------------------------------------------------------------------------------------------

    def refund_increment(
        self,
        start: datetime | float,
        end: datetime | float,
        page: int,
        page_size: int = MAX_PAGE_SIZE,
        *,
        after_sales_status: int = 1,
        after_sales_type: int = 1,
        order_sn: str | None = None,
    ) -> RefundPage:
        """``pdd.refund.list.increment.get``: after-sales cases updated in a window of at most 30 minutes.

        ``after_sales_type`` and the records' type use the *list* coding (1 全部, 2 仅退款 … 6 维修); amounts are
        yuan strings. ``order_sn``, when given, returns every case of that order and the other filters are ignored.
        """
        start_s, end_s = _window(start, end, INCREMENT_WINDOW_S, "pdd.refund.list.increment.get")
        _check_page(page, page_size)
        answer = self.call(
            "pdd.refund.list.increment.get",
            start_updated_at=start_s,
            end_updated_at=end_s,
            after_sales_status=after_sales_status,
            after_sales_type=after_sales_type,
            order_sn=order_sn,
            page=page,
            page_size=page_size,
        )
        return RefundPage(
            refunds=list(answer.get("refund_list") or []),
            total_count=int(answer.get("total_count") or 0),
            page=page,
            page_size=page_size,
        )

    def refund_information(self, order_sn: str, after_sales_id: int | str) -> dict[str, Any]:
        """``pdd.refund.information.get``: one case in full, at top level; type coded 1..5, amounts in fen,
        ``expire_time`` while it waits on the merchant."""
        return self.call("pdd.refund.information.get", order_sn=order_sn, after_sales_id=after_sales_id)

    def refund_status_check(self, order_sns: Sequence[str]) -> set[str]:
        """``pdd.refund.status.check``: which of these orders have an after-sales case (check before shipping)."""
        answer = self.call("pdd.refund.status.check", order_sns=",".join(order_sns))
        return {str(row["order_sn"]) for row in answer.get("order_sns_exists_refund") or []}

    def agree_refund(self, order_sn: str, after_sales_id: int | str, *, note: str = "") -> RefundDecisionResult:
        """``pdd.refund.agree``: the merchant agrees to refund a case that waits on them for it (§4.1, §4.2).

        That is a 仅退款 case at 2 (or a 退货退款 case refunded without or after the return); the case moves to 4
        商家同意退款，退款中 and then to 10 退款成功. ``note`` is the merchant's ``operate_desc``. The ``request``
        object goes as one JSON-string parameter (§1.3).

        A refusal is checked against the case (``refund_information``): if it already stands at 4, 5 or 10, an
        earlier agreement went through (e.g. a retry whose first answer was lost) and the result says ``already``;
        otherwise :class:`RefundDecisionRefused` carries the case's status. If the case cannot be read, the refusal
        itself is raised.
        """
        request: dict[str, object] = {"after_sales_id": _after_sales_id(after_sales_id), "order_sn": order_sn}
        if note:
            request["operate_desc"] = note
        return self._decide("pdd.refund.agree", request, order_sn, after_sales_id, _refund_agreed)

    def agree_return(
        self, order_sn: str, after_sales_id: int | str, return_address_id: int | str, *, note: str = ""
    ) -> RefundDecisionResult:
        """``pdd.refund.returngoods.agree``: the merchant agrees that the buyer sends the goods back (退货退款 at 3).

        ``return_address_id`` is one of :meth:`return_addresses`. The case moves to 7 已同意退货退款，待用户发货; the
        refund follows later with :meth:`agree_refund` once the goods are back. A refusal is checked against the case
        as in :meth:`agree_refund`: ``already`` when it stands at 7, or is refunding / refunded with the buyer's
        return waybill on it; :class:`RefundDecisionRefused` otherwise.
        """
        request: dict[str, object] = {
            "after_sales_id": _after_sales_id(after_sales_id),
            "order_sn": order_sn,
            "return_address_id": str(return_address_id),
        }
        if note:
            request["operate_desc"] = note
        return self._decide("pdd.refund.returngoods.agree", request, order_sn, after_sales_id, _return_agreed)

    def exchange_shipping(
        self, order_sn: str, after_sales_id: int | str, shipping_id: int, shipping_name: str, tracking_number: str
    ) -> RefundDecisionResult:
        """``pdd.refund.exchange.shipping``: the replacement of a 换货 or 补寄 case left with this carrier and number
        (§4.1); the parameters go at top level. A refusal is checked against the case as in :meth:`agree_refund`:
        ``already`` when it stands past the shipment (16, 18); :class:`RefundDecisionRefused` otherwise."""
        api = "pdd.refund.exchange.shipping"
        number = str(tracking_number).strip()
        if not number:
            raise ValueError(f"the replacement of case {after_sales_id} needs a tracking number")
        case_id = str(after_sales_id)
        try:
            answer = self.call(
                api,
                after_sales_id=_after_sales_id(after_sales_id),
                order_sn=order_sn,
                shipping_id=int(shipping_id),
                shipping_name=shipping_name,
                tracking_number=number,
            )
        except PddError as exc:
            if not _is_refusal(exc):
                raise
            return self._recognise_earlier_decision(exc, api, order_sn, case_id, _replacement_shipped)
        refusal = _decision_refusal(api, answer)
        if refusal is not None:
            return self._recognise_earlier_decision(refusal, api, order_sn, case_id, _replacement_shipped)
        result = answer.get("result")
        message = str(result.get("message") or "") if isinstance(result, dict) else ""
        return RefundDecisionResult(order_sn, case_id, message=message)

    def return_addresses(self) -> list[ReturnAddress]:
        """``pdd.refund.address.list.get``: the shop's return addresses (退货地址库), the default one flagged."""
        answer = self.call("pdd.refund.address.list.get")
        return [
            ReturnAddress(
                id=int(row["id"]),
                name=str(row.get("refund_name") or ""),
                phone=str(row.get("refund_phone") or ""),
                province=str(row.get("province_name") or row.get("province") or ""),
                city=str(row.get("city_name") or row.get("city") or ""),
                district=str(row.get("district_name") or row.get("district") or ""),
                address=str(row.get("refund_address") or ""),
                is_default=str(row.get("is_default")).strip().lower() in ("1", "true"),
                tel=str(row.get("refund_tel") or ""),
                province_id=int(row.get("province_id") or 0),
                city_id=int(row.get("city_id") or 0),
                district_id=int(row.get("district_id") or 0),
            )
            for row in answer.get("refund_address_list") or []
        ]

    def _decide(
        self,
        api: str,
        request: Mapping[str, object],
        order_sn: str,
        after_sales_id: int | str,
        done: Callable[[Mapping[str, Any]], bool],
    ) -> RefundDecisionResult:
        case_id = str(after_sales_id)
        try:
            answer = self.call(api, request=dict(request))
        except PddError as exc:
            if not _is_refusal(exc):
                raise
            return self._recognise_earlier_decision(exc, api, order_sn, case_id, done)
        refusal = _decision_refusal(api, answer)
        if refusal is not None:
            return self._recognise_earlier_decision(refusal, api, order_sn, case_id, done)
        result = answer.get("result")
        message = str(result.get("message") or "") if isinstance(result, dict) else ""
        return RefundDecisionResult(order_sn, case_id, message=message)

    def _recognise_earlier_decision(
        self,
        refusal: PddError,
        api: str,
        order_sn: str,
        after_sales_id: str,
        done: Callable[[Mapping[str, Any]], bool],
    ) -> RefundDecisionResult:
        try:
            case = self.refund_information(order_sn, after_sales_id)
            status = int(case.get("after_sales_status") or 0)
        except PddError as lookup:  # a passing failure of the check must stay retryable, not become the refusal
            raise (lookup if lookup.retryable else refusal) from refusal
        except (TypeError, ValueError):
            raise refusal from None
        if done(case):
            logger.info("PDD %s for case %s was refused; the case is already at %d", api, after_sales_id, status)
            return RefundDecisionResult(
                order_sn, after_sales_id, already=True, message=refusal.msg, after_sales_status=status
            )
        raise RefundDecisionRefused(
            refusal, api=api, order_sn=order_sn, after_sales_id=after_sales_id, after_sales_status=status
        ) from refusal

    # --- tokens -----------------------------------------------------------------------------------------------

    def create_access_token(self, code: str) -> TokenGrant:
        """``pdd.pop.auth.token.create``: the merchant's tokens for the code the authorisation page gave back."""
        return _grant(self.call("pdd.pop.auth.token.create", code=code))

    def refresh_access_token(self, refresh_token: str) -> TokenGrant:
        """``pdd.pop.auth.token.refresh``: new access and refresh tokens. Does not change this client's token."""
        return _grant(self.call("pdd.pop.auth.token.refresh", refresh_token=refresh_token))


def _grant(answer: dict[str, Any]) -> TokenGrant:
    return TokenGrant(
        access_token=str(answer["access_token"]),
        refresh_token=str(answer.get("refresh_token") or ""),
        expires_at=int(answer.get("expires_at") or 0),
        refresh_token_expires_at=int(answer.get("refresh_token_expires_at") or 0),
        owner_id=str(answer.get("owner_id") or ""),
        owner_name=str(answer.get("owner_name") or ""),
        scope=tuple(str(s) for s in answer.get("scope") or ()),
        raw=answer,
    )


def _decode(body: bytes) -> Any:
    """The answer's JSON, read as UTF-8 (what the gateway sends) whatever charset the answer declares. orjson reads
    it several times faster than ``json``; what orjson refuses (NaN, a lone surrogate escape) is read by ``json``
    (which also takes a UTF-8 byte order mark, or UTF-16/32 told by the first bytes). Integers are exact over the
    platform's Java ``Long`` range (orjson reads up to 64-bit unsigned exactly; beyond it, a float). Raises
    ValueError when the body is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _unwrap(type_: str, body: dict[str, Any]) -> dict[str, Any]:
    """The inner object of a success envelope; the whole body for APIs that answer at top level."""
    if type_ in TOP_LEVEL_RESPONSE_TYPES:
        return body
    if type_ in BARE_RESPONSE_TYPES and isinstance(body.get("response"), dict):
        bare: dict[str, Any] = body["response"]
        return bare
    wrappers = [key for key in body if key.endswith("_response")]
    if len(wrappers) == 1 and isinstance(body[wrappers[0]], dict):
        inner: dict[str, Any] = body[wrappers[0]]
        return inner
    raise PddTransportError(
        f"{type_} answered without a single <name>_response object: {sorted(body)}", retryable=False
    )


def _after_sales_id(value: int | str) -> int:
    """The case id as the ``request`` object's Long."""
    text = str(value).strip()
    if not text.isdigit():
        raise ValueError(f"an after_sales_id is a number, not {value!r}")
    return int(text)


def _is_refusal(error: PddError) -> bool:
    """A refusal of this request by the platform: a business error, or a code the client does not know."""
    return isinstance(error, PddBusinessError) or type(error) is PddError


def _decision_refusal(api: str, answer: Mapping[str, Any]) -> PddError | None:
    """A success envelope that says the decision failed (``succ``/``success`` false), as a business error."""
    result = answer.get("result")
    result = result if isinstance(result, dict) else {}
    flags = [answer.get("success"), result.get("succ"), result.get("success")]
    if any(flag is True for flag in flags) and not any(flag is False for flag in flags):
        return None
    raw_code = answer.get("error_code")
    code = int(raw_code) if isinstance(raw_code, int | str) and str(raw_code).isdigit() else 0
    message = str(answer.get("error_msg") or result.get("message") or f"{api} answered without success")
    return PddBusinessError(code, message)


def _refund_agreed(case: Mapping[str, Any]) -> bool:
    return int(case.get("after_sales_status") or 0) in REFUND_AGREED_STATUSES


def _return_agreed(case: Mapping[str, Any]) -> bool:
    status = int(case.get("after_sales_status") or 0)
    return status == RETURN_AGREED_STATUS or (status in REFUND_AGREED_STATUSES and bool(case.get("express_no")))


def _replacement_shipped(case: Mapping[str, Any]) -> bool:
    return int(case.get("after_sales_status") or 0) in REPLACEMENT_SHIPPED_STATUSES


def _window(start: datetime | float, end: datetime | float, max_seconds: int, api: str) -> tuple[int, int]:
    start_s, end_s = epoch_seconds(start), epoch_seconds(end)
    if end_s <= start_s:
        raise ValueError(f"{api}: the window must end after it starts ({start_s} … {end_s})")
    if end_s - start_s > max_seconds:
        raise ValueError(f"{api}: the window may span at most {max_seconds} s, not {end_s - start_s} s")
    return start_s, end_s


def _check_page(page: int, page_size: int) -> None:
    if page < 1:
        raise ValueError(f"pages are numbered from 1, not {page}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")


def _order_page(answer: Mapping[str, Any], list_key: str) -> OrderPage:
    total = answer.get("total_count")
    return OrderPage(
        orders=list(answer.get(list_key) or []),
        has_next=bool(answer.get("has_next")),
        total_count=None if total is None else int(total),
    )


def _platform_time(value: object) -> float:
    """``pdd.time.get``'s ``time``: a Beijing time string; epoch seconds or milliseconds are accepted too."""
    if isinstance(value, str) and not value.isdigit():
        moment = parse_beijing(value)
        if moment is None:
            raise PddTransportError("pdd.time.get answered an empty time", retryable=False)
        return moment.timestamp()
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        number = float(value)
        return number / 1000 if number > 1e11 else number
    raise PddTransportError(f"pdd.time.get answered an unreadable time {value!r}", retryable=False)
