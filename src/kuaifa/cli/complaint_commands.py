"""Complaint tickets (投诉工单): ``kuaifa complaint open/list/progress/close``."""

from dataclasses import asdict

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now
from kuaifa.cli.render import show_time
from kuaifa.services.complaints import list_tickets, move_ticket, open_ticket


@click.group()
def complaint() -> None:
    """Complaint tickets on orders, linked to their after-sales cases."""


def show_ticket(t) -> None:
    cases = ",".join(t.cases) or "—"
    click.echo(
        f"#{t.id:<5} {t.order_sn:<24} {_(t.status):<8} {show_time(t.created_at):<17} {t.opened_by:<16} "
        f"{t.reason}  [{cases}]"
    )


@command("open", complaint)
@click.argument("order_sn")
@click.option("--reason", required=True, help="Why the buyer complains (short).")
@click.option("--note", default="", help="Details.")
@json_option
def complaint_open(order_sn, reason, note, as_json) -> None:
    """Open a ticket on an order; its after-sales cases are linked."""
    ticket = open_ticket(order_sn, reason=reason, note=note, actor=actor(), now=now())
    text = _("Ticket #%(id)s opened on %(order_sn)s.") % {"id": ticket.id, "order_sn": ticket.order_sn}
    emit(as_json, asdict(ticket), lambda: click.echo(text))


@command("list", complaint)
@click.option("--status", type=click.Choice(["open", "in_progress", "closed"]), default=None)
@click.option("--order", "order_sn", default=None)
@json_option
def complaint_list(status, order_sn, as_json) -> None:
    """Tickets, oldest first."""
    tickets = list_tickets(status=status, order_sn=order_sn)

    def human() -> None:
        for t in tickets:
            show_ticket(t)
        click.echo(_("%(n)s ticket(s).") % {"n": len(tickets)})

    emit(as_json, [asdict(t) for t in tickets], human)


@command("progress", complaint)
@click.argument("ticket_id", type=int)
@click.option("--note", default="")
@json_option
def complaint_progress(ticket_id, note, as_json) -> None:
    """Someone is working on the ticket."""
    ticket = move_ticket(ticket_id, "in_progress", note=note, actor=actor(), now=now())
    emit(as_json, asdict(ticket), lambda: click.echo(_("Ticket #%(id)s is in progress.") % {"id": ticket.id}))


@command("close", complaint)
@click.argument("ticket_id", type=int)
@click.option("--note", required=True, help="How it was resolved.")
@json_option
def complaint_close(ticket_id, note, as_json) -> None:
    """Close the ticket with how it was resolved."""
    ticket = move_ticket(ticket_id, "closed", note=note, actor=actor(), now=now())
    emit(as_json, asdict(ticket), lambda: click.echo(_("Ticket #%(id)s closed.") % {"id": ticket.id}))
