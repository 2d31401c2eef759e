"""``kuaifa sim``: the Pinduoduo gateway simulator and the stand-in for PDD's print component."""

import time
from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import command, now
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ShopConfig, SimState, generate_shop, serve
from kuaifa.platforms.sim.pmc import serve_pmc
from kuaifa.platforms.sim.print_component import DEFAULT_PRINTERS, PrintComponent, PrintComponentServer


@click.group()
def sim() -> None:
    """The Pinduoduo gateway simulator (same protocol, local data)."""


@command("serve", sim)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--orders-per-hour", type=click.IntRange(1, 100_000), default=20, show_default=True)
@click.option("--days", type=click.IntRange(1, 30), default=1, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8780, show_default=True)
@click.option(
    "--poison-share",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of orders sent in a shape that cannot be mapped (to watch the quarantine work).",
)
def sim_serve(seed, orders_per_hour, days, host, port, poison_share) -> None:
    """Serve a simulated shop whose orders arrive in real time from today (China time), until interrupted."""
    today = now().astimezone(CHINA).date()
    config = ShopConfig(
        seed=seed, start=today, days=days, orders_per_day=orders_per_hour * 24, poison_share=poison_share
    )
    state = SimState(generate_shop(config), now=now().timestamp())
    state.clock.run()
    server, thread = serve(host, port, state=state)
    push = serve_pmc(state, host, port + 1 if port else 0)
    token = state.default_token
    click.echo(
        _("Simulator listening on %(url)s (seed %(seed)s). Connect a shop with:")
        % {"url": server.base_url, "seed": seed}
    )
    click.echo(
        f"  kuaifa shop add-pdd 模拟店 --gateway {server.base_url} --client-id {DEFAULT_CLIENT_ID} "
        f"--client-secret {DEFAULT_CLIENT_SECRET} --access-token {token.access_token} "
        f"--refresh-token {token.refresh_token}"
    )
    click.echo(_("Push messages: kuaifa sync --follow --push-url %(url)s") % {"url": push.url_base})
    try:
        while thread.is_alive():
            thread.join(timeout=1)
    except KeyboardInterrupt:
        push.stop()
        server.stop()


@command("print-component", sim)
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder the printed documents are written to, one PDF each.",
)
@click.option("--printer", "printers", multiple=True, help="A printer name (repeat for several).")
def sim_print_component(port, out_dir, printers) -> None:
    """Serve a stand-in for PDD's print component on 127.0.0.1: it decrypts the simulator's e-waybill print data
    and writes each document as a PDF into --out, until interrupted."""
    component = PrintComponent.with_printers(out_dir, tuple(printers) or DEFAULT_PRINTERS)
    server = PrintComponentServer(component, port=port).start()
    click.echo(
        _("Print component listening on ws://127.0.0.1:%(port)s, printers: %(printers)s; documents go to %(out)s")
        % {"port": server.port, "printers": ", ".join(component.printers), "out": out_dir}
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
