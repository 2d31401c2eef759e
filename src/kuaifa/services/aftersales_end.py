"""After-sales cases to their end: the queue by the platform's deadline, returned parcels scanned in, inspection
to sellable or damaged stock, and the outbound parcel of an exchange or resend.

Each warehouse step is done once per case whatever the platform sends next: the case row keeps when its return
was received, how many units went back on the shelf and how many were written off, and which order carries the
replacement. A second scan of the same parcel is answered "already received" and changes nothing; a second
inspection is refused; the replacement order's number is derived from the case, so it can never exist twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from kuaifa.domain.aftersales.canonical import CaseType
from kuaifa.domain.aftersales.cases import CLOSED, WAREHOUSE, CaseState, Decision, decide, inspection
from kuaifa.domain.orders.canonical import CanonicalLine, CanonicalOrder
from kuaifa.domain.orders.review import HoldReason
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import AfterSalesCase, Order, OrderLine
from kuaifa.services.audit import event
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import put_back, write_off_damaged
from kuaifa.services.review import review_orders

#: states in which the buyer's return parcel may arrive at the warehouse
RECEIVABLE = frozenset({CaseState.RETURN_IN_TRANSIT, CaseState.RECALL_DUE, CaseState.WAITING_BUYER})
REISSUED_TYPES = frozenset({CaseType.EXCHANGE, CaseType.RESEND})


@dataclass(frozen=True)
class QueueRow:
    case_id: int
    after_sales_id: str
    shop: str
    order_sn: str
    case_type: str
    state: str
    refund_amount: int
    expire_time: datetime | None
    left: timedelta | None  # negative once the deadline has passed; None when the platform gave none


def queue(*, now: datetime, shop_id: int | None = None, include_closed: bool = False) -> list[QueueRow]:
    """Open cases, the nearest platform deadline first (cases without a deadline last, oldest first)."""
    rows = AfterSalesCase.objects.select_related("shop")
    if not include_closed:
        rows = rows.exclude(state__in=[s.value for s in CLOSED])
    if shop_id is not None:
        rows = rows.filter(shop_id=shop_id)
    rows = rows.order_by(F("expire_time").asc(nulls_last=True), "platform_created_at", "id")
    return [
        QueueRow(c.id, c.after_sales_id, c.shop.name, c.order_sn, c.case_type, c.state, c.refund_amount,
                 c.expire_time, None if c.expire_time is None else c.expire_time - now)
        for c in rows
    ]  # fmt: skip


def _locked_case(case_id: int) -> AfterSalesCase:
    case = AfterSalesCase.objects.select_for_update().filter(id=case_id).first()
    if case is None:
        raise NotFound(kind="after-sales case", key=case_id)
    return case


@dataclass(frozen=True)
class Received:
    case_id: int
    after_sales_id: str
    order_sn: str
    state: str
    already: bool  # scanned before: nothing changed


def receive_return(tracking_number: str, *, actor: Actor, now: datetime) -> Received:
    """A returned parcel scanned at the warehouse: its case (found by the buyer's return tracking number) is
    marked received once."""
    number = tracking_number.strip().upper()
    if not number:
        raise InvalidInput(field="TRACKING_NO", reason=Text("scan or type the return parcel's tracking number"))
    with transaction.atomic(durable=True):
        ids = list(AfterSalesCase.objects.filter(return_tracking_number__iexact=number).values_list("id", flat=True))
        if not ids:
            raise NotFound(kind="return parcel", key=number)
        if len(ids) > 1:
            names = ", ".join(AfterSalesCase.objects.filter(id__in=ids).values_list("after_sales_id", flat=True))
            raise InvalidInput(
                field="TRACKING_NO",
                reason=Text("%(number)s is the return of several cases (%(names)s)", number=number, names=names),
            )
        case = _locked_case(ids[0])
        if case.received_at is not None or CaseState(case.state) in WAREHOUSE:
            return Received(case.id, case.after_sales_id, case.order_sn, case.state, True)
        current = CaseState(case.state)
        if current not in RECEIVABLE:
            why = f"case {case.after_sales_id} is {current.value}: no return is expected"
            raise InvalidInput(field="TRACKING_NO", reason=why)
        AfterSalesCase.objects.filter(id=case.id).update(state=CaseState.RECEIVED, received_at=now, updated_at=now)
        if case.order_id:
            event(case.order_id, "return_received", actor=actor, now=now, after_sales_id=case.after_sales_id,
                  tracking_number=number, from_state=current.value).save()  # fmt: skip
    return Received(case.id, case.after_sales_id, case.order_sn, CaseState.RECEIVED.value, False)


@dataclass(frozen=True)
class Inspected:
    after_sales_id: str
    state: str
    restocked: int
    damaged: int


def inspect(
    case_id: int, *, ok: bool, actor: Actor, now: datetime, warehouse: str = "MAIN", note: str = ""
) -> Inspected:
    """The received goods inspected: sound goods go back on the shelf (``return`` moves, state RESTOCKED),
    damaged goods are written off (``return`` + ``damaged`` moves, state INSPECTED_DAMAGED). Once per case."""
    with transaction.atomic(durable=True):
        case = _locked_case(case_id)
        if case.restocked_units or case.damaged_units:
            raise InvalidInput(
                field="case",
                reason=Text("case %(after_sales_id)s was inspected already", after_sales_id=case.after_sales_id),
            )
        if not case.outer_id or case.quantity <= 0:
            raise InvalidInput(
                field="case",
                reason=Text(
                    "case %(after_sales_id)s names no SKU code or quantity", after_sales_id=case.after_sales_id
                ),
            )
        state = decide(CaseState(case.state), inspection(ok), after_sales_id=case.after_sales_id)
        text = f"after-sales {case.after_sales_id}" + (f": {note}" if note else "")
        restocked = damaged = 0
        if ok:
            put_back(case.outer_id, case.quantity, warehouse=warehouse, order_id=case.order_id, actor=actor, now=now,
                     note=text)  # fmt: skip
            state, restocked = decide(state, Decision.RESTOCK, after_sales_id=case.after_sales_id), case.quantity
        else:
            damaged = write_off_damaged(case.outer_id, case.quantity, warehouse=warehouse, order_id=case.order_id,
                                        actor=actor, now=now, note=text)  # fmt: skip
        AfterSalesCase.objects.filter(id=case.id).update(state=state, restocked_units=restocked,
                                                         damaged_units=damaged, updated_at=now)  # fmt: skip
        if case.order_id:
            event(case.order_id, "return_inspected", actor=actor, now=now, after_sales_id=case.after_sales_id,
                  ok=ok, restocked=restocked, damaged=damaged, note=note).save()  # fmt: skip
    return Inspected(case.after_sales_id, state.value, restocked, damaged)


@dataclass(frozen=True)
class Reissued:
    after_sales_id: str
    order_sn: str
    order_status: str
    already: bool


def reissue_order_sn(case: AfterSalesCase) -> str:
    """The replacement order's number, derived from the case: a retry finds the same order, never a second."""
    return f"{case.order_sn}-AS{case.after_sales_id}"


def send_replacement(case_id: int, *, actor: Actor, now: datetime, note: str = "") -> Reissued:
    """An exchange (换货) or resend (补寄): a free order for the case's goods to the original receiver, linked to the
    case, then reviewed and reserved like any order. The case moves on as the merchant's ``resend`` decision."""
    case = AfterSalesCase.objects.select_related("shop", "order").filter(id=case_id).first()
    if case is None:
        raise NotFound(kind="after-sales case", key=case_id)
    if case.reissue_order_id is not None:
        existing = Order.objects.get(id=case.reissue_order_id)
        return Reissued(case.after_sales_id, existing.order_sn, existing.status, True)
    if CaseType(case.case_type) not in REISSUED_TYPES:
        raise InvalidInput(
            field="case",
            reason=Text(
                "case %(after_sales_id)s is %(case_type)s: nothing is sent",
                after_sales_id=case.after_sales_id,
                case_type=case.case_type,
            ),
        )
    decide(CaseState(case.state), Decision.RESEND, after_sales_id=case.after_sales_id)  # refused early if not allowed
    if case.order is None:
        raise InvalidInput(
            field="case",
            reason=Text(
                "case %(after_sales_id)s: order %(order_sn)s is not here",
                after_sales_id=case.after_sales_id,
                order_sn=case.order_sn,
            ),
        )
    original = case.order
    lines = _replacement_lines(case, original.id)
    replacement = CanonicalOrder(order_sn=reissue_order_sn(case), lines=lines, receiver=original.receiver(),
                                 remark=note or f"after-sales {case.after_sales_id}", created_at=now, paid_at=now,
                                 updated_at=now)  # fmt: skip
    ingest_orders(case.shop, [replacement], source=Order.Source.REISSUE, actor=actor, now=now,
                  waived=[HoldReason.AMOUNT_ANOMALY], reissue_of_id=original.id)  # fmt: skip
    with transaction.atomic(durable=True):
        locked = _locked_case(case.id)
        order = Order.objects.get(shop=case.shop, order_sn=replacement.order_sn)
        if locked.reissue_order_id is None:
            state = decide(CaseState(locked.state), Decision.RESEND, after_sales_id=locked.after_sales_id)
            AfterSalesCase.objects.filter(id=locked.id).update(reissue_order=order, state=state, updated_at=now)
            event(original.id, "replacement_created", actor=actor, now=now, after_sales_id=case.after_sales_id,
                  replacement=order.order_sn).save()  # fmt: skip
    review_orders(actor=actor, now=now, order_ids=[order.id])
    order.refresh_from_db()
    return Reissued(case.after_sales_id, order.order_sn, order.status, False)


def _replacement_lines(case: AfterSalesCase, order_id: int) -> tuple[CanonicalLine, ...]:
    if case.outer_id and case.quantity > 0:
        wanted = [(case.outer_id, case.quantity)]
    else:
        wanted = list(OrderLine.objects.filter(order_id=order_id, sku__isnull=False)
                      .values_list("sku__code", "quantity"))  # fmt: skip
    if not wanted:
        raise InvalidInput(
            field="case",
            reason=Text("case %(after_sales_id)s names no goods to send", after_sales_id=case.after_sales_id),
        )
    return tuple(CanonicalLine(quantity=qty, unit_price_fen=0, outer_id=code, goods_name=code) for code, qty in wanted)
