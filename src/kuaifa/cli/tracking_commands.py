"""``kuaifa tracking``: parcels after shipment — poll their traces, list the stalled ones with their buyers and
draft delay notices, and carrier × province timeliness measured from the traces."""

from datetime import timedelta

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import command, emit, json_option, now
from kuaifa.domain.carriers.timeliness import Promise
from kuaifa.domain.carriers.traces import StallRule
from kuaifa.services.timeliness import carrier_timeliness
from kuaifa.services.tracking import delay_notices, stalled_parcels
from kuaifa.tasks.alerting import poll_due_traces


@click.group()
def tracking() -> None:
    """Parcels after shipment: traces, stalled parcels, delay notices."""


@command("poll", tracking)
@json_option
def tracking_poll(as_json) -> None:
    """Poll the traces that are due (the worker can run this periodically)."""
    counts = poll_due_traces()
    emit(
        as_json,
        counts,
        lambda: click.echo(_("%(polled)s parcel(s) polled, %(delivered)s delivered, %(errors)s error(s).") % counts),
    )


@command("stalled", tracking)
@click.option("--hours", type=click.FloatRange(1), default=48, show_default=True, help="Silent for this long.")
@click.option("--notices", is_flag=True, help="Also draft a delay notice per affected buyer.")
@json_option
def tracking_stalled(hours, notices, as_json) -> None:
    """Parcels with no new trace event for --hours, by carrier and province, with the (masked) buyer."""
    parcels = stalled_parcels(now=now(), rule=StallRule(hours=hours))
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


@command("timeliness", tracking)
@click.option("--days", type=click.IntRange(1, 365), default=60, show_default=True, help="Shipments of the last days.")
@click.option("--promise-days", type=float, default=3.0, show_default=True, help="Promised days to deliver.")
@click.option("--remote-days", type=float, default=5.0, show_default=True, help="Promised days to the remote west.")
@json_option
def tracking_timeliness(days, promise_days, remote_days, as_json) -> None:
    """Carrier × province: parcels counted, share signed within the promise, median pickup→delivery hours."""
    promise = Promise(days=promise_days, remote_days=remote_days)
    rows = carrier_timeliness(now=now(), period=timedelta(days=days), promise=promise)
    data = [
        {
            "carrier": r.carrier,
            "province": r.province,
            "parcels": r.counted,
            "on_time": r.on_time,
            "on_time_percent": r.on_time_percent,
            "median_transit_hours": r.median_transit_hours,
        }
        for r in rows
    ]

    def human() -> None:
        for r in rows:
            median = "—" if r.median_transit_hours is None else f"{r.median_transit_hours:.1f}h"
            click.echo(f"{r.carrier:<8}{r.province:<12}{r.counted:>6}{r.on_time_percent:>6}%{median:>9}")
        click.echo(_("%(n)s carrier × province row(s).") % {"n": len(rows)})

    emit(as_json, data, human)
