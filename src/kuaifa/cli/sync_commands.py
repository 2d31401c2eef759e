"""Talking to the sales platform: sync (with push messages), backfill, sync health, the outbox of owed calls, and
the background worker."""

import time
from dataclasses import asdict
from datetime import datetime, timedelta

import click
from django.core.management import call_command
from django.db import connection
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now, platform_shops, shop_named
from kuaifa.cli.render import show_time
from kuaifa.domain.shared.errors import Text
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.queries import outbox_entries
from kuaifa.persistence.sync_queries import sync_health
from kuaifa.platforms.pdd.pmc import PmcConsumer, pmc_url_factory
from kuaifa.services import outbox as owed
from kuaifa.services.credentials import credentials_of
from kuaifa.services.errors import InvalidInput
from kuaifa.services.push import record_push
from kuaifa.services.shop_sync import sync_shop
from kuaifa.services.sync import reconcile_orders
from kuaifa.tasks.alerting import sweep_sla
from kuaifa.tasks.jobs import enqueue_shop_syncs, give_back_intercepted_waybills, sweep_outbox
from kuaifa.tasks.platforms import platform_for


def sync_once(shop, *, one_window):
    """One whole-shop sync (services.shop_sync): orders, after-sales, due pushes, then review."""
    r = sync_shop(shop, platform_for(shop), actor=actor(), clock=now, one_window=one_window)
    return {
        "shop": shop.name,
        "windows": r.orders.windows,
        "fetched": r.orders.fetched,
        "created": r.orders.ingest.created,
        "updated": r.orders.ingest.updated,
        "unchanged": r.orders.ingest.unchanged,
        "caught_up": r.orders.caught_up,
        "position": r.orders.position,
        "quarantined": r.orders.quarantined + r.cases.quarantined + r.pushes.quarantined,
        "cases_created": r.cases.created,
        "cases_updated": r.cases.updated,
        "pushes_handled": r.pushes.handled,
        "accepted": r.review.accepted,
        "held": r.review.held,
        "errors": {stage: {"code": e.code, "message": e.message} for stage, e in r.errors.items()},
    }


def push_consumers(shops, push_url: str):
    """One push consumer per shop's app; a message only records a trigger (services.push), then is ACKed."""
    consumers = []
    for shop in shops:
        creds = credentials_of(shop)

        def handle(message, shop=shop) -> None:
            try:
                if shop.platform_shop_id and str(message.mall_id) != shop.platform_shop_id:
                    return  # another shop of the same app: its own consumer records it
                record_push(
                    shop,
                    topic=message.type,
                    business_key=str(message.business_key or ""),
                    order_sn=str(message.order_sn or ""),
                    message_id=str(message.id),
                    now=now(),
                )
            finally:
                connection.close()

        consumer = PmcConsumer(pmc_url_factory(creds.client_id, creds.client_secret, base=push_url), handle)
        consumer.start()
        consumers.append(consumer)
    return consumers


def stage_name(stage: str) -> str:
    names = {"clock": _("clock"), "orders": _("orders"), "refunds": _("after-sales"), "pushes": _("push messages")}
    return names.get(stage, stage)


@command("sync")
@click.option("--shop", "shop_name", default=None)
@click.option("--once", is_flag=True, help="Catch each shop up to now, then stop (the default without --follow).")
@click.option("--one-window", is_flag=True, help="Only one window of orders and of after-sales per shop, then stop.")
@click.option("--follow", is_flag=True, help="Keep syncing every --interval seconds until interrupted.")
@click.option("--interval", type=click.IntRange(5, 3600), default=60, show_default=True)
@click.option(
    "--push-url",
    default="",
    help="With --follow: also consume push messages from this PMC base URL "
    "(wss://message-api.pinduoduo.com, or the one `kuaifa sim serve` prints).",
)
@json_option
def sync(shop_name, once, one_window, follow, interval, push_url, as_json) -> None:
    """Pull orders and after-sales from the platform in overlapping ≤30-minute windows, then review them.
    A stage that fails (say after-sales without permission) is reported and the others still run; the exit
    status is 1 when order sync failed."""
    if follow and (once or one_window):
        raise InvalidInput(
            field="--follow", reason=Text("--follow keeps syncing; it does not go with --once/--one-window")
        )
    if push_url and follow:
        push_consumers(platform_shops(shop_name), push_url)
    while True:
        results = [sync_once(shop, one_window=one_window) for shop in platform_shops(shop_name)]

        def human(rows=results) -> None:
            for r in rows:
                click.echo(
                    _(
                        "%(shop)s: %(windows)s window(s), %(fetched)s fetched, %(created)s new, %(updated)s "
                        "updated, %(cases_created)s new after-sales cases; reviewed: %(accepted)s "
                        "accepted, %(held)s held; synced to %(at)s"
                    )
                    % (r | {"at": show_time(r["position"])})
                )
                if r["quarantined"]:
                    waiting = _("%(n)s record(s) could not be read and wait in quarantine (kuaifa quarantine list).")
                    click.secho("  " + waiting % {"n": r["quarantined"]}, fg="yellow")
                for stage, e in r["errors"].items():
                    failed = _("%(stage)s failed: [%(code)s] %(message)s") % {"stage": stage_name(stage), **e}
                    click.secho("  " + failed, fg="red", err=True)

        emit(as_json, results, human)
        if not follow:
            if any({"clock", "orders"} & r["errors"].keys() for r in results):
                raise SystemExit(1)
            return
        time.sleep(interval)


