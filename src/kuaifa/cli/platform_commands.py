"""Subcommands that talk to a sales platform (or its simulator): connect, sync, outbox, worker, ship, sim."""

import time
from dataclasses import asdict
from datetime import datetime, timedelta

import click
from django.utils.translation import gettext as _

from kuaifa.cli import commands
from kuaifa.cli.commands import _order, _shop
from kuaifa.cli.main import actor, cli, command, emit, json_option, now
from kuaifa.cli.render import show_time
from kuaifa.domain.shared.errors import Text


@command(commands.shop, "add-pdd")
@click.argument("name")
@click.option("--client-id", required=True)
@click.option("--client-secret", required=True)
@click.option("--access-token", required=True)
@click.option("--refresh-token", default="")
@click.option(
    "--gateway",
    default="https://gw-api.pinduoduo.com/api/router",
    show_default=True,
    help="The gateway URL; point it at `kuaifa sim serve` to use the simulator.",
)
@json_option
def shop_add_pdd(name, client_id, client_secret, access_token, refresh_token, gateway, as_json) -> None:
    """Register a Pinduoduo shop with its app credentials and authorisation tokens (stored encrypted)."""
    from kuaifa.services.credentials import connect_pdd_shop

    shop = connect_pdd_shop(name, gateway_url=gateway, client_id=client_id, client_secret=client_secret,
                            access_token=access_token, refresh_token=refresh_token, now=now())  # fmt: skip
    emit(
        as_json,
        {"id": shop.id, "name": shop.name},
        lambda: click.echo(_("Shop %(name)s connected to %(gateway)s.") % {"name": shop.name, "gateway": gateway}),
    )


def _pdd_shops(shop_name):
    from kuaifa.persistence.models import Shop

    if shop_name:
        return [_shop(shop_name)]
    return list(Shop.objects.filter(credential__isnull=False).order_by("name"))


def _sync_once(shop, *, one_window):
    """One whole-shop sync (services.shop_sync): orders, after-sales, due pushes, then review."""
    from kuaifa.services.shop_sync import sync_shop
    from kuaifa.tasks.platforms import platform_for

    r = sync_shop(shop, platform_for(shop), actor=actor(), clock=now, one_window=one_window)
    return {"shop": shop.name, "windows": r.orders.windows, "fetched": r.orders.fetched,
            "created": r.orders.ingest.created, "updated": r.orders.ingest.updated,
            "unchanged": r.orders.ingest.unchanged, "caught_up": r.orders.caught_up, "position": r.orders.position,
            "quarantined": r.orders.quarantined + r.cases.quarantined + r.pushes.quarantined,
            "cases_created": r.cases.created, "cases_updated": r.cases.updated, "pushes_handled": r.pushes.handled,
            "accepted": r.review.accepted, "held": r.review.held,
            "errors": {stage: {"code": e.code, "message": e.message} for stage, e in r.errors.items()}}  # fmt: skip


def _push_consumers(shops, push_url: str):
    """One push consumer per shop's app; a message only records a trigger (services.push), then is ACKed."""
    from django.db import connection

    from kuaifa.platforms.pdd.pmc import PmcConsumer, pmc_url_factory
    from kuaifa.services.credentials import credentials_of
    from kuaifa.services.push import record_push

    consumers = []
    for shop in shops:
        creds = credentials_of(shop)

        def handle(message, shop=shop) -> None:
            try:
                if shop.platform_shop_id and str(message.mall_id) != shop.platform_shop_id:
                    return  # another shop of the same app: its own consumer records it
                record_push(shop, topic=message.type, business_key=str(message.business_key or ""),
                            order_sn=str(message.order_sn or ""), message_id=str(message.id), now=now())  # fmt: skip
            finally:
                connection.close()

        consumer = PmcConsumer(pmc_url_factory(creds.client_id, creds.client_secret, base=push_url), handle)
        consumer.start()
        consumers.append(consumer)
    return consumers


def _stage_name(stage: str) -> str:
    names = {"clock": _("clock"), "orders": _("orders"), "refunds": _("after-sales"), "pushes": _("push messages")}
    return names.get(stage, stage)


