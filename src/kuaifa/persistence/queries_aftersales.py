"""Reads for the after-sales pages (售后单, 退货入库, 投诉工单): the case queue by the platform's deadline with keyset
pages, one case with its timeline, the returns the warehouse waits for, a complaint ticket. Every read takes the
person's shop scope (empty: every shop), as the other workbench reads do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Q, QuerySet

from kuaifa.domain.aftersales.cases import CLOSED, MERCHANT_TURN, CaseState
from kuaifa.domain.shared.actor import Actor, ActorKind, InvalidActor
from kuaifa.persistence.models import AfterSalesCase, ComplaintTicket, Membership, OrderEvent

QS = TypeVar("QS", bound=QuerySet[Any])
PAGE = 50
#: the state filters of the queue besides one state: open (not closed, the default), our turn, closed, all
STATE_GROUPS = ("open", "turn", "closed", "all")
#: cases the warehouse waits for or has on its bench: the return on its way, received and not yet inspected
RETURNS_AWAITED = (CaseState.RETURN_IN_TRANSIT, CaseState.RECALL_DUE, CaseState.WAITING_BUYER)
CASE_FIELDS = (
    "id", "after_sales_id", "shop__name", "order_id", "order_sn", "case_type", "platform_status", "state",
    "refund_amount", "refunded_amount", "reason", "outer_id", "quantity", "expire_time", "return_tracking_number",
    "received_at", "reissue_order_id",
)  # fmt: skip


@dataclass(frozen=True)
class CaseFilter:
    case_type: str = ""
    state: str = "open"  # one of STATE_GROUPS or a CaseState value
    shop_id: int | None = None
    search: str = ""  # after-sales id, order number or return tracking number
    scope: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class CaseRow:
    id: int
    after_sales_id: str
    shop: str
    order_id: int | None
    order_sn: str
    case_type: str
    platform_status: int
    state: str
    refund_amount: int
    refunded_amount: int
    reason: str
    outer_id: str
    quantity: int
    expire_time: datetime | None
    return_tracking_number: str
    received_at: datetime | None
    reissue_order_id: int | None


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: str | None


def _scoped(query: QS, scope: frozenset[int], shop_field: str = "shop_id") -> QS:
    return query.filter(**{f"{shop_field}__in": scope}) if scope else query


def _filtered(f: CaseFilter) -> QuerySet[AfterSalesCase]:
    q = _scoped(AfterSalesCase.objects.all(), f.scope)
    if f.shop_id is not None:
        q = q.filter(shop_id=f.shop_id)
    if f.case_type:
        q = q.filter(case_type=f.case_type)
    closed = [s.value for s in CLOSED]
    if f.state == "open":
        q = q.exclude(state__in=closed)
    elif f.state == "turn":
        q = q.filter(state__in=[s.value for s in MERCHANT_TURN])
    elif f.state == "closed":
        q = q.filter(state__in=closed)
    elif f.state != "all":
        q = q.filter(state=f.state)
    term = f.search.strip()
    if term:
        q = q.filter(Q(after_sales_id=term) | Q(order_sn=term) | Q(return_tracking_number__iexact=term))
    return q


def encode_cursor(row: CaseRow) -> str:
    return f"{row.expire_time.isoformat() if row.expire_time else '-'}|{row.id}"


def case_queue(f: CaseFilter, *, after: str = "", limit: int = PAGE) -> CasePage:
    """One page of cases, the nearest platform deadline first, cases without one after them (by id). Keyset on
    (expire_time, id): two ranges of the (state, expire_time) index, whatever the page."""
    query = _filtered(f)
    dated, undated = query.filter(expire_time__isnull=False), query.filter(expire_time__isnull=True)
    if after:
        stamp, _, last = after.partition("|")
        try:
            last_id = int(last)
            when = None if stamp == "-" else datetime.fromisoformat(stamp)
        except ValueError:
            return CasePage([], None)
        if when is None:
            dated, undated = dated.none(), undated.filter(id__gt=last_id)
        else:
            dated = dated.filter(Q(expire_time__gt=when) | Q(expire_time=when, id__gt=last_id))
    rows = list(dated.order_by("expire_time", "id").values_list(*CASE_FIELDS)[: limit + 1])
    if len(rows) <= limit:
        rows += list(undated.order_by("id").values_list(*CASE_FIELDS)[: limit + 1 - len(rows)])
    found = [CaseRow(*r) for r in rows]
    more = len(found) > limit
    found = found[:limit]
    return CasePage(found, encode_cursor(found[-1]) if more and found else None)


def case_for_page(case_id: int, scope: frozenset[int]) -> AfterSalesCase | None:
    """One case within the person's shops, with its shop, order and replacement order."""
    query = AfterSalesCase.objects.select_related("shop", "order", "reissue_order")
    return _scoped(query, scope).filter(id=case_id).first()