def parse_date(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=CHINA) if "T" not in value else datetime.fromisoformat(value)


@command("sync-backfill")
@click.option("--shop", "shop_name", required=True)
@click.option("--from", "start", required=True, help="Date (China time), e.g. 2026-11-01.")
@click.option("--to", "end", required=True, help="Date (China time), exclusive.")
@json_option
def sync_backfill(shop_name, start, end, as_json) -> None:
    """Read every order confirmed in a date range (≤ 90 days) and store what was missing or older: backfill,
    and the daily reconciliation that proves the increments missed nothing."""
    shop = shop_named(shop_name)
    report = reconcile_orders(shop, platform_for(shop), parse_date(start), parse_date(end), actor=actor(), now=now())
    data = {
        "windows": report.windows,
        "checked": report.checked,
        "missing": report.missing,
        "changed": report.changed,
        "created": report.ingest.created,
        "quarantined": report.quarantined,
    }

    def human() -> None:
        checked = _(
            "%(checked)s orders checked in %(windows)s day(s): %(n)s missing were added, "
            "%(changed)s older copies updated."
        )
        click.echo(checked % (data | {"n": len(report.missing)}))
        if report.quarantined:
            waiting = _("%(n)s record(s) could not be read and wait in quarantine (kuaifa quarantine list).")
            click.secho(waiting % {"n": report.quarantined}, fg="yellow")

    emit(as_json, data, human)


@command("sync-status")
@json_option
def sync_status(as_json) -> None:
    """Sync health per shop: last good window, lag, failed calls by API and code (also those a retry got through),
    rate limits, failing streams, quarantined records, token, outbox and push backlog."""
    current = now()
    rows = sync_health(since=current - timedelta(hours=24))

    def human() -> None:
        for r in rows:
            lag = current - r.cursor if r.cursor else None
            click.echo(
                f"{r.shop}: {_('synced to')} {show_time(r.cursor)} ({_('lag')} "
                f"{int(lag.total_seconds() // 60) if lag else '—'} min), {_('last success')} "
                f"{show_time(r.last_success_at)}"
            )
            click.echo(
                f"  24h: {r.windows} {_('windows')}, {_('failed windows')} {r.errors or 0}, "
                f"{_('failed calls')} {sum(sum(c.values()) for c in r.call_errors.values())} "
                f"({_('retried')} {r.calls_retried}), {_('rate limited')} {r.rate_limited}; "
                f"{_('outbox')} {r.outbox or 0}; {_('pushes pending')} {r.pushes_pending}"
            )
            for api, codes in r.call_errors.items():
                click.echo(f"    {api}: " + ", ".join(f"{code} ×{n}" for code, n in codes.items()))
            for stream, e in r.failing.items():
                failing = _("%(stage)s sync failing: [%(code)s] %(message)s")
                click.secho(
                    "  " + failing % {"stage": stage_name(stream), "code": e.code, "message": e.message}, fg="red"
                )
            if r.quarantined:
                waiting = _("In quarantine: %(n)s record(s) (kuaifa quarantine list).")
                click.secho("  " + waiting % {"n": sum(r.quarantined.values())}, fg="yellow")
            if r.needs_authorization:
                click.secho(
                    "  " + _("The platform no longer accepts this shop's token: authorise the app again."), fg="red"
                )

    emit(as_json, [asdict(r) for r in rows], human)


@command("outbox")
@click.option("--retry", is_flag=True, help="Make failed entries due again and send everything due now.")
@json_option
def outbox(retry, as_json) -> None:
    """Calls owed to platforms that are not done yet (pending, sending, failed)."""
    deliveries = []
    if retry:
        owed.retry_failed(now=now())
        deliveries = [owed.deliver(i, platform_for, now=now()) for i in owed.due_ids(now=now())]
    rows = outbox_entries(states=["pending", "sending", "failed"])
    data = {"delivered": [d.__dict__ for d in deliveries], "open": [asdict(r) for r in rows]}

    def human() -> None:
        for d in deliveries:
            click.echo(f"#{d.entry_id}: {d.outcome} {d.detail}")
        for r in rows:
            click.echo(
                f"#{r.id} {r.shop_name} {r.kind} {r.state} ×{r.attempts} {show_time(r.next_attempt_at)} {r.last_error}"
            )
        click.echo(_("%(n)s open outbox entries.") % {"n": len(rows)})

    emit(as_json, data, human)


@command("worker")
@click.option("--once", is_flag=True, help="Run what is queued and due (and one sync of every shop), then stop.")
@click.option("--interval", type=click.IntRange(1, 3600), default=30, show_default=True)
@click.option(
    "--sync-every",
    type=click.IntRange(0, 86_400),
    default=300,
    show_default=True,
    help="Seconds between whole-shop syncs of every connected shop; 0 turns them off.",
)
def worker(once, interval, sync_every) -> None:
    """Run background work: queued tasks (Django Tasks, database queue), a sweep of the outbox every interval,
    the return of intercepted orders' unused e-waybills, and a whole-shop sync of every connected shop
    every --sync-every seconds."""
    last_sync = None
    while True:
        sweep_outbox.enqueue()
        sweep_sla.enqueue()
        give_back_intercepted_waybills.enqueue()
        if sync_every and (last_sync is None or time.monotonic() - last_sync >= sync_every):
            enqueue_shop_syncs()
            last_sync = time.monotonic()
        call_command("db_worker", batch=True, interval=0.1, verbosity=0)
        if once:
            return
        time.sleep(interval)
