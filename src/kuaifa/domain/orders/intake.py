"""Intake: what an incoming platform order does to the order we already hold.

Upserts are idempotent and keyed on shop + order number. The newest ``updated_at`` wins: an older copy of an order
never overwrites a newer one. Export files carry no update time; for them a copy that would move the platform's
shipping state backwards (e.g. 已发货 → 待发货, from an older file) is stale, anything else different is applied.

The platform's facts then move our status: a cancel or a refund before shipping cancels the order, a parcel the
platform reports shipped is SHIPPED, signed for is DELIVERED; a new platform reason not to ship (risk review,
ship_hold, after-sales) holds an order that had stock reserved, and a hold whose reasons all cleared goes back to
review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kuaifa.domain.orders.canonical import (
    CanonicalOrder,
    ConfirmStatus,
    PlatformOrderStatus,
    PlatformRefundStatus,
)
from kuaifa.domain.orders.review import PLATFORM_REASONS, SELF_CLEARING, HoldReason
from kuaifa.domain.orders.status import AFTER_SHIPMENT, OrderStatus


class IngestAction(StrEnum):
    CREATE = "created"
    UPDATE = "updated"
    UNCHANGED = "unchanged"
    STALE = "stale"


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """What we hold of an order, enough to decide an upsert."""

    fingerprint: str  # services.fingerprints: a digest of everything the platform said
    updated_at: datetime | None
    order_status: int
    refund_status: int
    confirm_status: int


def _progress(order_status: int, refund_status: int, confirm_status: int) -> tuple[int, int]:
    closed = refund_status == PlatformRefundStatus.REFUNDED or confirm_status == ConfirmStatus.CANCELLED
    return (order_status, int(closed))


def decide(stored: StoredVersion | None, incoming: CanonicalOrder, incoming_fingerprint: str) -> IngestAction:
    if stored is None:
        return IngestAction.CREATE
    if stored.fingerprint == incoming_fingerprint:
        return IngestAction.UNCHANGED
    if incoming.updated_at is not None and stored.updated_at is not None:
        return IngestAction.STALE if incoming.updated_at < stored.updated_at else IngestAction.UPDATE
    before = _progress(stored.order_status, stored.refund_status, stored.confirm_status)
    after = _progress(incoming.order_status, incoming.refund_status, incoming.confirm_status)
    return IngestAction.STALE if after < before else IngestAction.UPDATE


def is_cancelled_on_platform(order: CanonicalOrder) -> bool:
    if order.confirm_status == ConfirmStatus.CANCELLED:
        return True
    return (
        order.order_status == PlatformOrderStatus.AWAITING_SHIPMENT
        and order.refund_status == PlatformRefundStatus.REFUNDED
    )


def initial_status(order: CanonicalOrder) -> OrderStatus:
    """Status of an order we see for the first time."""
    if is_cancelled_on_platform(order):
        return OrderStatus.CANCELLED
    if order.order_status == PlatformOrderStatus.SHIPPED:
        return OrderStatus.SHIPPED
    if order.order_status == PlatformOrderStatus.RECEIVED:
        return OrderStatus.DELIVERED
    return OrderStatus.NEW


@dataclass(frozen=True, slots=True)
class StatusChange:
    """Where the platform's facts move an existing order, and the hold reasons it ends with."""

    path: tuple[OrderStatus, ...]  # successive targets, each an allowed transition from the one before
    hold_reasons: tuple[HoldReason, ...]


def follow_platform(
    current: OrderStatus,
    hold_reasons: tuple[HoldReason, ...],
    order: CanonicalOrder,
    platform_reasons: tuple[HoldReason, ...],
) -> StatusChange:
    """Our status after the platform's update; ``platform_reasons`` come from review.platform_reasons."""
    if current in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
        return StatusChange((), hold_reasons)
    if current not in AFTER_SHIPMENT:
        if is_cancelled_on_platform(order):
            return StatusChange((OrderStatus.CANCELLED,), ())
        if order.order_status == PlatformOrderStatus.SHIPPED:
            return StatusChange((OrderStatus.SHIPPED,), ())
        if order.order_status == PlatformOrderStatus.RECEIVED:
            return StatusChange((OrderStatus.SHIPPED, OrderStatus.DELIVERED), ())
    elif current == OrderStatus.SHIPPED and order.order_status == PlatformOrderStatus.RECEIVED:
        return StatusChange((OrderStatus.DELIVERED,), ())
    else:
        return StatusChange((), hold_reasons)

    if current in (OrderStatus.ACCEPTED, OrderStatus.PICKING, OrderStatus.PACKED) and platform_reasons:
        return StatusChange((OrderStatus.ON_HOLD,), platform_reasons)
    if current == OrderStatus.ON_HOLD:
        kept = tuple(r for r in hold_reasons if r not in PLATFORM_REASONS)
        reasons = tuple(dict.fromkeys(platform_reasons + kept))
        if not reasons:
            return StatusChange((OrderStatus.NEW,), ())
        if set(reasons) != set(hold_reasons):
            return StatusChange((OrderStatus.ON_HOLD,), reasons)
    return StatusChange((), hold_reasons)


def only_self_clearing(reasons: tuple[HoldReason, ...]) -> bool:
    """A hold that review may lift by itself (no person needs to look)."""
    return bool(reasons) and all(r in SELF_CLEARING for r in reasons)
