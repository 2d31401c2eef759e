"""After-sales cases (售后) from the platform: stored once per case, followed to their end, refunded once.

Cases sync in the same overlapped ≤30-minute windows as orders (stream ``refunds``), each window with its cursor
in one transaction. Our state comes from the platform's status (``kuaifa.domain.aftersales.cases``), keeping our
warehouse progress (return received, inspected) while the platform still waits on us. A refund the platform
reports as paid is recorded on the case once; a second one is refused loudly (``aftersales.refund_already_recorded``).
"""

import time
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from kuaifa.domain.aftersales.canonical import CanonicalCase
from kuaifa.domain.aftersales.cases import CaseState, reconcile, state_of
from kuaifa.domain.aftersales.refunds import refund_recorded
from kuaifa.domain.orders.intake import fingerprint
from kuaifa.domain.platform import PlatformError, SalesPlatform
from kuaifa.persistence.models import AfterSalesCase, Order, OrderEvent, Shop, SyncCursor
from kuaifa.services.audit import event
from kuaifa.services.sync import DEFAULTS, SyncSettings, log_window, next_window

REFUNDS = "refunds"


@dataclass
class CaseReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refunds_recorded: int = 0
    case_ids: list[str] = field(default_factory=list)


def upsert_cases(shop: Shop, cases: list[CanonicalCase], *, actor: str, now: datetime) -> CaseReport:
    """Store a batch of cases (caller holds the transaction); newest platform copy wins."""
    report = CaseReport()
    held = {c.after_sales_id: c for c in AfterSalesCase.objects.filter(
        shop=shop, after_sales_id__in=[c.after_sales_id for c in cases])}  # fmt: skip
    orders = dict(
        Order.objects.filter(shop=shop, order_sn__in={c.order_sn for c in cases}).values_list("order_sn", "id")
    )
    events: list[OrderEvent] = []
    for case in cases:
        digest = fingerprint(case)
        row = held.get(case.after_sales_id)
        if row is not None and (row.fingerprint == digest or (
                row.platform_updated_at and case.updated_at < row.platform_updated_at)):  # fmt: skip
            report.unchanged += 1
            continue
        current = CaseState(row.state) if row is not None else None
        state = reconcile(current, state_of(case))
        refunded = row.refunded_amount if row is not None else 0
        if case.refund_succeeded and refunded == 0 and case.refund_amount_fen > 0:
            refunded = refund_recorded(0, case.refund_amount_fen, after_sales_id=case.after_sales_id)
            report.refunds_recorded += 1
        values = {
            "order_id": orders.get(case.order_sn), "order_sn": case.order_sn, "case_type": case.case_type.value,
            "platform_status": case.platform_status, "state": state.value, "refund_amount": case.refund_amount_fen,
            "refunded_amount": refunded, "reason": case.reason[:255], "outer_id": case.goods.outer_id,
            "quantity": case.goods.quantity, "return_tracking_number": case.tracking_number,
            "return_shipping_name": case.shipping_name, "expire_time": case.expire_time,
            "platform_created_at": case.created_at, "platform_updated_at": case.updated_at, "fingerprint": digest,
            "updated_at": now,
        }  # fmt: skip
        if row is None:
            AfterSalesCase.objects.create(shop=shop, after_sales_id=case.after_sales_id, created_at=now, **values)
            report.created += 1
        else:
            AfterSalesCase.objects.filter(id=row.id).update(**values)
            report.updated += 1
        report.case_ids.append(case.after_sales_id)
        if orders.get(case.order_sn):
            events.append(event(orders[case.order_sn], "aftersales", actor=actor, now=now,
                                after_sales_id=case.after_sales_id, platform_status=case.platform_status,
                                state=state.value))  # fmt: skip
    OrderEvent.objects.bulk_create(events)
    return report


def sync_cases_window(
    shop: Shop, platform: SalesPlatform, *, actor: str, now: datetime, settings: SyncSettings = DEFAULTS
) -> CaseReport | None:
    """One window of after-sales cases, stored with the cursor advance in one transaction; None when caught up."""
    cursor = SyncCursor.objects.filter(shop=shop, stream=REFUNDS).values_list("position", flat=True).first()
    window = next_window(cursor, platform.platform_now(), settings)
    if window is None:
        return None
    start, end = window
    began = time.perf_counter()
    try:
        cases = list(platform.cases_updated(start, end))
    except PlatformError as error:
        with transaction.atomic(durable=True):
            log_window(shop, REFUNDS, start, end, now=now, seconds=time.perf_counter() - began, error=error)
        raise
    with transaction.atomic(durable=True):
        report = upsert_cases(shop, cases, actor=actor, now=now)
        moved = SyncCursor.objects.filter(shop=shop, stream=REFUNDS, position=cursor).update(
            position=end, updated_at=now
        )
        if cursor is None:
            SyncCursor.objects.create(shop=shop, stream=REFUNDS, position=end, updated_at=now)
        elif not moved:
            transaction.set_rollback(True)
            return CaseReport()
        log_window(shop, REFUNDS, start, end, now=now, seconds=time.perf_counter() - began, fetched=len(cases))
    return report


def sync_cases(shop: Shop, platform: SalesPlatform, *, actor: str, clock,
               settings: SyncSettings = DEFAULTS) -> CaseReport:  # fmt: skip
    total = CaseReport()
    while (step := sync_cases_window(shop, platform, actor=actor, now=clock(), settings=settings)) is not None:
        total.created += step.created
        total.updated += step.updated
        total.unchanged += step.unchanged
        total.refunds_recorded += step.refunds_recorded
        total.case_ids += step.case_ids
    return total
