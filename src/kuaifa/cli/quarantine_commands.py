"""``kuaifa quarantine``: platform records that could not be read, listed and retried after a fix."""

from dataclasses import asdict

import click
from django.utils.translation import gettext as _

from kuaifa.cli.commands import _shop
from kuaifa.cli.main import actor, cli, command, emit, json_option, now
from kuaifa.cli.render import show_time


@cli.group()
def quarantine() -> None:
    """Orders and after-sales cases from the platform that could not be read: kept raw, never dropped."""


@command(quarantine, "list")
@click.option("--shop", "shop_name", default=None)
@click.option("--all", "include_resolved", is_flag=True, help="Also records already resolved.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
@json_option
def quarantine_list(shop_name, include_resolved, limit, as_json) -> None:
    """Records waiting in quarantine, the longest waiting first, with the reason they could not be read."""
    from kuaifa.persistence.sync_queries import quarantined_records

    rows = quarantined_records(shop_id=_shop(shop_name).id if shop_name else None,
                               include_resolved=include_resolved, limit=limit)  # fmt: skip

    def human() -> None:
        for r in rows:
            state = _("resolved") if r.resolved_at else _("waiting")
            seen = f"{show_time(r.first_seen_at)} … {show_time(r.last_seen_at)}"
            click.echo(f"#{r.id:<6} {r.shop_name}  {r.stream:<8} {r.platform_key:<26} {state}  "
                       f"×{r.attempts}  {seen}")  # fmt: skip
            click.echo(f"        [{r.reason_code}] {r.reason}")
        click.echo(_("%(n)s record(s) in quarantine.") % {"n": len(rows)})

    emit(as_json, [asdict(r) for r in rows], human)


@command(quarantine, "retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--shop", "shop_name", default=None)
@json_option
def quarantine_retry(ids, shop_name, as_json) -> None:
    """Read the stored records again (all waiting ones, or IDs) and store those that now read."""
    from kuaifa.services.quarantine_retry import retry_quarantined
    from kuaifa.tasks.platforms import platform_for

    report = retry_quarantined(list(ids), platform_for, actor=actor(), now=now(),
                               shop_id=_shop(shop_name).id if shop_name else None)  # fmt: skip
    data = {"resolved": report.resolved, "still_unreadable": report.still_unreadable}

    def human() -> None:
        for row_id, reason in report.still_unreadable.items():
            click.secho(f"#{row_id}: {reason}", fg="yellow")
        click.echo(_("%(resolved)s record(s) stored, %(still)s still unreadable.")
                   % {"resolved": len(report.resolved), "still": len(report.still_unreadable)})  # fmt: skip

    emit(as_json, data, human)
