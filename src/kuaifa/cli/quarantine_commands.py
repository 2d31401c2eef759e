"""``kuaifa quarantine``: platform records that could not be read, listed and retried after a fix."""

from dataclasses import asdict

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now, shop_id_of
from kuaifa.cli.render import show_time
from kuaifa.persistence.sync_queries import quarantined_records
from kuaifa.services.quarantine_retry import retry_quarantined
from kuaifa.tasks.platforms import platform_for


@click.group()
def quarantine() -> None:
    """Orders and after-sales cases from the platform that could not be read: kept raw, never dropped."""


@command("list", quarantine)
@click.option("--shop", "shop_name", default=None)
@click.option("--all", "include_resolved", is_flag=True, help="Also records already resolved.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
@json_option
def quarantine_list(shop_name, include_resolved, limit, as_json) -> None:
    """Records waiting in quarantine, the longest waiting first, with the reason they could not be read."""
    rows = quarantined_records(shop_id=shop_id_of(shop_name), include_resolved=include_resolved, limit=limit)

    def human() -> None:
        for r in rows:
            state = _("resolved") if r.resolved_at else _("waiting")
            seen = f"{show_time(r.first_seen_at)} … {show_time(r.last_seen_at)}"
            click.echo(f"#{r.id:<6} {r.shop_name}  {r.stream:<8} {r.platform_key:<26} {state}  ×{r.attempts}  {seen}")
            click.echo(f"        [{r.reason_code}] {r.reason}")
        click.echo(_("%(n)s record(s) in quarantine.") % {"n": len(rows)})

    emit(as_json, [asdict(r) for r in rows], human)


@command("retry", quarantine)
@click.argument("ids", nargs=-1, type=int)
@click.option("--shop", "shop_name", default=None)
@json_option
def quarantine_retry(ids, shop_name, as_json) -> None:
    """Read the stored records again (all waiting ones, or IDs) and store those that now read."""
    report = retry_quarantined(list(ids), platform_for, actor=actor(), now=now(), shop_id=shop_id_of(shop_name))
    data = {"resolved": report.resolved, "still_unreadable": report.still_unreadable}

    def human() -> None:
        for row_id, reason in report.still_unreadable.items():
            click.secho(f"#{row_id}: {reason}", fg="yellow")
        click.echo(
            _("%(resolved)s record(s) stored, %(still)s still unreadable.")
            % {"resolved": len(report.resolved), "still": len(report.still_unreadable)}
        )

    emit(as_json, data, human)
