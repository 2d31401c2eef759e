"""Complaint tickets (投诉工单): ``kuaifa complaint open/list/progress/close``."""

from dataclasses import asdict

import click
from django.utils.translation import gettext as _

from kuaifa.cli.main import actor, cli, command, emit, json_option, now
from kuaifa.cli.render import show_time


@cli.group()
def complaint() -> None:
    """Complaint tickets on orders, linked to their after-sales cases."""


def _show(t) -> None:
    cases = ",".join(t.cases) or "—"
    click.echo(f"#{t.id:<5} {t.order_sn:<24} {_(t.status):<8} {show_time(t.created_at):<17} {t.opened_by:<16} "
               f"{t.reason}  [{cases}]")  # fmt: skip


@command(complaint, "open")
@click.argument("order_sn")
@click.option("--reason", required=True, help="Why the buyer complains (short).")
@click.option("--note", default="", help="Details.")
@json_option
def complaint_open(order_sn, reason, note, as_json) -> None:
    """Open a ticket on an order; its after-sales cases are linked."""
    from kuaifa.services.complaints import open_ticket

    ticket = open_ticket(order_sn, reason=reason, note=note, actor=actor(), now=now())
    emit(as_json, asdict(ticket), lambda: click.echo(_("Ticket #%(id)s opened on %(order_sn)s.")
                                                     % {"id": ticket.id, "order_sn": ticket.order_sn}))  # fmt: skip


@command(complaint, "list")
@click.option("--status", type=click.Choice(["open", "in_progress", "closed"]), default=None)
@click.option("--order", "order_sn", default=None)
@json_option
def complaint_list(status, order_sn, as_json) -> None:
    """Tickets, oldest first."""
    from kuaifa.services.complaints import list_tickets

    tickets = list_tickets(status=status, order_sn=order_sn)

    def human() -> None:
        for t in tickets:
            _show(t)
        click.echo(_("%(n)s ticket(s).") % {"n": len(tickets)})

    emit(as_json, [asdict(t) for t in tickets], human)


@command(complaint, "progress")
@click.argument("ticket_id", type=int)
@click.option("--note", default="")
@json_option
def complaint_progress(ticket_id, note, as_json) -> None:
    """Someone is working on the ticket."""
    from kuaifa.services.complaints import move_ticket

    ticket = move_ticket(ticket_id, "in_progress", note=note, actor=actor(), now=now())
    emit(as_json, asdict(ticket), lambda: click.echo(_("Ticket #%(id)s is in progress.") % {"id": ticket.id}))


@command(complaint, "close")
@click.argument("ticket_id", type=int)
@click.option("--note", required=True, help="How it was resolved.")
@json_option
def complaint_close(ticket_id, note, as_json) -> None:
    """Close the ticket with how it was resolved."""
    from kuaifa.services.complaints import move_ticket

    ticket = move_ticket(ticket_id, "closed", note=note, actor=actor(), now=now())
    emit(as_json, asdict(ticket), lambda: click.echo(_("Ticket #%(id)s closed.") % {"id": ticket.id}))