@command(cli, "sync")
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
        from kuaifa.services.errors import InvalidInput

        raise InvalidInput(
            field="--follow", reason=Text("--follow keeps syncing; it does not go with --once/--one-window")
        )
    if push_url and follow:
        _push_consumers(_pdd_shops(shop_name), push_url)
    while True:
        results = [_sync_once(shop, one_window=one_window) for shop in _pdd_shops(shop_name)]

        def human(rows=results) -> None:
            for r in rows:
                click.echo(_("%(shop)s: %(windows)s window(s), %(fetched)s fetched, %(created)s new, %(updated)s "
                             "updated, %(cases_created)s new after-sales cases; reviewed: %(accepted)s "
                             "accepted, %(held)s held; synced to %(at)s")
                           % (r | {"at": show_time(r["position"])}))  # fmt: skip
                if r["quarantined"]:
                    waiting = _("%(n)s record(s) could not be read and wait in quarantine (kuaifa quarantine list).")
                    click.secho("  " + waiting % {"n": r["quarantined"]}, fg="yellow")
                for stage, e in r["errors"].items():
                    click.secho("  " + _("%(stage)s failed: [%(code)s] %(message)s")
                                % {"stage": _stage_name(stage), **e}, fg="red", err=True)  # fmt: skip

        emit(as_json, results, human)
        if not follow:
            if any({"clock", "orders"} & r["errors"].keys() for r in results):
                raise SystemExit(1)
            return
        time.sleep(interval)


def _date(value: str) -> datetime:
    from kuaifa.domain.sla.deadlines import CHINA

    return datetime.fromisoformat(value).replace(tzinfo=CHINA) if "T" not in value else datetime.fromisoformat(value)


@command(cli, "sync-backfill")
@click.option("--shop", "shop_name", required=True)
@click.option("--from", "start", required=True, help="Date (China time), e.g. 2026-11-01.")
@click.option("--to", "end", required=True, help="Date (China time), exclusive.")
@json_option
def sync_backfill(shop_name, start, end, as_json) -> None:
    """Read every order confirmed in a date range (≤ 90 days) and store what was missing or older: backfill,
    and the daily reconciliation that proves the increments missed nothing."""
    from kuaifa.services.sync import reconcile_orders
    from kuaifa.tasks.platforms import platform_for

    shop = _shop(shop_name)
    report = reconcile_orders(shop, platform_for(shop), _date(start), _date(end), actor=actor(), now=now())
    data = {"windows": report.windows, "checked": report.checked, "missing": report.missing,
            "changed": report.changed, "created": report.ingest.created,
            "quarantined": report.quarantined}  # fmt: skip

    def human() -> None:
        click.echo(_("%(checked)s orders checked in %(windows)s day(s): %(n)s missing were added, "
                     "%(changed)s older copies updated.") % (data | {"n": len(report.missing)}))  # fmt: skip
        if report.quarantined:
            click.secho(_("%(n)s record(s) could not be read and wait in quarantine (kuaifa quarantine list).")
                        % {"n": report.quarantined}, fg="yellow")  # fmt: skip

    emit(as_json, data, human)


