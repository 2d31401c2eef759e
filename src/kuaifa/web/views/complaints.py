"""投诉工单: complaint tickets on orders — the list (by status, by order), a ticket with its linked after-sales cases
and its trail, opened from an order's page, moved on and closed with a note. Writes call ``services.complaints``."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuaifa.domain.access import Perm
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence import queries_aftersales, queries_web
from kuaifa.persistence.models import ComplaintTicket
from kuaifa.services.complaints import list_tickets, move_ticket, open_ticket
from kuaifa.services.errors import InvalidInput
from kuaifa.web.access import member, requires, shops_shown
from kuaifa.web.feedback import refused
from kuaifa.web.words import now

STATUSES = ComplaintTicket.Status.values


@requires(Perm.COMPLAINTS_VIEW)
def complaint_list(request):
    """Tickets, the longest waiting first; by status (open and in progress unless chosen) and order number."""
    get = request.GET
    status, order_sn = get.get("status", "").strip(), get.get("order", "").strip()
    context: dict = {"query": get, "statuses": STATUSES, "tickets": [], "now": now()}
    code = 200
    try:
        if status and status not in STATUSES:
            raise InvalidInput(field="status", reason=Text("%(value)r is not a ticket status", value=status))
        found = list_tickets(status=status or None, order_sn=order_sn or None, shop_scope=shops_shown(request))
        context["tickets"] = found if status else [t for t in found if t.status != ComplaintTicket.Status.CLOSED]
    except DomainError as err:
        refused(request, err)
        code = 400
    return render(request, "web/complaints/list.html", context, status=code)


def _ticket_or_404(request, ticket_id: int) -> ComplaintTicket:
    ticket = queries_aftersales.ticket_for_page(ticket_id, member(request).shop_scope)
    if ticket is None:
        raise Http404
    return ticket


@requires(Perm.COMPLAINTS_VIEW)
def ticket_page(request, ticket_id: int):
    """One ticket: the order, why, the linked after-sales cases, its trail (who did what), move on or close."""
    ticket = _ticket_or_404(request, ticket_id)
    context = {"ticket": ticket, "cases": queries_aftersales.ticket_cases(ticket),
               "timeline": queries_aftersales.ticket_timeline(ticket), "now": now()}  # fmt: skip
    return render(request, "web/complaints/ticket.html", context)


@requires(Perm.COMPLAINTS_MANAGE)
@require_POST
def open_on_order(request, order_id: int):
    """Open a ticket on this order (from its page); its after-sales cases are linked."""
    me, post = member(request), request.POST
    found = queries_web.order_for_detail(order_id, me.shop_scope)
    if found is None:
        raise Http404
    order = found.order
    try:
        ticket = open_ticket(order.order_sn, reason=post.get("reason", ""), note=post.get("note", "").strip(),
                             actor=me.actor, now=now())  # fmt: skip
    except DomainError as err:
        refused(request, err)
        return redirect("order_detail", order_id=order.id)
    messages.success(request, _("Ticket #%(id)s opened on %(order_sn)s.") % {"id": ticket.id,
                                                                            "order_sn": ticket.order_sn})  # fmt: skip
    return redirect("complaint", ticket_id=ticket.id)


@requires(Perm.COMPLAINTS_MANAGE)
@require_POST
def move(request, ticket_id: int):
    """Someone is on it (in progress), or it is closed with how it was resolved."""
    me, post = member(request), request.POST
    ticket = _ticket_or_404(request, ticket_id)
    try:
        moved = move_ticket(ticket.id, post.get("target", ""), note=post.get("note", "").strip(), actor=me.actor,
                            now=now())  # fmt: skip
    except DomainError as err:
        refused(request, err)
    else:
        if moved.status == ComplaintTicket.Status.CLOSED:
            messages.success(request, _("Ticket #%(id)s closed.") % {"id": moved.id})
        else:
            messages.success(request, _("Ticket #%(id)s is in progress.") % {"id": moved.id})
    return redirect("complaint", ticket_id=ticket.id)
