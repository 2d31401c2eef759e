"""``kuaifa aftersales``: the cases by deadline, decisions, and after-sales to the end — returned parcels scanned
in, inspection, the replacement parcel of an exchange or resend."""

from dataclasses import asdict

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now, shop_id_of
from kuaifa.cli.render import money, show_time, time_left
from kuaifa.domain.aftersales.canonical import status_name_zh
from kuaifa.domain.aftersales.cases import Decision
from kuaifa.persistence.queries import aftersales_cases
from kuaifa.persistence.queries_edges import case_id
from kuaifa.services.aftersales import decide_case
from kuaifa.services.aftersales_end import inspect, receive_return, send_replacement
from kuaifa.services.errors import NotFound
from kuaifa.tasks.jobs import deliver_outbox_entry

DECISIONS = ["agree_refund", "agree_return", "receive_return", "inspect_ok", "inspect_damaged", "restock"]


def case_named(after_sales_id: str, shop_name: str | None) -> int:
    """Our id of the platform's case number (in the shop named, when one is)."""
    found = case_id(after_sales_id, shop_id_of(shop_name))
    if found is None:
        raise NotFound(kind="after-sales case", key=after_sales_id)
    return found


@click.group()
def aftersales() -> None:
    """After-sales cases (售后): refunds, returns, exchanges, resends."""


@command("list", aftersales)
@click.option("--state", "states", multiple=True, help="Only these states (repeatable).")
@click.option("--shop", "shop_name", default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
def aftersales_list(states, shop_name, limit, as_json) -> None:
    """Cases, the nearest deadline to act first."""
    rows = aftersales_cases(states=list(states), shop_id=shop_id_of(shop_name), limit=limit)
    moment = now()

    def human() -> None:
        for r in rows:
            click.echo(
                f"{r.after_sales_id:<14}{r.order_sn:<24}{r.case_type:<14}{r.state:<20}"
                f"{money(r.refund_amount):>10}  {show_time(r.expire_time):<17}"
                f"{time_left(r.expire_time, moment)[1]:>12}  "
                f"{status_name_zh(r.platform_status)}"
            )
        click.echo(_("%(n)s case(s).") % {"n": len(rows)})

    emit(as_json, [asdict(r) | {"time_left_minutes": time_left(r.expire_time, moment)[0]} for r in rows], human)


@command("decide", aftersales)
@click.argument("after_sales_id")
@click.argument("decision", type=click.Choice(DECISIONS))
@click.option("--shop", "shop_name", default=None)
@click.option("--address", "return_address_id", type=int, default=None, help="Return address id (agree_return).")
@click.option("--warehouse", default="MAIN", show_default=True, help="Where restocked units go.")
@click.option("--note", default="")
@json_option
def aftersales_decide(after_sales_id, decision, shop_name, return_address_id, warehouse, note, as_json) -> None:
    """Decide on a case: agreements go to the platform through the outbox; warehouse steps are recorded here."""
    result = decide_case(
        case_named(after_sales_id, shop_name),
        Decision(decision),
        actor=actor(),
        now=now(),
        return_address_id=return_address_id,
        note=note,
        warehouse=warehouse,
    )
    if result.outbox_entry_id:
        deliver_outbox_entry.enqueue(result.outbox_entry_id)
    emit(
        as_json,
        asdict(result),
        lambda: click.echo(_("Case %(id)s is now %(state)s.") % {"id": after_sales_id, "state": result.state}),
    )


@command("receive", aftersales)
@click.argument("tracking_no")
@json_option
def aftersales_receive(tracking_no, as_json) -> None:
    """A returned parcel arrived: scan its tracking number to mark its case received (once)."""
    result = receive_return(tracking_no, actor=actor(), now=now())
    if result.already:
        text = _("Parcel %(no)s was received already (case %(id)s, order %(order_sn)s).")
    else:
        text = _("Parcel %(no)s received: case %(id)s, order %(order_sn)s. Inspect it next.")
    values = {"no": tracking_no.strip().upper(), "id": result.after_sales_id, "order_sn": result.order_sn}
    emit(as_json, asdict(result), lambda: click.echo(text % values))


@command("inspect", aftersales)
@click.argument("after_sales_id")
@click.argument("outcome", type=click.Choice(["ok", "damaged"]))
@click.option("--shop", "shop_name", default=None)
@click.option("--warehouse", default="MAIN", show_default=True, help="Where sound goods go back on the shelf.")
@click.option("--note", default="")
@json_option
def aftersales_inspect(after_sales_id, outcome, shop_name, warehouse, note, as_json) -> None:
    """Inspect a received return: ok goes back to sellable stock, damaged is written off (both in the ledger)."""
    result = inspect(
        case_named(after_sales_id, shop_name),
        ok=outcome == "ok",
        actor=actor(),
        now=now(),
        warehouse=warehouse,
        note=note,
    )
    if result.restocked:
        text = _("Case %(id)s: %(n)s unit(s) back on the shelf.") % {"id": after_sales_id, "n": result.restocked}
    else:
        text = _("Case %(id)s: %(n)s unit(s) written off as damaged.") % {"id": after_sales_id, "n": result.damaged}
    emit(as_json, asdict(result), lambda: click.echo(text))


@command("replace", aftersales)
@click.argument("after_sales_id")
@click.option("--shop", "shop_name", default=None)
@click.option("--note", default="")
@json_option
def aftersales_replace(after_sales_id, shop_name, note, as_json) -> None:
    """Exchange or resend: create the replacement order (reviewed and reserved like any order), once per case."""
    result = send_replacement(case_named(after_sales_id, shop_name), actor=actor(), now=now(), note=note)
    if result.already:
        text = _("Case %(id)s already has its replacement order %(order_sn)s (%(status)s).")
    else:
        text = _("Case %(id)s: replacement order %(order_sn)s created (%(status)s).")
    values = {"id": after_sales_id, "order_sn": result.order_sn, "status": result.order_status}
    emit(as_json, asdict(result), lambda: click.echo(text % values))
