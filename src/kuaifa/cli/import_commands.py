"""The merchant's files in and out: the back-office order export, the SKU master and counted stock (CSV or XLSX)."""

import hashlib
from dataclasses import asdict
from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now, print_problems, refuse_if_problems, shop_named
from kuaifa.cli.files import load_skus, load_stock, open_orders, save_skus, save_stock, write_rejected
from kuaifa.cli.render import show_time
from kuaifa.services.catalog import upsert_skus
from kuaifa.services.imports import import_order_file
from kuaifa.services.inventory import stocktake

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@command("import-orders")
@click.argument("file", type=EXISTING_FILE)
@click.option("--shop", "shop_name", required=True, help="The shop the export belongs to.")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows; write rejected rows beside the file.")
@click.option("--dry-run", is_flag=True, help="Validate and count, change nothing.")
@json_option
def import_orders(file: Path, shop_name: str, skip_invalid: bool, dry_run: bool, as_json: bool) -> None:
    """Import a Pinduoduo back-office order export (CSV or XLSX)."""
    target = shop_named(shop_name)
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
        emit(as_json, {"imported": False, "problems": problems}, lambda: print_problems(parsed.problems, file))
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


@command("import-skus")
@click.argument("file", type=EXISTING_FILE)
@json_option
def import_skus(file: Path, as_json: bool) -> None:
    """Import the SKU master (商家编码, 名称, 规格, 条码, 重量(g) …) from CSV or XLSX, all rows or none."""
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


@command("export-skus")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def export_skus(file: Path, as_json: bool) -> None:
    """Write the SKU master to CSV or XLSX (the same columns import-skus reads)."""
    count = save_skus(file)
    emit(
        as_json,
        {"file": str(file), "skus": count},
        lambda: click.echo(_("%(n)s SKUs written to %(file)s") % {"n": count, "file": file}),
    )


@command("import-stock")
@click.argument("file", type=EXISTING_FILE)
@click.option("--create-warehouse", is_flag=True, help="Create warehouses the sheet names that do not exist yet.")
@json_option
def import_stock(file: Path, create_warehouse: bool, as_json: bool) -> None:
    """Import counted stock (商家编码, 仓库, 数量) as a stocktake: the counts become on-hand, all rows or none."""
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


@command("export-stock")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def export_stock(file: Path, as_json: bool) -> None:
    """Write stock per SKU and warehouse (商家编码, 仓库, 数量, 占用, 可用); import-stock reads it back."""
    count = save_stock(file)
    emit(
        as_json,
        {"file": str(file), "levels": count},
        lambda: click.echo(_("%(n)s stock levels written to %(file)s") % {"n": count, "file": file}),
    )
