"""Subcommands of parcel tracking: poll traces, list stalled parcels with their buyers, draft delay notices."""

import click
from django.utils.translation import gettext as _

from kuaifa.cli.main import cli, command, emit, json_option, now


@cli.group()
def tracking() -> None:
    """Parcels after shipment: traces, stalled parcels, delay notices."""


@command(tracking, "poll")
@json_option
def tracking_poll(as_json) -> None:
    """Poll the traces that are due (the worker can run this periodically)."""
    from kuaifa.tasks.alerting import poll_due_traces

    counts = poll_due_traces()
    emit(
        as_json,
        counts,
        lambda: click.echo(_("%(polled)s parcel(s) polled, %(delivered)s delivered, %(errors)s error(s).") % counts),
    )


def _stalled(hours):
    from kuaifa.domain.carriers.traces import StallRule
    from kuaifa.services.tracking import stalled_parcels

    return stalled_parcels(now=now(), rule=StallRule(hours=hours))


@command(tracking, "stalled")
@click.option("--hours", type=click.FloatRange(1), default=48, show_default=True, help="Silent for this long.")
@click.option("--notices", is_flag=True, help="Also draft a delay notice per affected buyer.")
@json_option
def tracking_stalled(hours, notices, as_json) -> None:
    """Parcels with no new trace event for --hours, by carrier and province, with the (masked) buyer."""
    from kuaifa.services.tracking import delay_notices

    parcels = _stalled(hours)
    drafted = dict(delay_notices(parcels)) if notices else {}
    data = [
        {
            "order_sn": p.order_sn,
            "shop": p.shop,
            "carrier": p.carrier,
            "province": p.province,
            "tracking_number": p.tracking_number,
            "buyer": p.buyer,
            "phone": p.phone,
            "silent_hours": round(p.silent.total_seconds() / 3600, 1),
            "latest": p.latest,
            "notice": drafted.get(p.order_sn),
        }
        for p in parcels
    ]

    def human() -> None:
        for row in data:
            click.echo(
                f"{row['carrier']} {row['province']}  {row['order_sn']}  {row['tracking_number']}  "
                f"{row['buyer']} {row['phone']}  {row['silent_hours']}h  {row['latest']}"
            )
            if row["notice"]:
                click.echo(f"    {row['notice']}")
        click.echo(_("%(n)s stalled parcel(s).") % {"n": len(data)})

    emit(as_json, data, human)
