"""Warehouse-floor commands: the simulator's stand-in print component (``kuaifa sim print-component``)."""

import time
from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.main import command
from kuaifa.cli.platform_commands import sim


@command(sim, "print-component")
@click.option("--port", type=click.IntRange(0, 65535), default=5000, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder the printed documents are written to, one PDF each.")  # fmt: skip
@click.option("--printer", "printers", multiple=True, help="A printer name (repeat for several).")
def sim_print_component(port, out_dir, printers) -> None:
    """Serve a stand-in for PDD's print component on 127.0.0.1: it decrypts the simulator's e-waybill print data
    and writes each document as a PDF into --out, until interrupted."""
    from kuaifa.platforms.sim.print_component import DEFAULT_PRINTERS, PrintComponent, PrintComponentServer

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