@command(cli, "sync-status")
@json_option
def sync_status(as_json) -> None:
    """Sync health per shop: last good window, lag, failed calls by API and code (also those a retry got through),
    rate limits, failing streams, quarantined records, token, outbox and push backlog."""
    from kuaifa.persistence.sync_queries import sync_health

    current = now()
    rows = sync_health(since=current - timedelta(hours=24))

    def human() -> None:
        for r in rows:
            lag = current - r.cursor if r.cursor else None
            click.echo(f"{r.shop}: {_('synced to')} {show_time(r.cursor)} ({_('lag')} "
                       f"{int(lag.total_seconds() // 60) if lag else '—'} min), {_('last success')} "
                       f"{show_time(r.last_success_at)}")  # fmt: skip
            click.echo(f"  24h: {r.windows} {_('windows')}, {_('failed windows')} {r.errors or 0}, "
                       f"{_('failed calls')} {sum(sum(c.values()) for c in r.call_errors.values())} "
                       f"({_('retried')} {r.calls_retried}), {_('rate limited')} {r.rate_limited}; "
                       f"{_('outbox')} {r.outbox or 0}; {_('pushes pending')} {r.pushes_pending}")  # fmt: skip
            for api, codes in r.call_errors.items():
                click.echo(f"    {api}: " + ", ".join(f"{code} ×{n}" for code, n in codes.items()))
            for stream, e in r.failing.items():
                click.secho("  " + _("%(stage)s sync failing: [%(code)s] %(message)s")
                            % {"stage": _stage_name(stream), "code": e.code, "message": e.message},
                            fg="red")  # fmt: skip
            if r.quarantined:
                click.secho("  " + _("In quarantine: %(n)s record(s) (kuaifa quarantine list).")
                            % {"n": sum(r.quarantined.values())}, fg="yellow")  # fmt: skip
            if r.needs_authorization:
                click.secho("  " + _("The platform no longer accepts this shop's token: authorise the app again."),
                            fg="red")  # fmt: skip

    emit(as_json, [asdict(r) for r in rows], human)


@command(cli, "outbox")
@click.option("--retry", is_flag=True, help="Make failed entries due again and send everything due now.")
@json_option
def outbox(retry, as_json) -> None:
    """Calls owed to platforms that are not done yet (pending, sending, failed)."""
    from kuaifa.persistence.queries import outbox_entries
    from kuaifa.services import outbox as service
    from kuaifa.tasks.platforms import platform_for

    deliveries = []
    if retry:
        service.retry_failed(now=now())
        deliveries = [service.deliver(i, platform_for, now=now()) for i in service.due_ids(now=now())]
    rows = outbox_entries(states=["pending", "sending", "failed"])
    data = {"delivered": [d.__dict__ for d in deliveries], "open": [asdict(r) for r in rows]}

    def human() -> None:
        for d in deliveries:
            click.echo(f"#{d.entry_id}: {d.outcome} {d.detail}")
        for r in rows:
            click.echo(f"#{r.id} {r.shop_name} {r.kind} {r.state} ×{r.attempts} "
                       f"{show_time(r.next_attempt_at)} {r.last_error}")  # fmt: skip
        click.echo(_("%(n)s open outbox entries.") % {"n": len(rows)})

    emit(as_json, data, human)


@command(cli, "worker")
@click.option("--once", is_flag=True, help="Run what is queued and due (and one sync of every shop), then stop.")
@click.option("--interval", type=click.IntRange(1, 3600), default=30, show_default=True)
@click.option("--sync-every", type=click.IntRange(0, 86_400), default=300, show_default=True,
              help="Seconds between whole-shop syncs of every connected shop; 0 turns them off.")  # fmt: skip
def worker(once, interval, sync_every) -> None:
    """Run background work: queued tasks (Django Tasks, database queue), a sweep of the outbox every interval,
    the return of intercepted orders' unused e-waybills, and a whole-shop sync of every connected shop
    every --sync-every seconds."""
    from django.core.management import call_command

    from kuaifa.tasks.alerting import sweep_sla
    from kuaifa.tasks.jobs import enqueue_shop_syncs, give_back_intercepted_waybills, sweep_outbox

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


