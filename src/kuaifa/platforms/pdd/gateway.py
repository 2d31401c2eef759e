"""PDD behind the :class:`kuaifa.domain.platform.SalesPlatform` port.

Wraps :class:`PddClient`: pages walked as the platform's anti-miss recipe says, objects mapped to canonical orders,
and every PDD error turned into a :class:`PlatformError` whose ``code`` and ``retryable`` tell services what to do
(back off, refresh, ask a person) without importing this package.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from kuaifa.domain.aftersales.canonical import CanonicalCase
from kuaifa.domain.orders.canonical import CanonicalOrder
from kuaifa.domain.platform import (
    CallFailure,
    Carrier,
    Fetched,
    HeldCopies,
    PlatformError,
    RecordUnreadable,
    ShipAck,
    Unmapped,
)
from kuaifa.platforms.pdd.beijing_time import parse_beijing
from kuaifa.platforms.pdd.client import MAX_PAGE_SIZE, PddClient, ShipmentConflict
from kuaifa.platforms.pdd.errors import (
    PddAuthError,
    PddBannedError,
    PddError,
    PddOrderNotFound,
    PddRateLimited,
    PddTokenExpired,
)
from kuaifa.platforms.pdd.increment import fetch_window, newest_per_order
from kuaifa.platforms.pdd.mapping import OrderMappingError, order_from_pdd
from kuaifa.platforms.pdd.refund_mapping import RefundMappingError, case_from_detail, case_from_list, merge

T = TypeVar("T")


def _code(error: PddError) -> str:
    if isinstance(error, ShipmentConflict):
        return "platform.shipment_conflict"
    if isinstance(error, PddRateLimited):
        return "platform.rate_limited"
    if isinstance(error, PddTokenExpired | PddAuthError):
        return "platform.authorization"
    if isinstance(error, PddBannedError):
        return "platform.banned"
    if isinstance(error, PddOrderNotFound) or "NOT_FOUND" in str(error.sub_code or "").upper():
        return "platform.not_found"
    return "platform.unavailable" if error.retryable else "platform.refused"


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except PddError as error:
        code = getattr(error, "code", "")
        raise PlatformError(str(error), code=_code(error), retryable=error.retryable,
                            platform_code=str(code)) from error  # fmt: skip
    except (OrderMappingError, RefundMappingError) as error:
        raise PlatformError(str(error), code="platform.bad_payload", retryable=False) from error


def _record_key(record: object, *names: str) -> str:
    """The platform's key of a raw record (``order_sn``, ``id``), or a digest of it when it has none."""
    if isinstance(record, Mapping):
        for name in names:
            value = record.get(name)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()[:64]
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()
    return f"sha256:{digest[:24]}"


def _record_time(record: object) -> datetime | None:
    try:
        return parse_beijing(record.get("updated_at")) if isinstance(record, Mapping) else None
    except (ValueError, TypeError):
        return None


def unmapped_order(raw: Any, error: OrderMappingError) -> Unmapped:
    return Unmapped(_record_key(raw, "order_sn"), raw, error.code, str(error), _record_time(raw))


def map_order(raw: Any) -> CanonicalOrder:
    """One raw PDD order mapped, or :class:`RecordUnreadable` carrying it for the quarantine."""
    try:
        return order_from_pdd(raw)
    except OrderMappingError as error:
        raise RecordUnreadable(unmapped_order(raw, error)) from error


def map_case(raw: Any) -> CanonicalCase:
    """A stored after-sales record mapped again: ``{"list": …, "detail": …}``, either part optional."""
    try:
        if not isinstance(raw, Mapping) or not ({"list", "detail"} & raw.keys()):
            raise RefundMappingError("", "<record>", "expected a stored list and/or detail record")
        if "list" not in raw:
            return case_from_detail(raw["detail"])
        case = case_from_list(raw["list"])
        return merge(case, case_from_detail(raw["detail"])) if raw.get("detail") is not None else case
    except RefundMappingError as error:
        part = raw.get("list") or raw.get("detail") if isinstance(raw, Mapping) else raw
        key = error.after_sales_id or _record_key(part, "id", "after_sales_id")
        raise RecordUnreadable(Unmapped(key, raw, error.code, str(error), None)) from error


def _map_all(objects: Sequence[dict], held: HeldCopies | None = None) -> Fetched[CanonicalOrder]:
    """Each order on its own: one that does not map is set apart whole, the others are kept. Copies the caller
    already holds (``held``, asked once for all) are counted and not mapped."""
    skipped = 0
    if held is not None and objects:
        copies = {}
        for obj in objects:
            sn, moment = obj.get("order_sn") if isinstance(obj, Mapping) else None, _record_time(obj)
            if isinstance(sn, str) and sn and moment is not None:
                copies[sn] = moment
        known = held(list(copies.items())) if copies else ()
        if known:
            kept = [obj for obj in objects if not (isinstance(obj, Mapping) and obj.get("order_sn") in known)]
            skipped, objects = len(objects) - len(kept), kept
    fetched: Fetched[CanonicalOrder] = Fetched(skipped=skipped)
    for obj in objects:
        try:
            fetched.items.append(map_order(obj))
        except RecordUnreadable as unreadable:
            fetched.unmapped.append(unreadable.record)
    return fetched


