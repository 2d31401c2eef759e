"""The warehouse floor: waves and their pick lists (``kuaifa wave``), packing (``pack``), and goods to put back on
the shelf (``kuaifa return-tasks``)."""

from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now, order_named, shop_named
from kuaifa.cli.render import show_time
from kuaifa.documents.model import PickListData, PickRow
from kuaifa.domain.fulfilment.waves import WaveKind, WaveRule
from kuaifa.persistence.queries import order_by_sn, wave_by_code, wave_members, waves
from kuaifa.persistence.queries_edges import return_tasks as return_task_rows
from kuaifa.services.carriers import resolve_carrier
from kuaifa.services.errors import NotFound
from kuaifa.services.labels import log_print, pick_list_data
from kuaifa.services.packing import pack_order
from kuaifa.services.returns import complete_task
from kuaifa.services.waves import create_waves, ready_for_pick_list, remove_order


@click.group()
def wave() -> None:
    """Waves (波次): accepted orders grouped for one picking walk, most urgent first."""


@command("create", wave)
@click.option(
    "--horizon-hours",
    type=click.FloatRange(0),
    default=24,
    show_default=True,
    help="Take orders due before now + this many hours (overdue ones included).",
)
@click.option("--shop", "shop_names", multiple=True, help="Only this shop (repeat for several).")
@click.option("--carrier", "carriers", multiple=True, help="Only orders for this carrier, by code or id (repeatable).")
@click.option(
    "--kind",
    type=click.Choice(["single", "multi", "any"]),
    default="any",
    show_default=True,
    help="single: one unit per order; multi: two or more (sorted into slots); any: both.",
)
@click.option("--max-orders", type=click.IntRange(1, 100_000), default=200, show_default=True)
@json_option
def wave_create(horizon_hours, shop_names, carriers, kind, max_orders, as_json) -> None:
    """Wave every accepted order the rule takes; the waved orders move to PICKING."""
    rule = WaveRule(
        horizon=timedelta(hours=horizon_hours),
        max_orders=max_orders,
        kind=WaveKind(kind),
        shop_ids=frozenset(shop_named(name).id for name in shop_names) if shop_names else None,
        carrier_codes=frozenset(resolve_carrier(c).code for c in carriers) if carriers else None,
    )
    created = create_waves(rule, actor=actor(), now=now())
    data = []
    for w in created:
        members = wave_members(w.id)
        data.append({"code": w.code, "orders": len(members), "first_order": members[0].order_sn})

    def human() -> None:
        for row in data:
            click.echo(_("Wave %(code)s: %(orders)s order(s), most urgent %(first_order)s") % row)
        click.echo(_("%(n)s wave(s) created.") % {"n": len(data)} if data else _("No order is due for a wave."))

    emit(as_json, data, human)


@command("list", wave)
@click.option("--state", "states", multiple=True, type=click.Choice(["open", "picked", "closed"]))
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
def wave_list(states, limit, as_json) -> None:
    """Waves, newest first."""
    rows = waves(states=list(states) or None, limit=limit)

    def human() -> None:
        for r in rows:
            click.echo(f"{r.code:<16}{r.state:<8}{show_time(r.created_at):<18}{r.orders:>6} {_('order(s)')}  {r.actor}")
        click.echo(_("%(n)s wave(s).") % {"n": len(rows)})

    emit(as_json, [asdict(r) for r in rows], human)


@command("remove", wave)
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@json_option
def wave_remove(order_sn, shop_name, as_json) -> None:
    """Take a cancelled or held order out of its wave: its slot is freed, the pick list no longer needs its units."""
    removed = remove_order(order_named(order_sn, shop_name).id, actor=actor(), now=now())
    text = _("%(order_sn)s removed from wave %(wave_code)s; slot %(slot)s is free.")
    emit(as_json, asdict(removed), lambda: click.echo(text % asdict(removed)))


@command("pdf", wave)
@click.argument("wave_code")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--warehouse", default="", help="Printed in the header.")
@json_option
def wave_pdf(wave_code, file, warehouse, as_json) -> None:
    """Print the wave's pick list (拣货单) to a PDF, in bin order; orders cancelled or held meanwhile are dropped."""
    from kuaifa.documents.pick_list import render_pick_list  # reportlab: loaded only to draw a PDF

    found, dropped = ready_for_pick_list(wave_code, actor=actor(), now=now())
    info = pick_list_data(found.code)
    rows = tuple(PickRow(r.bin_location, r.sku_code, r.name, r.quantity, r.slots, r.spec) for r in info.rows)
    document = PickListData(info.wave_code, info.created_at, rows, info.order_count, warehouse, info.slot_orders)
    file.write_bytes(render_pick_list(document))
    printed = log_print("pick_list", wave_id=info.wave_id, actor=actor(), now=now())
    data = {
        "file": str(file),
        "wave": info.wave_code,
        "orders": info.order_count,
        "skus": len(rows),
        "units": sum(r.quantity for r in rows),
        "removed": [d.order_sn for d in dropped],
        "reprint": bool(printed.reprints),
    }

    def human() -> None:
        for d in dropped:
            click.echo(
                _("%(sn)s left the wave (cancelled or held): slot %(slot)s is free.")
                % {"sn": d.order_sn, "slot": d.slot}
            )
        summary = _("Pick list of %(wave)s: %(orders)s order(s), %(skus)s SKU(s), %(units)s unit(s) → %(file)s")
        click.echo(summary % data + (" " + _("(reprint)") if data["reprint"] else ""))

    emit(as_json, data, human)