@command(cli, "ship")
@click.argument("order_sns", nargs=-1, required=True)
@click.option("--shop", "shop_name", default=None)
@click.option("--carrier", "carrier_ref", required=True, help="Carrier id or code: 85 or YTO = 圆通.")
@click.option("--tracking", "tracking_number", required=True)
@click.option("--offline", is_flag=True, help="Skip the platform's refund check (it is unreachable).")
@click.option("--confirm-weak-tracking", is_flag=True, help="Ship a number the carrier's rules only weakly match.")
@json_option
def ship(order_sns, shop_name, carrier_ref, tracking_number, offline, confirm_weak_tracking, as_json) -> None:
    """Mark orders shipped: consumes their stock and queues the tracking-number upload (refused if intercepted).
    Several orders share one parcel (合单) only when they go to one buyer at one address of one shop."""
    from kuaifa.services.shipping import ship_merged_parcel, ship_order
    from kuaifa.tasks.jobs import deliver_outbox_entry

    orders = [_order(sn, shop_name) for sn in order_sns]
    if len(orders) == 1:
        results = [ship_order(orders[0].id, carrier=carrier_ref, tracking_number=tracking_number,
                              confirm_weak_tracking=confirm_weak_tracking, actor=actor(), now=now(),
                              check_platform=not offline)]  # fmt: skip
    else:
        results = ship_merged_parcel([o.id for o in orders], carrier=carrier_ref,
                                     tracking_number=tracking_number, confirm_weak_tracking=confirm_weak_tracking,
                                     actor=actor(), now=now(), check_platform=not offline)  # fmt: skip
    if results[0].refund_check_skipped not in ("", "offline"):
        click.secho(_("Platform not reachable (%(code)s); shipping on what Kuaifa knows.")
                    % {"code": results[0].refund_check_skipped}, fg="yellow", err=True)  # fmt: skip
    for shipped in results:
        if shipped.outbox_entry_id:
            deliver_outbox_entry.enqueue(shipped.outbox_entry_id)
    data = [{"order_sn": r.shipment.order.order_sn, "shipment": r.shipment.id, "upload": r.shipment.upload_state,
             "tracking_warning": r.tracking_warning.render(_) if r.tracking_warning else ""}
            for r in results]  # fmt: skip

    def human() -> None:
        for row in data:
            click.echo(_("%(sn)s shipped with %(no)s; upload %(state)s.")
                       % {"sn": row["order_sn"], "no": tracking_number, "state": row["upload"]})  # fmt: skip
            if row["tracking_warning"]:
                click.secho(f"  ! {row['tracking_warning']}", fg="yellow")

    emit(as_json, data if len(data) > 1 else data[0], human)


@command(cli, "merge")
@click.option("--shop", "shop_name", default=None)
@json_option
def merge(shop_name, as_json) -> None:
    """Orders that can ship as one parcel (合单): one buyer, one address, one shop; most urgent first."""
    from kuaifa.services.merging import merge_groups

    groups = merge_groups(shop_id=_shop(shop_name).id if shop_name else None)
    data = [{"orders": [o.order_sn for o in g.orders], "waiting": [o.order_sn for o in g.waiting]} for g in groups]

    def human() -> None:
        for row in data:
            line = " + ".join(row["orders"])
            click.echo(line + (f"   ({_('not ready yet')}: {', '.join(row['waiting'])})" if row["waiting"] else ""))
        click.echo(_("%(n)s parcel(s) to merge.") % {"n": len(data)})

    emit(as_json, data, human)


@cli.group()
def sim() -> None:
    """The Pinduoduo gateway simulator (same protocol, local data)."""


