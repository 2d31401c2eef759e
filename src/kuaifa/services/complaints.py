"""Complaint tickets (投诉工单): opened on any order, linked to its after-sales cases, moved open → in progress →
closed. Each step is one transaction with an order event (``complaint_opened`` / ``complaint_progress`` /
``complaint_closed``), so the order's history is the ticket's audit trail."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import AfterSalesCase, ComplaintTicket, Order
from kuaifa.services.audit import event
from kuaifa.services.errors import InvalidInput, NotFound

Status = ComplaintTicket.Status
#: the moves a ticket may make; a closed ticket stays closed (open a new one)
MOVES = {Status.OPEN: {Status.IN_PROGRESS, Status.CLOSED}, Status.IN_PROGRESS: {Status.CLOSED}, Status.CLOSED: set()}
MAX_REASON = 64


@dataclass(frozen=True)
class Ticket:
    id: int
    order_sn: str
    reason: str
    note: str
    status: str
    opened_by: str
    cases: tuple[str, ...]
    created_at: datetime
    resolution: str


def _ticket(row: ComplaintTicket) -> Ticket:
    cases = tuple(sorted(c.after_sales_id for c in row.cases.all()))  # prefetched by the list: no query per row
    return Ticket(row.id, row.order.order_sn, row.reason, row.note, row.status, row.opened_by, cases, row.created_at,
                  row.resolution)  # fmt: skip


@transaction.atomic(durable=True)
def open_ticket(order_sn: str, *, reason: str, note: str = "", actor: Actor, now: datetime) -> Ticket:
    """Open a ticket on an order; every after-sales case of the order is linked to it (and later ones on move)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(field="--reason", reason=Text("say why the buyer complains"))
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            field="--reason",
            reason=Text("at most %(max_reason)s characters; put details in --note", max_reason=MAX_REASON),
        )
    order = Order.objects.filter(order_sn=order_sn.strip()).first()
    if order is None:
        raise NotFound(kind="order", key=order_sn)
    row = ComplaintTicket.objects.create(order=order, reason=reason, note=note, opened_by=actor.stored, created_at=now,
                                         updated_at=now)  # fmt: skip
    cases = list(AfterSalesCase.objects.filter(order=order))
    row.cases.set(cases)
    event(order.id, "complaint_opened", actor=actor, now=now, ticket=row.id, reason=reason, note=note,
          cases=sorted(c.after_sales_id for c in cases)).save()  # fmt: skip
    return _ticket(row)


@transaction.atomic(durable=True)
def move_ticket(ticket_id: int, target: str, *, note: str = "", actor: Actor, now: datetime) -> Ticket:
    """Move a ticket on (in progress, closed); closing needs a word on how it was resolved."""
    row = ComplaintTicket.objects.select_for_update().select_related("order").filter(id=ticket_id).first()
    if row is None:
        raise NotFound(kind="complaint ticket", key=ticket_id)
    if target not in Status.values:
        raise InvalidInput(
            field="status",
            reason=Text("%(target)r is not one of %(value)s", target=target, value=", ".join(Status.values)),
        )
    wanted = Status(target)
    if wanted not in MOVES[Status(row.status)]:
        raise InvalidInput(
            field="ticket",
            reason=Text(
                "ticket %(ticket_id)s is %(status)s: it cannot become %(target)s",
                ticket_id=ticket_id,
                status=row.status,
                target=target,
            ),
        )
    if wanted is Status.CLOSED and not note.strip():
        raise InvalidInput(field="--note", reason=Text("closing a ticket needs a word on how it was resolved"))
    row.cases.add(*AfterSalesCase.objects.filter(order=row.order))  # cases opened since
    fields = {"status": wanted, "updated_at": now}
    if wanted is Status.CLOSED:
        fields |= {"closed_at": now, "resolution": note}
    ComplaintTicket.objects.filter(id=row.id).update(**fields)
    kind = "complaint_closed" if wanted is Status.CLOSED else "complaint_progress"
    event(row.order_id, kind, actor=actor, now=now, ticket=row.id, ticket_from=row.status, ticket_to=wanted.value,
          note=note).save()  # fmt: skip
    row.refresh_from_db()
    return _ticket(row)


def list_tickets(
    *, status: str | None = None, order_sn: str | None = None, shop_scope: frozenset[int] = frozenset()
) -> list[Ticket]:
    """Tickets, oldest first; ``shop_scope``: only tickets on these shops' orders (empty: every shop)."""
    rows = ComplaintTicket.objects.select_related("order").prefetch_related("cases").order_by("created_at", "id")
    if shop_scope:
        rows = rows.filter(order__shop_id__in=shop_scope)
    if status:
        rows = rows.filter(status=Status(status))
    if order_sn:
        rows = rows.filter(order__order_sn=order_sn)
    return [_ticket(r) for r in rows]