@dataclass(frozen=True)
class Who:
    """Who made a change, as the page names them: a person by name (with their role), or what acted."""

    kind: str  # user | cli | worker | system | platform | "" (unreadable)
    name: str
    role: str = ""


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    who: Who
    details: dict[str, Any]


def people(stored_actors: set[str]) -> dict[str, Who]:
    """The stored actors (``user:li``, ``worker``…) as names: a signed-in person's full name when one is set (else
    the login), with their role; one query for all of them."""
    parsed: dict[str, Actor | None] = {}
    for stored in stored_actors:
        try:
            parsed[stored] = Actor.parse(stored)
        except InvalidActor:
            parsed[stored] = None
    logins = {a.name for a in parsed.values() if a is not None and a.kind is ActorKind.USER}
    team = {
        m.user.username: (m.user.get_full_name() or m.user.username, m.role)
        for m in Membership.objects.filter(user__username__in=logins).select_related("user")
    } if logins else {}  # fmt: skip
    named: dict[str, Who] = {}
    for stored, actor in parsed.items():
        if actor is None:
            named[stored] = Who("", stored)
        elif actor.kind is ActorKind.USER:
            name, role = team.get(actor.name, (actor.name, ""))
            named[stored] = Who(actor.kind.value, name, role)
        else:
            named[stored] = Who(actor.kind.value, actor.name)
    return named


def _timeline(events: list[OrderEvent]) -> list[TimelineEntry]:
    named = people({e.actor for e in events})
    return [TimelineEntry(e.created_at, e.kind, named[e.actor], e.details or {}) for e in events]


def case_timeline(case: AfterSalesCase) -> list[TimelineEntry]:
    """What happened to a case, oldest first: its events on the order (synced, decided, received, inspected, the
    replacement) and those of the complaint tickets it is linked to, each with who did it."""
    if case.order_id is None:
        return []
    tickets = set(case.complaints.values_list("id", flat=True))
    events = [
        e
        for e in OrderEvent.objects.filter(order_id=case.order_id).order_by("created_at", "id")
        if (e.details or {}).get("after_sales_id") == case.after_sales_id
        or (e.kind.startswith("complaint_") and (e.details or {}).get("ticket") in tickets)
    ]
    return _timeline(events)


def returns_awaited(scope: frozenset[int], *, limit: int = 200) -> list[CaseRow]:
    """Returns the warehouse waits for (on their way, or the buyer's turn to send them) and returns received but
    not yet inspected, the nearest platform deadline first."""
    query = _scoped(AfterSalesCase.objects.all(), scope).filter(
        Q(state__in=[s.value for s in RETURNS_AWAITED], return_tracking_number__gt="")
        | Q(state=CaseState.RECEIVED.value)
    )
    rows = query.order_by("expire_time", "id").values_list(*CASE_FIELDS)[:limit]
    return [CaseRow(*r) for r in rows]


def tickets_of_order(order_id: int) -> list[ComplaintTicket]:
    return list(ComplaintTicket.objects.filter(order_id=order_id).order_by("-created_at", "-id"))


def ticket_for_page(ticket_id: int, scope: frozenset[int]) -> ComplaintTicket | None:
    query = ComplaintTicket.objects.select_related("order", "order__shop")
    return _scoped(query, scope, "order__shop_id").filter(id=ticket_id).first()


def ticket_cases(ticket: ComplaintTicket) -> list[AfterSalesCase]:
    """The cases linked to a ticket, and those of its order opened since (linked on the ticket's next move)."""
    linked = AfterSalesCase.objects.filter(Q(complaints=ticket) | Q(order_id=ticket.order_id)).distinct()
    return list(linked.order_by("id"))


def ticket_timeline(ticket: ComplaintTicket) -> list[TimelineEntry]:
    """The ticket's own events on its order (opened, in progress, closed), with who did each."""
    events = [
        e
        for e in OrderEvent.objects.filter(order_id=ticket.order_id, kind__startswith="complaint_").order_by(
            "created_at", "id"
        )
        if (e.details or {}).get("ticket") == ticket.id
    ]
    return _timeline(events)


def return_in_scope(tracking_number: str, scope: frozenset[int]) -> bool:
    """Whether a return parcel with this number belongs to one of these shops' cases."""
    number = tracking_number.strip()
    return _scoped(AfterSalesCase.objects.filter(return_tracking_number__iexact=number), scope).exists()
