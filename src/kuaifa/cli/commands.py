"""Subcommands of ``kuaifa``. Each reads inputs, calls one service, prints what happened."""

import hashlib
import sys
from dataclasses import asdict
from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.main import actor, cli, command, emit, json_option, now
from kuaifa.cli.render import explanation_lines, money, show_time, table
from kuaifa.domain.shared.errors import Text


def _shop(name: str):
    from kuaifa.persistence.queries import shop_by_name
    from kuaifa.services.errors import NotFound

    shop = shop_by_name(name)
    if shop is None:
        raise NotFound(kind="shop", key=name)
    return shop


def _order(order_sn: str, shop_name: str | None):
    from kuaifa.persistence.queries import order_by_sn
    from kuaifa.services.errors import InvalidInput, NotFound

    found = order_by_sn(order_sn, _shop(shop_name).id if shop_name else None)
    if not found:
        raise NotFound(kind="order", key=order_sn)
    if len(found) > 1:
        raise InvalidInput(
            field="--shop", reason=Text("%(order_sn)s exists in several shops; name the shop", order_sn=order_sn)
        )
    return found[0]


@command(cli, "init")
@json_option
def init(as_json: bool) -> None:
    """Create or upgrade the database and the default warehouse; create the secret key file if none is set."""
    from django.conf import settings
    from django.core.management import call_command

    from kuaifa.persistence.home import prepare_home
    from kuaifa.persistence.secrets import ensure_key_file
    from kuaifa.services.catalog import ensure_warehouse

    prepare_home()
    key_file = ensure_key_file()
    call_command("migrate", verbosity=0, interactive=False)
    ensure_warehouse()
    db = settings.DATABASES["default"]
    where = str(db["NAME"]) if "sqlite" in db["ENGINE"] else f"{db['ENGINE']} {db.get('HOST', '')}/{db['NAME']}"

    def human() -> None:
        click.echo(_("Database ready: %(where)s") % {"where": where})
        if key_file:
            click.echo(
                _("New secret key written to %(path)s: back it up; stored credentials need it.") % {"path": key_file}
            )

    emit(as_json, {"database": where, "secret_key_file_created": str(key_file or "")}, human)


@cli.group()
def shop() -> None:
    """Shops (店铺)."""


@command(shop, "add")
@click.argument("name")
@click.option("--platform", type=click.Choice(["pdd", "manual"]), default="pdd", show_default=True)
@click.option(
    "--ship-by-hours",
    type=click.IntRange(1, 24 * 15),
    default=48,
    show_default=True,
    help="Promise used when the platform gives no last_ship_time.",
)
@json_option
def shop_add(name: str, platform: str, ship_by_hours: int, as_json: bool) -> None:
    """Register a shop."""
    from kuaifa.services.catalog import add_shop

    created = add_shop(name, platform=platform, ship_by_hours=ship_by_hours, now=now())
    emit(
        as_json,
        {"id": created.id, "name": created.name},
        lambda: click.echo(_("Shop %(name)s added.") % {"name": created.name}),
    )


@command(cli, "import-orders")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--shop", "shop_name", required=True, help="The shop the export belongs to.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows; write rejected rows beside the file.")
@click.option("--dry-run", is_flag=True, help="Validate and count, change nothing.")
@json_option
def import_orders(file: Path, shop_name: str, skip_invalid: bool, dry_run: bool, as_json: bool) -> None:
    """Import a Pinduoduo back-office order export (CSV or XLSX)."""
    from kuaifa.cli.files import open_orders, write_rejected
    from kuaifa.services.imports import import_order_file

    target = _shop(shop_name)
    with file.open("rb") as handle:
        file_sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    source = open_orders(file, skip_invalid=skip_invalid)
    outcome = import_order_file(
        target,
        source.orders(),
        file_name=file.name,
        file_sha256=file_sha256,
        summary=source.summary,
        dry_run=dry_run,
        actor=actor(),
        now=now(),
    )
    parsed = source.stream
    problems = [asdict(p) for p in parsed.problems]
    if outcome.refused:
        emit(as_json, {"imported": False, "problems": problems}, lambda: _print_problems(parsed.problems, file))
        raise SystemExit(1)
    rejected_file = (
        write_rejected(file, source.header, parsed.rejected_rows, parsed.problems) if problems and not dry_run else None
    )
    r = outcome.report
    data = {
        "dry_run": dry_run,
        "rows": parsed.rows,
        "orders": r.created + r.updated + r.unchanged + r.stale,
        "duplicate_rows": parsed.duplicates,
        "created": r.created,
        "updated": r.updated,
        "unchanged": r.unchanged,
        "stale": r.stale,
        "rejected_rows": len({p.row for p in parsed.problems}),
        "rejected_file": str(rejected_file) if rejected_file else None,
        "skus_created": r.skus_created,
        "previously_imported_at": outcome.previously_imported_at,
    }

    def human() -> None:
        prefix = _("Dry run, nothing changed: ") if dry_run else ""
        click.echo(
            prefix
            + _(
                "%(rows)s rows, %(orders)s orders: %(created)s created, %(updated)s updated, "
                "%(unchanged)s unchanged, %(stale)s older than what we hold."
            )
            % data
        )
        if r.skus_created:
            click.echo(
                _("New SKUs created from the file and flagged incomplete: %(codes)s")
                % {"codes": ", ".join(r.skus_created)}
            )
        if parsed.duplicates:
            click.echo(_("%(n)s identical duplicate rows counted once.") % {"n": parsed.duplicates})
        if rejected_file:
            click.echo(
                _("%(n)s invalid rows skipped; see %(file)s") % {"n": data["rejected_rows"], "file": rejected_file}
            )
        if outcome.previously_imported_at and not r.changed:
            click.echo(
                _("This file was already imported on %(when)s; nothing changed.")
                % {"when": show_time(outcome.previously_imported_at)}
            )

    emit(as_json, data, human)