@command(sim, "serve")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--orders-per-hour", type=click.IntRange(1, 100_000), default=20, show_default=True)
@click.option("--days", type=click.IntRange(1, 30), default=1, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8780, show_default=True)
@click.option("--poison-share", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of orders sent in a shape that cannot be mapped (to watch the quarantine work).")  # fmt: skip
def sim_serve(seed, orders_per_hour, days, host, port, poison_share) -> None:
    """Serve a simulated shop whose orders arrive in real time from today (China time), until interrupted."""
    from kuaifa.domain.sla.deadlines import CHINA
    from kuaifa.platforms.sim import (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        ShopConfig,
        SimState,
        generate_shop,
        serve,
    )

    today = now().astimezone(CHINA).date()
    shop = generate_shop(ShopConfig(seed=seed, start=today, days=days, orders_per_day=orders_per_hour * 24,
                                    poison_share=poison_share))  # fmt: skip
    state = SimState(shop, now=now().timestamp())
    state.clock.run()
    server, thread = serve(host, port, state=state)
    from kuaifa.platforms.sim.pmc import serve_pmc

    push = serve_pmc(state, host, port + 1 if port else 0)
    token = state.default_token
    click.echo(
        _("Simulator listening on %(url)s (seed %(seed)s). Connect a shop with:")
        % {"url": server.base_url, "seed": seed}
    )
    click.echo(f"  kuaifa shop add-pdd 模拟店 --gateway {server.base_url} --client-id {DEFAULT_CLIENT_ID} "
               f"--client-secret {DEFAULT_CLIENT_SECRET} --access-token {token.access_token} "
               f"--refresh-token {token.refresh_token}")  # fmt: skip
    click.echo(_("Push messages: kuaifa sync --follow --push-url %(url)s") % {"url": push.url_base})
    try:
        while thread.is_alive():
            thread.join(timeout=1)
    except KeyboardInterrupt:
        push.stop()
        server.stop()


@cli.group()
def aftersales() -> None:
    """After-sales cases (售后): refunds, returns, exchanges, resends."""


@command(aftersales, "list")
@click.option("--state", "states", multiple=True, help="Only these states (repeatable).")
@click.option("--shop", "shop_name", default=None)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
def aftersales_list(states, shop_name, limit, as_json) -> None:
    """Cases, the nearest deadline to act first."""
    from kuaifa.cli.aftersales_commands import time_left
    from kuaifa.cli.render import money
    from kuaifa.domain.aftersales.canonical import status_name_zh
    from kuaifa.persistence.queries import aftersales_cases

    rows = aftersales_cases(states=list(states), shop_id=_shop(shop_name).id if shop_name else None, limit=limit)
    moment = now()

    def human() -> None:
        for r in rows:
            click.echo(f"{r.after_sales_id:<14}{r.order_sn:<24}{r.case_type:<14}{r.state:<20}"
                       f"{money(r.refund_amount):>10}  {show_time(r.expire_time):<17}"
                       f"{time_left(r.expire_time, moment)[1]:>12}  "
                       f"{status_name_zh(r.platform_status)}")  # fmt: skip
        click.echo(_("%(n)s case(s).") % {"n": len(rows)})

    emit(as_json, [asdict(r) | {"time_left_minutes": time_left(r.expire_time, moment)[0]} for r in rows], human)


@command(aftersales, "decide")
@click.argument("after_sales_id")
@click.argument("decision", type=click.Choice(["agree_refund", "agree_return", "receive_return", "inspect_ok",
                                                "inspect_damaged", "restock"]))  # fmt: skip
@click.option("--shop", "shop_name", default=None)
@click.option("--address", "return_address_id", type=int, default=None, help="Return address id (agree_return).")
@click.option("--warehouse", default="MAIN", show_default=True, help="Where restocked units go.")
@click.option("--note", default="")
@json_option
def aftersales_decide(after_sales_id, decision, shop_name, return_address_id, warehouse, note, as_json) -> None:
    """Decide on a case: agreements go to the platform through the outbox; warehouse steps are recorded here."""
    from dataclasses import asdict

    from kuaifa.domain.aftersales.cases import Decision
    from kuaifa.persistence.models import AfterSalesCase
    from kuaifa.services.aftersales import decide_case
    from kuaifa.services.errors import NotFound
    from kuaifa.tasks.jobs import deliver_outbox_entry

    query = AfterSalesCase.objects.filter(after_sales_id=after_sales_id)
    if shop_name:
        query = query.filter(shop=_shop(shop_name))
    case_id = query.values_list("id", flat=True).first()
    if case_id is None:
        raise NotFound(kind="after-sales case", key=after_sales_id)
    result = decide_case(case_id, Decision(decision), actor=actor(), now=now(), return_address_id=return_address_id,
                         note=note, warehouse=warehouse)  # fmt: skip
    if result.outbox_entry_id:
        deliver_outbox_entry.enqueue(result.outbox_entry_id)
    emit(
        as_json,
        asdict(result),
        lambda: click.echo(_("Case %(id)s is now %(state)s.") % {"id": after_sales_id, "state": result.state}),
    )


@command(cli, "carriers")
@click.option("--shop", "shop_name", default=None, help="Fetch the catalogue through this shop's credentials.")
@click.option("--refresh", is_flag=True, help="Fetch the catalogue from the platform first.")
@json_option
def carriers(shop_name, refresh, as_json) -> None:
    """The carriers (ids to ship with, codes for waybills): the built-in catalogue, offline, overlaid by the list
    fetched from the platform (pdd.logistics.companies.get, --refresh)."""
    from dataclasses import asdict

    from kuaifa.services.carriers import carrier_catalogue, store_carriers
    from kuaifa.tasks.platforms import platform_for

    if refresh:
        shops = _pdd_shops(shop_name)
        if not shops:
            from kuaifa.services.errors import InvalidInput

            raise InvalidInput(field="--shop", reason=Text("no shop with platform credentials to fetch carriers with"))
        store_carriers(platform_for(shops[0]).carriers(), now=now())
    rows = [asdict(row) for row in carrier_catalogue()]

    def human() -> None:
        for r in rows:
            click.echo(f"{r['platform_id']:>5}  {r['code']:<12} {r['name']}" + ("" if r["available"] else "  ✗"))
        click.echo(_("%(n)s carriers.") % {"n": len(rows)})

    emit(as_json, rows, human)


@command(cli, "ship-extra")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@click.option("--parcel", "parcels", multiple=True, required=True,
              help="CARRIER:TRACKING (carrier id or code), e.g. 115:753123456789 or ZTO:753123456789")  # fmt: skip
@click.option("--kind", type=click.Choice(["split", "resend", "gift"]), default="split", show_default=True)
@click.option("--confirm-weak-tracking", is_flag=True, help="Record numbers the carrier's rules only weakly match.")
@json_option
def ship_extra(order_sn, shop_name, parcels, kind, confirm_weak_tracking, as_json) -> None:
    """Record more parcels of a shipped order (拆单 / 补发 / 赠品) and upload them as extra logistics."""
    from kuaifa.services.errors import InvalidInput
    from kuaifa.services.parcels import ExtraKind, ship_extra_parcels

    pairs = []
    for number, text in enumerate(parcels, start=1):
        carrier, _sep, tracking = text.partition(":")
        if not carrier.strip() or not tracking.strip():
            raise InvalidInput(
                field=f"--parcel {number}", reason=Text("%(text)r: expected CARRIER:TRACKING", text=text)
            )
        pairs.append((carrier.strip(), tracking.strip()))
    order = _order(order_sn, shop_name)
    created = ship_extra_parcels(order.id, pairs, kind=ExtraKind[kind.upper()],
                                 confirm_weak_tracking=confirm_weak_tracking, actor=actor(), now=now())  # fmt: skip
    emit(
        as_json,
        {"order_sn": order_sn, "parcels": [[s.logistics_id, s.tracking_number] for s in created]},
        lambda: click.echo(_("%(n)s extra parcel(s) recorded for %(sn)s.") % {"n": len(created), "sn": order_sn}),
    )


@command(cli, "ship-fix")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@click.option("--carrier", "carrier_ref", required=True, help="Carrier id or code.")
@click.option("--tracking", "tracking_number", required=True)
@click.option("--confirm-weak-tracking", is_flag=True, help="Use a number the carrier's rules only weakly match.")
@json_option
def ship_fix(order_sn, shop_name, carrier_ref, tracking_number, confirm_weak_tracking, as_json) -> None:
    """Correct the carrier or tracking number of a shipped order; the platform's record is overwritten."""
    from kuaifa.services.parcels import correct_shipment

    order = _order(order_sn, shop_name)
    shipment = correct_shipment(order.id, carrier=carrier_ref, tracking_number=tracking_number,
                                confirm_weak_tracking=confirm_weak_tracking, actor=actor(), now=now())  # fmt: skip
    emit(
        as_json,
        {
            "order_sn": order_sn,
            "logistics_id": shipment.logistics_id,
            "tracking_number": shipment.tracking_number,
        },
        lambda: click.echo(_("%(sn)s now ships with %(no)s.") % {"sn": order_sn, "no": tracking_number}),
    )
