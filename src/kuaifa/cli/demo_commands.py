"""``kuaifa demo``: the pipeline on bundled sample data, step by step, each step shown as the command a person would
type and run as that command's own function; then the SKUs and stock of the shop ``kuaifa serve --with-sim``
simulates, and what to do next in the browser."""

import os
from importlib import resources
from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import command
from kuaifa.cli.import_commands import import_orders, import_skus, import_stock
from kuaifa.cli.orders_commands import explain, orders, review
from kuaifa.cli.shop_commands import shop_add
from kuaifa.cli.stock_commands import check_ledger, stock_list
from kuaifa.cli.web_commands import DEMO_TEAM
from kuaifa.persistence.queries import orders as list_orders
from kuaifa.persistence.queries import shop_by_name

DEMO_SHOP = "示例店铺"
DEMO_NOW = "2024-06-26T12:00:00+08:00"  # the bundled export is from that day; the demo's clock stands there


def step(title: str, typed: list[str], run: click.Command, **params) -> None:
    """Show the command line, then run the command with those parameters (the others take their defaults)."""
    click.secho(f"\n$ kuaifa {' '.join(typed)}", fg="cyan")
    click.echo(f"# {title}")
    click.get_current_context().invoke(run, **params)


@command("demo")
def demo() -> None:
    """Run the pipeline on bundled sample data: SKUs, stock, a real-format order export, review, explain."""
    os.environ.setdefault("KUAIFA_NOW", DEMO_NOW)
    samples = resources.files("kuaifa") / "samples"
    skus, stock, export = (Path(str(samples / name)) for name in ("skus.csv", "stock.csv", "pdd_export_2024_utf8.csv"))
    if shop_by_name(DEMO_SHOP) is None:
        step(_("Register the shop"), ["shop", "add", DEMO_SHOP], shop_add, name=DEMO_SHOP)
    step(
        _("Import the SKU master (bundle GIFT-SET = 2 × TEA-001 + 1 × CUP-002)"),
        ["import-skus", str(skus)],
        import_skus,
        file=skus,
    )
    step(
        _("Count the opening stock"),
        ["import-stock", str(stock), "--create-warehouse"],
        import_stock,
        file=stock,
        create_warehouse=True,
    )
    step(
        _("Import the back-office order export"),
        ["import-orders", str(export), "--shop", DEMO_SHOP],
        import_orders,
        file=export,
        shop_name=DEMO_SHOP,
    )
    step(_("Review and reserve stock, earliest deadline first"), ["review"], review)
    step(_("Orders by deadline"), ["orders"], orders)
    step(_("Stock after reservation"), ["stock", "list"], stock_list)
    held = list_orders(status="ON_HOLD", limit=1)
    if held:
        order_sn = held[0].order_sn
        step(_("Why is the most urgent held order not moving?"), ["explain", order_sn], explain, order_sn=order_sn)
    step(_("Check the stock ledger"), ["check-ledger"], check_ledger)
    sim_skus, sim_stock = (Path(str(samples / name)) for name in ("sim_skus.csv", "sim_stock.csv"))
    step(
        _("The SKUs the simulated PDD shop sells (kuaifa serve --with-sim), by the merchant codes on its orders"),
        ["import-skus", str(sim_skus)],
        import_skus,
        file=sim_skus,
    )
    step(
        _("Their stock: T-shirts in black and the insulated cup run short, so some of its orders wait for stock"),
        ["import-stock", str(sim_stock), "--create-warehouse"],
        import_stock,
        file=sim_stock,
        create_warehouse=True,
    )
    owner = next(name for name, role in DEMO_TEAM if role == "owner")
    click.secho("\n" + _("Next, in the browser (make demo does both):"), fg="green")
    click.echo("  $ kuaifa demo-team          # " + _("one login per role"))
    click.echo("  $ kuaifa serve --with-sim   # " + _("the workbench at http://127.0.0.1:8000/ and the PDD simulator"))
    click.echo(
        "  "
        + _(
            "Sign in as the owner %(owner)s, open Settings → Shops and authorisation, name the shop (e.g. 模拟店) and "
            "press Authorise to connect the simulated PDD shop: its orders are then synced and reviewed (Orders → All "
            "orders, Held orders)."
        )
        % {"owner": owner}
    )
