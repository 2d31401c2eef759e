"""After-sales cases (售后) from the platform: stored once per case, followed to their end, refunded once.

Cases sync in the same overlapped ≤30-minute windows as orders (stream ``refunds``), each window with its cursor
in one transaction. Our state comes from the platform's status (``kuaifa.domain.aftersales.cases``), keeping our
warehouse progress (return received, inspected) while the platform still waits on us. A refund the platform
reports as paid is recorded on the case once; a second one is refused loudly (``aftersales.refund_already_recorded``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from kuaifa.domain.aftersales.canonical import CanonicalCase
from kuaifa.domain.aftersales.cases import CaseState, Decision, decide, reconcile, state_of
from kuaifa.domain.aftersales.refunds import refund_recorded
from kuaifa.domain.platform import SalesPlatform
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import (
    AfterSalesCase,
    Order,
    OrderEvent,
    Shop,
)
from kuaifa.services.audit import event
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.fingerprints import fingerprint
from kuaifa.services.intake import lock_shop
from kuaifa.services.interception import intercept_for_refund
from kuaifa.services.inventory import put_back, write_off_damaged
from kuaifa.services.outbox import enqueue
from kuaifa.services.outbox_calls import AgreeRefund, AgreeReturn
from kuaifa.services.sync import DEFAULTS, SyncSettings, run_window

REFUNDS = "refunds"


@dataclass
class CaseReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refunds_recorded: int = 0
    case_ids: list[str] = field(default_factory=list)
    quarantined_keys: set[str] = field(default_factory=set)  # records that could not be mapped, set aside

    @property
    def quarantined(self) -> int:
        return len(self.quarantined_keys)


def upsert_cases(shop: Shop, cases: list[CanonicalCase], *, actor: Actor, now: datetime) -> CaseReport:
    """Store a batch of cases (caller holds the transaction); newest platform copy wins."""
    lock_shop(shop)
    report = CaseReport()
    held = {c.after_sales_id: c for c in AfterSalesCase.objects.filter(
        shop=shop, after_sales_id__in=[c.after_sales_id for c in cases])}  # fmt: skip
    orders = dict(
        Order.objects.filter(shop=shop, order_sn__in={c.order_sn for c in cases}).values_list("order_sn", "id")
    )
    events: list[OrderEvent] = []
    for case in cases:
        row = held.get(case.after_sales_id)
        digest = fingerprint(case, "" if row is None else row.fingerprint)
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
            intercept_for_refund(orders[case.order_sn], case.case_type, state, after_sales_id=case.after_sales_id,
                                 actor=actor, now=now)  # fmt: skip
            events.append(event(orders[case.order_sn], "aftersales", actor=actor, now=now,
                                after_sales_id=case.after_sales_id, platform_status=case.platform_status,
                                state=state.value))  # fmt: skip
    OrderEvent.objects.bulk_create(events)
    return report


def case_key(case: CanonicalCase) -> tuple[str, datetime | None]:
    return case.after_sales_id, case.updated_at


def sync_cases_window(
    shop: Shop, platform: SalesPlatform, *, actor: Actor, now: datetime, settings: SyncSettings = DEFAULTS,
    group: int = 1,
) -> CaseReport | None:  # fmt: skip
    """The next window of after-sales cases (up to ``group`` windows), stored with the cursor advance in one
    transaction; None when caught up."""
    done = run_window(
        shop, platform, REFUNDS, platform.cases_updated,
        lambda cases: upsert_cases(shop, cases, actor=actor, now=now), case_key, now=now, settings=settings,
        group=group,
    )  # fmt: skip
    if done is None:
        return None
    if done.end is None:
        return CaseReport()
    done.report.quarantined_keys = set(done.quarantined)
    return done.report


def sync_cases(shop: Shop, platform: SalesPlatform, *, actor: Actor, clock: Callable[[], datetime],
               settings: SyncSettings = DEFAULTS) -> CaseReport:  # fmt: skip
    total = CaseReport()
    while (step := sync_cases_window(shop, platform, actor=actor, now=clock(), settings=settings,
                                     group=settings.catch_up_group)) is not None:  # fmt: skip
        total.created += step.created
        total.updated += step.updated
        total.unchanged += step.unchanged
        total.refunds_recorded += step.refunds_recorded
        total.quarantined_keys |= step.quarantined_keys
        total.case_ids += step.case_ids
    return total


@dataclass(frozen=True)
class CaseDecision:
    after_sales_id: str
    state: str
    outbox_entry_id: int | None = None
    restocked: int = 0


def decide_case(
    case_id: int, decision: Decision, *, actor: Actor, now: datetime, return_address_id: int | None = None,
    note: str = "", warehouse: str = "MAIN",
) -> CaseDecision:  # fmt: skip
    """A merchant's decision on a case. Platform decisions (agree to refund, agree to a return) are queued in the
    outbox and sent until acknowledged; warehouse steps (return received, inspected, restocked) are ours alone.
    Restocking puts the returned units back on the shelf once (a ``return`` stock move)."""
    with transaction.atomic(durable=True):
        case = AfterSalesCase.objects.select_for_update().select_related("shop").filter(id=case_id).first()
        if case is None:
            raise NotFound(kind="after-sales case", key=case_id)
        target = decide(CaseState(case.state), decision, after_sales_id=case.after_sales_id)
        entry = None
        restocked = 0
        if decision is Decision.AGREE_REFUND:
            entry = enqueue(case.shop, f"agree_refund:{case.shop_id}:{case.after_sales_id}",
                            AgreeRefund(case.order_sn, case.after_sales_id, note), now=now)  # fmt: skip
        elif decision is Decision.AGREE_RETURN:
            if return_address_id is None:
                raise InvalidInput(field="--address", reason=Text("agreeing to a return needs the return address id"))
            entry = enqueue(case.shop, f"agree_return:{case.shop_id}:{case.after_sales_id}",
                            AgreeReturn(case.order_sn, case.after_sales_id, return_address_id, note),
                            now=now)  # fmt: skip
        elif decision is Decision.RESTOCK:
            restocked = _restock(case, warehouse, actor=actor, now=now)
        elif decision is Decision.RECEIVE_RETURN:
            AfterSalesCase.objects.filter(id=case.id, received_at__isnull=True).update(received_at=now)
        elif decision is Decision.INSPECT_DAMAGED:
            _write_off(case, warehouse, actor=actor, now=now)
        AfterSalesCase.objects.filter(id=case.id).update(state=target.value, updated_at=now)
        if case.order_id:
            event(case.order_id, "aftersales_decision", actor=actor, now=now, after_sales_id=case.after_sales_id,
                  decision=decision.value, state=target.value, note=note, restocked=restocked).save()  # fmt: skip
    return CaseDecision(case.after_sales_id, target.value, entry.id if entry else None, restocked)


def _restock(case: AfterSalesCase, warehouse: str, *, actor: Actor, now: datetime) -> int:
    if not case.outer_id or case.quantity <= 0:
        raise InvalidInput(
            field="case",
            reason=Text(
                "case %(after_sales_id)s names no SKU code or quantity to restock", after_sales_id=case.after_sales_id
            ),
        )
    if case.restocked_units or case.damaged_units:
        raise InvalidInput(
            field="case",
            reason=Text(
                "case %(after_sales_id)s's goods were counted back already", after_sales_id=case.after_sales_id
            ),
        )
    AfterSalesCase.objects.filter(id=case.id).update(restocked_units=case.quantity)
    put_back(case.outer_id, case.quantity, warehouse=warehouse, order_id=case.order_id, actor=actor, now=now,
             note=f"after-sales {case.after_sales_id}")  # fmt: skip
    return case.quantity


def _write_off(case: AfterSalesCase, warehouse: str, *, actor: Actor, now: datetime) -> None:
    """Damaged goods are recorded in the ledger (return, then damaged) and kept out of sellable stock."""
    if not case.outer_id or case.quantity <= 0 or case.restocked_units or case.damaged_units:
        return  # nothing named to write off, or counted already
    write_off_damaged(case.outer_id, case.quantity, warehouse=warehouse, order_id=case.order_id, actor=actor,
                      now=now, note=f"after-sales {case.after_sales_id}: damaged")  # fmt: skip
    AfterSalesCase.objects.filter(id=case.id).update(damaged_units=case.quantity)