class PddGateway:
    """A shop's view of PDD through one authorised client."""

    def __init__(self, client: PddClient) -> None:
        self.client = client
        self._failures: list[CallFailure] = []
        client.add_failure_hook(self._failures.append)

    def call_failures(self) -> list[CallFailure]:
        taken, self._failures[:] = list(self._failures), []
        return taken

    def map_order(self, raw: Any) -> CanonicalOrder:
        return map_order(raw)

    def map_case(self, raw: Any) -> CanonicalCase:
        return map_case(raw)

    def _call(self, fn: Callable[[], T]) -> T:
        with _translated():
            return fn()

    def platform_now(self) -> datetime:
        return datetime.fromtimestamp(self._call(self.client.platform_now), UTC)

    def calibrate(self) -> None:
        self._call(self.client.calibrate)

    def orders_updated(
        self, start: datetime, end: datetime, *, held: HeldCopies | None = None
    ) -> Fetched[CanonicalOrder]:
        return self._call(
            lambda: _map_all(fetch_window(self.client, int(start.timestamp()), int(end.timestamp())), held)
        )

    def orders_confirmed(self, start: datetime, end: datetime) -> Fetched[CanonicalOrder]:
        def walk() -> Fetched[CanonicalOrder]:
            collected: list[dict] = []
            page = 1
            while True:
                answer = self.client.list_orders(start, end, page=page, page_size=MAX_PAGE_SIZE)
                collected.extend(answer.orders)
                if not answer.has_next:
                    return _map_all(newest_per_order(collected))
                page += 1

        return self._call(walk)

    def order(self, order_sn: str) -> CanonicalOrder | None:
        try:
            return self._call(lambda: map_order(self.client.order_information(order_sn)))
        except PlatformError as error:
            if error.code == "platform.not_found":
                return None
            raise

    def ship(self, order_sn: str, logistics_id: int, tracking_number: str, *, correction: bool = False) -> ShipAck:
        result = self._call(
            lambda: self.client.online_send(order_sn, logistics_id, tracking_number, 2 if correction else 1)
        )
        return ShipAck(already=result.already_shipped)

    def orders_with_open_refund(self, order_sns: Sequence[str]) -> set[str]:
        return self._call(lambda: self.client.refund_status_check(list(order_sns)))

    def carriers(self) -> list[Carrier]:
        companies = self._call(self.client.logistics_companies)
        return [Carrier(c.id, c.name, c.code, c.available) for c in companies]

    def cases_updated(self, start: datetime, end: datetime) -> Fetched[CanonicalCase]:
        def walk() -> Fetched[CanonicalCase]:
            records: list[dict] = []
            page = 1
            while True:
                answer = self.client.refund_increment(start, end, page=page, page_size=MAX_PAGE_SIZE)
                records.extend(answer.refunds)
                if not answer.has_next:
                    break
                page += 1
            newest: dict[str, CanonicalCase] = {}
            unmapped: dict[str, Unmapped] = {}
            for record in records:
                try:
                    case = map_case({"list": record})
                except RecordUnreadable as unreadable:
                    unmapped[unreadable.record.key] = unreadable.record
                    continue
                if case.after_sales_id not in newest or case.updated_at >= newest[case.after_sales_id].updated_at:
                    newest[case.after_sales_id] = case
            fetched: Fetched[CanonicalCase] = Fetched(unmapped=list(unmapped.values()))
            # the deadline to act (expire_time) is only in the detail, and only while the case waits on us
            for case in newest.values():
                if not case.waiting_on_merchant:
                    fetched.items.append(case)
                    continue
                detail = self.client.refund_information(case.order_sn, case.after_sales_id)
                try:
                    fetched.items.append(merge(case, case_from_detail(detail)))
                except RefundMappingError as error:
                    listed = next(r for r in records if _record_key(r, "id") == case.after_sales_id)
                    fetched.unmapped.append(Unmapped(case.after_sales_id, {"list": listed, "detail": detail},
                                                     error.code, str(error), case.updated_at))  # fmt: skip
            return fetched

        return self._call(walk)

    def case(self, order_sn: str, after_sales_id: str) -> CanonicalCase | None:
        try:
            return self._call(lambda: map_case({"detail": self.client.refund_information(order_sn, after_sales_id)}))
        except PlatformError as error:
            if error.code == "platform.not_found":
                return None
            raise

    def agree_refund(self, order_sn: str, after_sales_id: str, *, note: str = "") -> ShipAck:
        result = self._call(lambda: self.client.agree_refund(order_sn, after_sales_id, note=note))
        return ShipAck(already=result.already)

    def agree_return(self, order_sn: str, after_sales_id: str, return_address_id: int, *, note: str = "") -> ShipAck:
        result = self._call(lambda: self.client.agree_return(order_sn, after_sales_id, return_address_id, note=note))
        return ShipAck(already=result.already)

    def upload_extra_parcels(self, order_sn: str, kind: int, parcels: Sequence[tuple[int, str]]) -> bool:
        return self._call(lambda: self.client.upload_extra_logistics(order_sn, kind, list(parcels)))

    def ship_replacement(
        self, order_sn: str, after_sales_id: str, logistics_id: int, carrier_name: str, tracking_number: str
    ) -> ShipAck:
        result = self._call(lambda: self.client.exchange_shipping(order_sn, after_sales_id, logistics_id, carrier_name,
                                                                  tracking_number))  # fmt: skip
        return ShipAck(already=result.already)