def _print_problems(problems, file: Path) -> None:
    click.secho(
        _("%(file)s was not imported: %(n)s problem(s). Fix them, or use --skip-invalid.")
        % {"file": file.name, "n": len(problems)},
        fg="red",
        err=True,
    )
    for p in problems:
        click.echo(_("row %(row)s, column %(column)s, value %(value)r: %(reason)s") % asdict(p), err=True)


def refuse_if_problems(problems, file: Path, as_json: bool) -> None:
    """A sheet with any problem imports nothing: name every row, column and value, and exit 1."""
    if problems:
        emit(as_json, {"imported": False, "problems": [asdict(p) for p in problems]},
             lambda: _print_problems(problems, file))  # fmt: skip
        raise SystemExit(1)


@command(cli, "import-skus")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def import_skus(file: Path, as_json: bool) -> None:
    """Import the SKU master (商家编码, 名称, 规格, 条码, 重量(g) …) from CSV or XLSX, all rows or none."""
    from kuaifa.cli.files import load_skus
    from kuaifa.services.catalog import upsert_skus

    specs, problems = load_skus(file)
    refuse_if_problems(problems, file, as_json)
    report = upsert_skus(specs, now=now())
    emit(
        as_json,
        asdict(report),
        lambda: click.echo(
            _("SKUs: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % asdict(report)
        ),
    )


@command(cli, "export-skus")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def export_skus(file: Path, as_json: bool) -> None:
    """Write the SKU master to CSV or XLSX (the same columns import-skus reads)."""
    from kuaifa.cli.files import save_skus

    count = save_skus(file)
    emit(
        as_json,
        {"file": str(file), "skus": count},
        lambda: click.echo(_("%(n)s SKUs written to %(file)s") % {"n": count, "file": file}),
    )


@command(cli, "import-stock")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--create-warehouse", is_flag=True, help="Create warehouses the sheet names that do not exist yet.")
@json_option
def import_stock(file: Path, create_warehouse: bool, as_json: bool) -> None:
    """Import counted stock (商家编码, 仓库, 数量) as a stocktake: the counts become on-hand, all rows or none."""
    from kuaifa.cli.files import load_stock
    from kuaifa.services.inventory import stocktake

    counts, problems = load_stock(file)
    refuse_if_problems(problems, file, as_json)
    changes = stocktake(counts, actor=actor(), now=now(), note=f"import {file.name}", create_warehouse=create_warehouse)
    emit(
        as_json,
        [asdict(c) for c in changes],
        lambda: click.echo(
            _("%(n)s stock levels counted, %(changed)s changed.")
            % {"n": len(changes), "changed": sum(c.on_hand_after != c.on_hand_before for c in changes)}
        ),
    )


@command(cli, "export-stock")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def export_stock(file: Path, as_json: bool) -> None:
    """Write stock per SKU and warehouse (商家编码, 仓库, 数量, 占用, 可用); import-stock reads it back."""
    from kuaifa.cli.files import save_stock

    count = save_stock(file)
    emit(
        as_json,
        {"file": str(file), "levels": count},
        lambda: click.echo(_("%(n)s stock levels written to %(file)s") % {"n": count, "file": file}),
    )


@cli.group()
def stock() -> None:
    """Stock on hand (库存)."""


def _stock_change(change, as_json: bool) -> None:
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


@command(stock, "receive")
@click.argument("sku")
@click.argument("quantity", type=int)
@click.option("--warehouse", default="MAIN", show_default=True)
@click.option("--note", default="")
@click.option("--create-warehouse", is_flag=True, help="Create the warehouse if no warehouse has that name yet.")
@json_option
def stock_receive(sku: str, quantity: int, warehouse: str, note: str, create_warehouse: bool, as_json: bool) -> None:
    """Goods arrived (入库); orders waiting for them are reviewed again."""
    from kuaifa.services.inventory import receive_stock

    change = receive_stock(sku, quantity, warehouse=warehouse, actor=actor(), now=now(), note=note,
                           create_warehouse=create_warehouse)  # fmt: skip
    _stock_change(change, as_json)


@command(stock, "set")
@click.argument("sku")
@click.argument("quantity", type=int)
@click.option("--warehouse", default="MAIN", show_default=True)
@click.option("--create-warehouse", is_flag=True, help="Create the warehouse if no warehouse has that name yet.")
@json_option
def stock_set(sku: str, quantity: int, warehouse: str, create_warehouse: bool, as_json: bool) -> None:
    """Set the counted quantity (盘点)."""
    from kuaifa.domain.inventory.catalog import StockCount
    from kuaifa.services.inventory import stocktake

    counts = [StockCount(sku, warehouse, quantity)]
    _stock_change(stocktake(counts, actor=actor(), now=now(), create_warehouse=create_warehouse)[0], as_json)


@command(stock, "adjust")
@click.argument("sku")
@click.argument("delta", type=int)
@click.option("--warehouse", default="MAIN", show_default=True)
@click.option("--note", default="")
@click.option("--create-warehouse", is_flag=True, help="Create the warehouse if no warehouse has that name yet.")
@json_option
def stock_adjust(sku: str, delta: int, warehouse: str, note: str, create_warehouse: bool, as_json: bool) -> None:
    """Correct stock by a signed number of units (调整)."""
    from kuaifa.services.inventory import adjust_stock

    change = adjust_stock(sku, delta, warehouse=warehouse, actor=actor(), now=now(), note=note,
                          create_warehouse=create_warehouse)  # fmt: skip
    _stock_change(change, as_json)


@command(stock, "list")
@json_option
def stock_list(as_json: bool) -> None:
    """Stock per SKU and warehouse."""
    from kuaifa.persistence.queries import stock_levels

    rows = stock_levels()

    def human() -> None:
        header = [_(w) for w in ("SKU", "Warehouse", "On hand", "Reserved", "Available")] + [""]
        cells = [[r.sku_code, r.warehouse_code, r.on_hand, r.reserved, r.on_hand - r.reserved,
                  "*" if r.sku_incomplete else ""] for r in rows]  # fmt: skip
        click.echo("\n".join(table(header, cells, "<<>>><")))

    emit(as_json, [asdict(r) for r in rows], human)


@command(cli, "review")
@click.option("--shop", "shop_name", default=None, help="Only this shop.")
@json_option
def review(shop_name: str | None, as_json: bool) -> None:
    """Review and allocate every new order, and retry orders held for stock or mapping (earliest deadline first)."""
    from kuaifa.services.review import candidate_ids, review_orders

    shop_id = _shop(shop_name).id if shop_name else None
    total = len(candidate_ids(shop_id=shop_id))
    show_bar = not as_json and sys.stdout.isatty() and total > 2000
    if show_bar:
        with click.progressbar(length=total, label=_("Reviewing")) as bar:
            report = review_orders(actor=actor(), now=now(), shop_id=shop_id, progress=bar.update)
    else:
        report = review_orders(actor=actor(), now=now(), shop_id=shop_id)
    data = {
        "reviewed": report.reviewed,
        "accepted": report.accepted,
        "held": report.held,
        "hold_reasons": dict(report.reasons),
    }

    def human() -> None:
        click.echo(_("%(reviewed)s reviewed: %(accepted)s accepted, %(held)s held.") % data)
        for reason, count in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
            click.echo(f"  {_(reason)}: {count}")

    emit(as_json, data, human)


@command(cli, "orders")
@click.option(
    "--status",
    type=click.Choice(
        ["NEW", "ON_HOLD", "ACCEPTED", "PICKING", "PACKED", "SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED"]
    ),
    default=None,
)
@click.option("--shop", "shop_name", default=None)
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@json_option
def orders(status: str | None, shop_name: str | None, limit: int, as_json: bool) -> None:
    """Orders, most urgent deadline first."""
    from kuaifa.persistence.queries import orders as list_orders

    rows = list_orders(status=status, shop_id=_shop(shop_name).id if shop_name else None, limit=limit)

    def human() -> None:
        cells = [[r.order_sn, _(r.status), show_time(r.ship_by), money(r.pay_amount),
                  f"{r.province} {r.receiver_name_mask} {','.join(_(x) for x in r.hold_reasons)}"]
                 for r in rows]  # fmt: skip
        if cells:
            click.echo("\n".join(table(["", "", "", "", ""], cells, "<<<><")[1:]))
        click.echo(_("%(n)s order(s).") % {"n": len(rows)})

    emit(as_json, [asdict(r) for r in rows], human)


@command(cli, "explain")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@json_option
def explain(order_sn: str, shop_name: str | None, as_json: bool) -> None:
    """Why this order is where it is: rules, stock per line, deadline, history."""
    from kuaifa.services.explain import explain_order

    found = explain_order(_order(order_sn, shop_name), now=now())
    data = {
        "order_sn": found.order.order_sn,
        "status": found.order.status,
        "hold_reasons": found.order.hold_reasons,
        "ship_by": found.order.ship_by,
        "risk": found.risk,
        "rules": [
            {"rule": v.code, "enabled": v.enabled, "mandatory": v.mandatory, "passed": v.passed, "detail": v.detail}
            for v in found.verdicts
        ],
        "lines": [asdict(x) for x in found.lines],
        "events": [
            {
                "at": e.created_at,
                "kind": e.kind,
                "from": e.from_status,
                "to": e.to_status,
                "actor": e.actor,
                "details": e.details,
            }
            for e in found.events
        ],
    }
    emit(as_json, data, lambda: click.echo("\n".join(explanation_lines(found))))


def _order_command(name: str, doc: str, service_name: str, with_note: bool = True):
    @command(cli, name, help=doc)
    @click.argument("order_sn")
    @click.option("--shop", "shop_name", default=None)
    @click.option("--note", default="")
    @json_option
    def run(order_sn: str, shop_name: str | None, note: str, as_json: bool) -> None:
        from kuaifa.services import orders as services

        target = _order(order_sn, shop_name)
        kwargs = {"note": note} if with_note else {}
        getattr(services, service_name)(target.id, actor=actor(), now=now(), **kwargs)
        emit(
            as_json,
            {"order_sn": order_sn, "done": name},
            lambda: click.echo(_("%(order_sn)s: %(done)s") % {"order_sn": order_sn, "done": _(name)}),
        )

    return run


_order_command("hold", "Hold an order (拦截); its reserved stock goes back to the pool.", "hold_order")
_order_command(
    "release",
    "Release a held order back to review; the rules that held it are waived.",
    "release_order",
    with_note=False,
)
_order_command("cancel", "Cancel an order before shipping; its reservations are released.", "cancel_order")


@command(cli, "map-sku")
@click.option("--shop", "shop_name", required=True)
@click.argument("goods_id")
@click.argument("platform_sku_id")
@click.argument("sku_code")
@json_option
def map_sku(shop_name: str, goods_id: str, platform_sku_id: str, sku_code: str, as_json: bool) -> None:
    """Map a platform listing (商品id + 样式ID) to a SKU; held orders pick it up on the next review."""
    from kuaifa.services.catalog import map_platform_sku

    map_platform_sku(_shop(shop_name).id, goods_id, platform_sku_id, sku_code)
    emit(
        as_json,
        {"goods_id": goods_id, "platform_sku_id": platform_sku_id, "sku": sku_code},
        lambda: click.echo(_("%(g)s/%(s)s → %(c)s") % {"g": goods_id, "s": platform_sku_id, "c": sku_code}),
    )


@command(cli, "check-ledger")
@json_option
def check_ledger(as_json: bool) -> None:
    """Check the stock invariants: on hand = Σ moves, reserved = Σ open reservations, 0 ≤ reserved ≤ on hand."""
    from kuaifa.persistence.queries import ledger_problems

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


DEMO_SHOP = "示例店铺"
DEMO_NOW = "2024-06-26T12:00:00+08:00"  # the bundled export is from that day; the demo's clock stands there


@command(cli, "demo")
def demo() -> None:
    """Run the pipeline on bundled sample data: SKUs, stock, a real-format order export, review, explain."""
    import os
    from importlib import resources

    from click.testing import CliRunner

    os.environ.setdefault("KUAIFA_NOW", DEMO_NOW)
    samples = resources.files("kuaifa") / "samples"
    runner = CliRunner()

    def step(title: str, *args: str) -> None:
        click.secho(f"\n$ kuaifa {' '.join(args)}", fg="cyan")
        click.echo(f"# {title}")
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        click.echo(result.output.rstrip())

    from kuaifa.persistence.queries import shop_by_name

    if shop_by_name(DEMO_SHOP) is None:
        step(_("Register the shop"), "shop", "add", DEMO_SHOP)
    step(
        _("Import the SKU master (bundle GIFT-SET = 2 × TEA-001 + 1 × CUP-002)"),
        "import-skus",
        str(samples / "skus.csv"),
    )
    step(_("Count the opening stock"), "import-stock", str(samples / "stock.csv"), "--create-warehouse")
    step(
        _("Import the back-office order export"),
        "import-orders",
        str(samples / "pdd_export_2024_utf8.csv"),
        "--shop",
        DEMO_SHOP,
    )
    step(_("Review and reserve stock, earliest deadline first"), "review")
    step(_("Orders by deadline"), "orders")
    step(_("Stock after reservation"), "stock", "list")
    from kuaifa.persistence.queries import orders as list_orders

    held = list_orders(status="ON_HOLD", limit=1)
    if held:
        step(_("Why is the most urgent held order not moving?"), "explain", held[0].order_sn)
    step(_("Check the stock ledger"), "check-ledger")


def _items(values: tuple[str, ...], *, with_price: bool):
    """``CODE*QTY`` or ``CODE*QTY@PRICE`` (price in yuan) → ManualLine."""
    from kuaifa.domain.shared.money import yuan_to_fen
    from kuaifa.services.errors import InvalidInput
    from kuaifa.services.orders import ManualLine

    lines = []
    for number, text in enumerate(values, start=1):
        code, _sep, rest = text.partition("*")
        qty_text, _sep, price_text = rest.partition("@")
        if not code or not qty_text.isdigit() or (price_text and not with_price):
            raise InvalidInput(
                field=f"--item {number}",
                reason=Text("%(text)r: expected CODE*QTY%(price)s", text=text, price="[@PRICE]" if with_price else ""),
            )
        lines.append(ManualLine(code.strip(), int(qty_text), yuan_to_fen(price_text) if price_text else 0))
    return lines


@command(cli, "order-add")
@click.option("--shop", "shop_name", required=True)
@click.option("--item", "items", multiple=True, required=True, help="CODE*QTY@PRICE, e.g. TEA-001*2@19.90")
@click.option("--name", required=True, help="Receiver name.")
@click.option("--phone", required=True)
@click.option("--province", required=True)
@click.option("--city", required=True)
@click.option("--town", default="")
@click.option("--address", required=True, help="Street address without province/city/district.")
@click.option("--order-sn", default="", help="Defaults to M + date and time.")
@click.option("--memo", default="", help="Buyer memo.")
@json_option
def order_add(shop_name, items, name, phone, province, city, town, address, order_sn, memo, as_json) -> None:
    """Enter a manual order (手工单: phone, WeChat, wholesale); it is reviewed like any platform order."""
    from kuaifa.domain.orders.canonical import Receiver
    from kuaifa.services.orders import create_manual_order

    receiver = Receiver(province=province, city=city, town=town, name=name, phone=phone, address=address)
    order = create_manual_order(
        _shop(shop_name),
        _items(items, with_price=True),
        receiver,
        order_sn=order_sn,
        buyer_memo=memo,
        actor=actor(),
        now=now(),
    )
    emit(
        as_json,
        {"order_sn": order.order_sn, "status": order.status},
        lambda: click.echo(_("Manual order %(sn)s created.") % {"sn": order.order_sn}),
    )


@command(cli, "reissue")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@click.option("--item", "items", multiple=True, help="CODE*QTY to send; default: every line of the original.")
@click.option("--note", default="")
@json_option
def reissue(order_sn, shop_name, items, note, as_json) -> None:
    """Send goods again for an order (补发单), free of charge; reviewed and reserved like any order."""
    from kuaifa.services.orders import create_reissue_order

    original = _order(order_sn, shop_name)
    lines = _items(items, with_price=False) if items else None
    order = create_reissue_order(original.id, lines=lines, note=note, actor=actor(), now=now())
    emit(
        as_json,
        {"order_sn": order.order_sn, "reissue_of": order_sn},
        lambda: click.echo(_("Reissue %(sn)s created for %(orig)s.") % {"sn": order.order_sn, "orig": order_sn}),
    )
