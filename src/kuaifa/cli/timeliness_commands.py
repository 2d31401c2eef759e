"""Carrier × province timeliness measured from the traces: ``kuaifa tracking timeliness``, and the words carrier
choice uses to say where each on-time rate came from."""

import click
from django.utils.translation import gettext as _

from kuaifa.cli.main import command, emit, json_option, now
from kuaifa.cli.tracking_commands import tracking


def rate_sources(found) -> list[str]:
    """One line per carrier rate used in a choice: measured from N parcels, or typed by the merchant."""
    lines = []
    for code, rate in sorted(found.on_time_sources.items()):
        if rate.measured:
            lines.append(_("%(carrier)s on-time %(pct)s%%: measured from %(n)s traced parcel(s) to this province")
                         % {"carrier": code, "pct": rate.percent, "n": rate.parcels})  # fmt: skip
        else:
            lines.append(_("%(carrier)s on-time %(pct)s%%: typed in the tariff sheet (too few traced parcels)")
                         % {"carrier": code, "pct": rate.percent})  # fmt: skip
    return lines


@command(tracking, "timeliness")
@click.option("--days", type=click.IntRange(1, 365), default=60, show_default=True, help="Shipments of the last days.")
@click.option("--promise-days", type=float, default=3.0, show_default=True, help="Promised days to deliver.")
@click.option("--remote-days", type=float, default=5.0, show_default=True, help="Promised days to the remote west.")
@json_option
def tracking_timeliness(days, promise_days, remote_days, as_json) -> None:
    """Carrier × province: parcels counted, share signed within the promise, median pickup→delivery hours."""
    from datetime import timedelta

    from kuaifa.domain.carriers.timeliness import Promise
    from kuaifa.services.timeliness import carrier_timeliness

    rows = carrier_timeliness(now=now(), period=timedelta(days=days),
                              promise=Promise(days=promise_days, remote_days=remote_days))  # fmt: skip
    data = [{"carrier": r.carrier, "province": r.province, "parcels": r.counted, "on_time": r.on_time,
             "on_time_percent": r.on_time_percent, "median_transit_hours": r.median_transit_hours}
            for r in rows]  # fmt: skip

    def human() -> None:
        for r in rows:
            median = "—" if r.median_transit_hours is None else f"{r.median_transit_hours:.1f}h"
            click.echo(f"{r.carrier:<8}{r.province:<12}{r.counted:>6}{r.on_time_percent:>6}%{median:>9}")
        click.echo(_("%(n)s carrier × province row(s).") % {"n": len(rows)})

    emit(as_json, data, human)
