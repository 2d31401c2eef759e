"""After-sales to the end: returned parcels scanned in, inspection, the replacement parcel of an exchange or
resend (subcommands of ``kuaifa aftersales``)."""

from dataclasses import asdict
from datetime import datetime

import click
from django.utils.translation import gettext as _

from kuaifa.cli.commands import _shop
from kuaifa.cli.main import actor, command, emit, json_option, now
from kuaifa.cli.platform_commands import aftersales


def time_left(deadline: datetime | None, moment: datetime) -> tuple[int | None, str]:
    """Minutes left before a deadline and how to show them (剩余 2天3小时, or 已超时 5小时)."""
    if deadline is None:
        return None, "—"
    minutes = int((deadline - moment).total_seconds() // 60)
    days, rest = divmod(abs(minutes), 24 * 60)
    span = (_("%(d)sd %(h)sh") % {"d": days, "h": rest // 60}) if days else (
        _("%(h)sh %(m)sm") % {"h": rest // 60, "m": rest % 60})  # fmt: skip
    if minutes < 0:
        return minutes, _("overdue %(span)s") % {"span": span}
    return minutes, _("%(span)s left") % {"span": span}


def _case_id(after_sales_id: str, shop_name: str | None) -> int:
    from kuaifa.persistence.models import AfterSalesCase
    from kuaifa.services.errors import NotFound

    query = AfterSalesCase.objects.filter(after_sales_id=after_sales_id)
    if shop_name:
        query = query.filter(shop=_shop(shop_name))
    case_id = query.values_list("id", flat=True).first()
    if case_id is None:
        raise NotFound(kind="after-sales case", key=after_sales_id)
    return case_id


@command(aftersales, "receive")
@click.argument("tracking_no")
@json_option
def aftersales_receive(tracking_no, as_json) -> None:
    """A returned parcel arrived: scan its tracking number to mark its case received (once)."""
    from kuaifa.services.aftersales_end import receive_return

    result = receive_return(tracking_no, actor=actor(), now=now())
    text = _("Parcel %(no)s was received already (case %(id)s, order %(order_sn)s).") if result.already else _(
        "Parcel %(no)s received: case %(id)s, order %(order_sn)s. Inspect it next.")  # fmt: skip
    emit(as_json, asdict(result),
         lambda: click.echo(text % {"no": tracking_no.strip().upper(), "id": result.after_sales_id,
                                    "order_sn": result.order_sn}))  # fmt: skip


@command(aftersales, "inspect")
@click.argument("after_sales_id")
@click.argument("outcome", type=click.Choice(["ok", "damaged"]))
@click.option("--shop", "shop_name", default=None)
@click.option("--warehouse", default="MAIN", show_default=True, help="Where sound goods go back on the shelf.")
@click.option("--note", default="")
@json_option
def aftersales_inspect(after_sales_id, outcome, shop_name, warehouse, note, as_json) -> None:
    """Inspect a received return: ok goes back to sellable stock, damaged is written off (both in the ledger)."""
    from kuaifa.services.aftersales_end import inspect

    result = inspect(_case_id(after_sales_id, shop_name), ok=outcome == "ok", actor=actor(), now=now(),
                     warehouse=warehouse, note=note)  # fmt: skip
    if result.restocked:
        text = _("Case %(id)s: %(n)s unit(s) back on the shelf.") % {"id": after_sales_id, "n": result.restocked}
    else:
        text = _("Case %(id)s: %(n)s unit(s) written off as damaged.") % {"id": after_sales_id, "n": result.damaged}
    emit(as_json, asdict(result), lambda: click.echo(text))


@command(aftersales, "replace")
@click.argument("after_sales_id")
@click.option("--shop", "shop_name", default=None)
@click.option("--note", default="")
@json_option
def aftersales_replace(after_sales_id, shop_name, note, as_json) -> None:
    """Exchange or resend: create the replacement order (reviewed and reserved like any order), once per case."""
    from kuaifa.services.aftersales_end import send_replacement

    result = send_replacement(_case_id(after_sales_id, shop_name), actor=actor(), now=now(), note=note)
    text = _("Case %(id)s already has its replacement order %(order_sn)s (%(status)s).") if result.already else _(
        "Case %(id)s: replacement order %(order_sn)s created (%(status)s).")  # fmt: skip
    emit(as_json, asdict(result), lambda: click.echo(
        text % {"id": after_sales_id, "order_sn": result.order_sn, "status": result.order_status}))  # fmt: skip