def packing_target(order_ref: str, shop_name: str | None) -> tuple[int, str]:
    """An order number, or ``WAVE:SLOT`` (the slot's tag scanned at the station)."""
    head, sep, tail = order_ref.rpartition(":")
    if sep and tail.strip().isdigit() and not order_by_sn(order_ref):
        found = wave_by_code(head)
        if found is None:
            raise NotFound(kind="wave", key=head)
        slot = int(tail)
        member = next((m for m in wave_members(found.id) if m.slot == slot), None)
        if member is None:
            raise NotFound(kind="slot", key=order_ref)
        return member.order_id, member.order_sn
    order = order_named(order_ref, shop_name)
    return order.id, order.order_sn


@command("pack")
@click.argument("order_ref", metavar="ORDER_SN|WAVE:SLOT")
@click.option("--shop", "shop_name", default=None)
@click.option("--scan", "scans", multiple=True, help="A scanned barcode, once per unit (repeat).")
@click.option(
    "--enclosure",
    "enclosures",
    multiple=True,
    help="An enclosure put in (说明书); SKU:NAME when several SKUs need the same one (repeat).",
)
@click.option("--weight", "weight_g", type=click.IntRange(1), default=None, help="Scale reading in grams.")
@click.option("--box", "box_code", default=None, help="The box used; default: the smallest in stock that fits.")
@click.option("--force-weight", is_flag=True, help="Accept a weight outside the tolerance (recorded).")
@click.option(
    "--box-override-reason",
    default="",
    help="Use the named --box although the items are not shown to fit it; the reason is recorded.",
)
@json_option
def pack(
    order_ref, shop_name, scans, enclosures, weight_g, box_code, force_weight, box_override_reason, as_json
) -> None:
    """Seal a parcel: every unit scanned, every enclosure confirmed, box chosen, weight checked (验货打包)."""
    order_id, _sn = packing_target(order_ref, shop_name)
    result = pack_order(
        order_id,
        scans=list(scans),
        enclosures=list(enclosures),
        measured_weight_g=weight_g,
        box_code=box_code,
        actor=actor(),
        now=now(),
        force=force_weight,
        box_override_reason=box_override_reason,
    )
    data = asdict(result)

    def human() -> None:
        click.echo(
            _("%(order_sn)s packed in box %(box_code)s (%(box_stock_left)s left); expected %(expected_g)s g") % data
        )
        if result.measured_g is not None:
            forced = " — " + _("overridden by hand") if result.forced else ""
            click.echo(_("Weighed %(measured_g)s g: %(verdict)s") % data + forced)
        if result.unknown_weight_skus:
            click.secho(
                _("No weight in the SKU master for %(skus)s: the weight check proves less.")
                % {"skus": ", ".join(result.unknown_weight_skus)},
                fg="yellow",
            )

    emit(as_json, data, human)


@click.group("return-tasks")
def return_tasks() -> None:
    """Goods picked for orders that were then held or cancelled: put them back on the shelf."""


@command("list", return_tasks)
@click.option("--all", "show_all", is_flag=True, help="Include tasks already done.")
@json_option
def return_tasks_list(show_all: bool, as_json: bool) -> None:
    """Open return-to-stock tasks, oldest first."""
    rows = return_task_rows(include_done=show_all)

    def human() -> None:
        for r in rows:
            done = f"  ✓ {r['done_by']}" if r["done_at"] else ""
            click.echo(f"#{r['id']:<5} {r['order__order_sn']:<24} {r['from_status']:<8} {r['reason']}{done}")
        click.echo(_("%(n)s task(s).") % {"n": len(rows)})

    emit(as_json, rows, human)


@command("done", return_tasks)
@click.argument("task_id", type=int)
@json_option
def return_tasks_done(task_id: int, as_json: bool) -> None:
    """Mark a task done: the goods are back on the shelf."""
    complete_task(task_id, actor=actor(), now=now())
    emit(as_json, {"task": task_id, "done": True}, lambda: click.echo(_("Task %(id)s done.") % {"id": task_id}))
