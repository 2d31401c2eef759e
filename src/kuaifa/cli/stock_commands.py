"""Stock on hand: receive, count, adjust and list it (``kuaifa stock``), check the ledger, and the stock alerts."""

from dataclasses import asdict

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now
from kuaifa.cli.render import show_time, table
from kuaifa.domain.inventory.catalog import StockCount
from kuaifa.persistence.queries import ledger_problems, stock_levels
from kuaifa.services.inventory import adjust_stock, receive_stock, stocktake
from kuaifa.services.stock_alerts import raise_stock_alerts, stock_alerts


@click.group()
def stock() -> None:
    """Stock on hand (库存)."""


def show_change(change, as_json: bool) -> None:
    def human() -> None:
        click.echo(
            _("%(sku)s @ %(warehouse)s: on hand %(before)s → %(after)s")
            % {
                "sku": change.sku_code,
                "warehouse": change.warehouse,
                "before": change.on_hand_before,
                "after": change.on_hand_after,
            }
        )
        if change.released_orders:
            click.echo(
                _("Fewer units than reserved: held for stock: %(orders)s")
                % {"orders": ", ".join(change.released_orders)}
            )

    emit(as_json, asdict(change), human)


warehouse_option = click.option("--warehouse", default="MAIN", show_default=True)
create_warehouse_option = click.option(
    "--create-warehouse", is_flag=True, help="Create the warehouse if no warehouse has that name yet."
)


@command("receive", stock)
@click.argument("sku")
@click.argument("quantity", type=int)
@warehouse_option
@click.option("--note", default="")
@create_warehouse_option
@json_option
def stock_receive(sku: str, quantity: int, warehouse: str, note: str, create_warehouse: bool, as_json: bool) -> None:
    """Goods arrived (入库); orders waiting for them are reviewed again."""
    change = receive_stock(
        sku, quantity, warehouse=warehouse, actor=actor(), now=now(), note=note, create_warehouse=create_warehouse
    )
    show_change(change, as_json)


@command("set", stock)
@click.argument("sku")
@click.argument("quantity", type=int)
@warehouse_option
@create_warehouse_option
@json_option
def stock_set(sku: str, quantity: int, warehouse: str, create_warehouse: bool, as_json: bool) -> None:
    """Set the counted quantity (盘点)."""
    counts = [StockCount(sku, warehouse, quantity)]
    show_change(stocktake(counts, actor=actor(), now=now(), create_warehouse=create_warehouse)[0], as_json)


@command("adjust", stock)
@click.argument("sku")
@click.argument("delta", type=int)
@warehouse_option
@click.option("--note", default="")
@create_warehouse_option
@json_option
def stock_adjust(sku: str, delta: int, warehouse: str, note: str, create_warehouse: bool, as_json: bool) -> None:
    """Correct stock by a signed number of units (调整)."""
    change = adjust_stock(
        sku, delta, warehouse=warehouse, actor=actor(), now=now(), note=note, create_warehouse=create_warehouse
    )
    show_change(change, as_json)


@command("list", stock)
@json_option
def stock_list(as_json: bool) -> None:
    """Stock per SKU and warehouse."""
    rows = stock_levels()

    def human() -> None:
        header = [_(w) for w in ("SKU", "Warehouse", "On hand", "Reserved", "Available")] + [""]
        cells = [
            [
                r.sku_code,
                r.warehouse_code,
                r.on_hand,
                r.reserved,
                r.on_hand - r.reserved,
                "*" if r.sku_incomplete else "",
            ]
            for r in rows
        ]
        click.echo("\n".join(table(header, cells, "<<>>><")))

    emit(as_json, [asdict(r) for r in rows], human)


@command("check-ledger")
@json_option
def check_ledger(as_json: bool) -> None:
    """Check the stock invariants: on hand = Σ moves, reserved = Σ open reservations, 0 ≤ reserved ≤ on hand."""
    problems = ledger_problems()
    emit(
        as_json,
        {"ok": not problems, "problems": [asdict(p) for p in problems]},
        lambda: click.echo(
            _("Ledger balances.")
            if not problems
            else "\n".join(f"{p.what}: {p.sku_code}@{p.warehouse}: {p.detail}" for p in problems)
        ),
    )
    if problems:
        raise SystemExit(1)


@command("stock-alerts")
@click.option("--days", type=click.FloatRange(0), default=3, show_default=True, help="Run-out horizon, days.")
@click.option("--window", type=click.IntRange(1), default=7, show_default=True, help="Sales-rate window, days.")
@click.option("--raise", "raise_them", is_flag=True, help="Also raise them in the alerts centre.")
@json_option
def stock_alerts_command(days, window, raise_them, as_json) -> None:
    """SKUs short for held orders or running out soon; which orders wait and when they breach ship-by."""
    found = stock_alerts(now=now(), horizon_days=days, window_days=window)
    raised = raise_stock_alerts(actor=actor(), now=now(), horizon_days=days, window_days=window) if raise_them else []
    data = {
        "alerts": [
            {
                "sku": a.sku,
                "available": a.available,
                "waiting_units": a.waiting_units,
                "shortfall": a.shortfall,
                "needed_by": a.needed_by,
                "daily_rate": round(a.daily_rate, 2),
                "days_of_cover": None if a.days_of_cover is None else round(a.days_of_cover, 1),
                "runs_out_soon": a.runs_out_soon,
                "orders": [
                    {"order_sn": v.order_sn, "quantity": v.quantity, "breaches_at": v.ship_by, "covered": v.covered}
                    for v in a.orders
                ],
            }
            for a in found
        ],
        "raised": len(raised),
    }

    def human() -> None:
        for a in found:
            if a.shortfall:
                click.echo(
                    _("%(sku)s: %(available)s available, %(waiting)s waiting — %(short)s short, needed by %(by)s")
                    % {
                        "sku": a.sku,
                        "available": a.available,
                        "waiting": a.waiting_units,
                        "short": a.shortfall,
                        "by": show_time(a.needed_by),
                    }
                )
            else:
                click.echo(
                    _("%(sku)s: %(available)s available, runs out in %(days).1f day(s) at %(rate).1f/day")
                    % {"sku": a.sku, "available": a.available, "days": a.days_of_cover, "rate": a.daily_rate}
                )
            for v in a.orders:
                if not v.covered:
                    click.echo(
                        "    "
                        + _("%(order_sn)s needs %(quantity)s, breaches ship-by at %(at)s if nothing arrives")
                        % {"order_sn": v.order_sn, "quantity": v.quantity, "at": show_time(v.ship_by)}
                    )
        click.echo(_("%(n)s SKU(s) need attention.") % {"n": len(found)})

    emit(as_json, data, human)
