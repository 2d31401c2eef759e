"""Subcommands of the warehouse floor: boxes (packing material), waves and pick lists, packing, labels, packing
slips and the batch-ship file. PDFs are rendered here, at the edge, from the data services return."""

from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.commands import _order, _shop
from kuaifa.cli.main import actor, cli, command, emit, json_option, now
from kuaifa.cli.render import money, show_time
from kuaifa.domain.shared.errors import Text


def _size(value: str) -> tuple[int, int, int]:
    from kuaifa.services.errors import InvalidInput

    parts = value.lower().replace("×", "x").replace("*", "x").split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        raise InvalidInput(
            field="--size", reason=Text("%(value)r: expected LxWxH in mm, e.g. 300x200x150", value=value)
        )
    length, width, height = (int(p) for p in parts)
    return length, width, height


# --- boxes --------------------------------------------------------------------------------------------------------


@cli.group()
def box() -> None:
    """Box types (纸箱) and their stock: the packing material parcels are sealed in."""


@command(box, "add")
@click.argument("code")
@click.option("--size", required=True, help="Inner length x width x height in mm, e.g. 300x200x150.")
@click.option("--max-load", "max_load_g", type=click.IntRange(1), required=True, help="Grams the box may carry.")
@click.option("--weight", "weight_g", type=click.IntRange(0), default=0, show_default=True, help="Own weight, grams.")
@click.option("--price", default="0", show_default=True, help="Price per box in yuan, e.g. 0.85.")
@click.option("--stock", type=click.IntRange(0), default=0, show_default=True, help="Boxes on hand (counted).")
@click.option("--name", default="", help="A name people know it by, e.g. 3号箱.")
@json_option
def box_add(code, size, max_load_g, weight_g, price, stock, name, as_json) -> None:
    """Add a box type, or update it (the stock given is the new count)."""
    from kuaifa.domain.shared.money import yuan_to_fen
    from kuaifa.services.packing import upsert_box_type

    length, width, height = _size(size)
    row, created = upsert_box_type(code, length_mm=length, width_mm=width, height_mm=height, max_load_g=max_load_g,
                                   weight_g=weight_g, price_fen=yuan_to_fen(price), stock=stock, name=name,
                                   now=now())  # fmt: skip
    data = {"code": row.code, "created": created, "size_mm": [length, width, height], "stock": row.stock}
    emit(as_json, data, lambda: click.echo(
        (_("Box %(code)s added: %(size)s mm, %(stock)s in stock.") if created
         else _("Box %(code)s updated: %(size)s mm, %(stock)s in stock."))
        % {"code": row.code, "size": f"{length}×{width}×{height}", "stock": row.stock}))  # fmt: skip


@command(box, "list")
@json_option
def box_list(as_json) -> None:
    """Box types, smallest first, with their stock."""
    from kuaifa.persistence.queries import box_types

    rows = box_types()

    def human() -> None:
        for r in rows:
            size = f"{r.length_mm}×{r.width_mm}×{r.height_mm}"
            click.echo(f"{r.code:<10}{size:>16} mm  ≤{r.max_load_g:>6} g  {r.weight_g:>4} g  "
                       f"{money(r.price_fen):>8}  {_('stock')} {r.stock:>5}  {r.name}")  # fmt: skip
        click.echo(_("%(n)s box type(s).") % {"n": len(rows)})

    emit(as_json, [asdict(r) for r in rows], human)


# --- waves --------------------------------------------------------------------------------------------------------


@cli.group()
def wave() -> None:
    """Waves (波次): accepted orders grouped for one picking walk, most urgent first."""


@command(wave, "create")
@click.option("--horizon-hours", type=click.FloatRange(0), default=24, show_default=True,
              help="Take orders due before now + this many hours (overdue ones included).")  # fmt: skip
@click.option("--shop", "shop_names", multiple=True, help="Only this shop (repeat for several).")
@click.option("--carrier", "carriers", multiple=True,
              help="Only orders for this carrier, by code or id (repeatable).")  # fmt: skip
@click.option("--kind", type=click.Choice(["single", "multi", "any"]), default="any", show_default=True,
              help="single: one unit per order; multi: two or more (sorted into slots); any: both.")  # fmt: skip
@click.option("--max-orders", type=click.IntRange(1, 100_000), default=200, show_default=True)
@json_option
def wave_create(horizon_hours, shop_names, carriers, kind, max_orders, as_json) -> None:
    """Wave every accepted order the rule takes; the waved orders move to PICKING."""
    from kuaifa.domain.fulfilment.waves import WaveKind, WaveRule
    from kuaifa.persistence.queries import wave_members
    from kuaifa.services.carriers import resolve_carrier
    from kuaifa.services.waves import create_waves

    rule = WaveRule(
        horizon=timedelta(hours=horizon_hours),
        max_orders=max_orders,
        kind=WaveKind(kind),
        shop_ids=frozenset(_shop(name).id for name in shop_names) if shop_names else None,
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


@command(wave, "list")
@click.option("--state", "states", multiple=True, type=click.Choice(["open", "picked", "closed"]))
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
def wave_list(states, limit, as_json) -> None:
    """Waves, newest first."""
    from kuaifa.persistence.queries import waves

    rows = waves(states=list(states) or None, limit=limit)

    def human() -> None:
        for r in rows:
            click.echo(f"{r.code:<16}{r.state:<8}{show_time(r.created_at):<18}"
                       f"{r.orders:>6} {_('order(s)')}  {r.actor}")  # fmt: skip
        click.echo(_("%(n)s wave(s).") % {"n": len(rows)})

    emit(as_json, [asdict(r) for r in rows], human)


@command(wave, "remove")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@json_option
def wave_remove(order_sn, shop_name, as_json) -> None:
    """Take a cancelled or held order out of its wave: its slot is freed, the pick list no longer needs its units."""
    from dataclasses import asdict

    from kuaifa.services.waves import remove_order

    removed = remove_order(_order(order_sn, shop_name).id, actor=actor(), now=now())
    emit(as_json, asdict(removed), lambda: click.echo(
        _("%(order_sn)s removed from wave %(wave_code)s; slot %(slot)s is free.") % asdict(removed)))  # fmt: skip


@command(wave, "pdf")
@click.argument("wave_code")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--warehouse", default="", help="Printed in the header.")
@json_option
def wave_pdf(wave_code, file, warehouse, as_json) -> None:
    """Print the wave's pick list (拣货单) to a PDF, in bin order; orders cancelled or held meanwhile are dropped."""
    from kuaifa.documents.model import PickListData, PickRow
    from kuaifa.documents.pick_list import render_pick_list
    from kuaifa.services.labels import log_print, pick_list_data
    from kuaifa.services.waves import ready_for_pick_list

    found, dropped = ready_for_pick_list(wave_code, actor=actor(), now=now())
    info = pick_list_data(found.code)
    rows = tuple(PickRow(r.bin_location, r.sku_code, r.name, r.quantity, r.slots, r.spec) for r in info.rows)
    file.write_bytes(render_pick_list(PickListData(info.wave_code, info.created_at, rows, info.order_count,
                                                   warehouse, info.slot_orders)))  # fmt: skip
    printed = log_print("pick_list", wave_id=info.wave_id, actor=actor(), now=now())
    data = {"file": str(file), "wave": info.wave_code, "orders": info.order_count, "skus": len(rows),
            "units": sum(r.quantity for r in rows), "removed": [d.order_sn for d in dropped],
            "reprint": bool(printed.reprints)}  # fmt: skip

    def human() -> None:
        for d in dropped:
            click.echo(_("%(sn)s left the wave (cancelled or held): slot %(slot)s is free.")
                       % {"sn": d.order_sn, "slot": d.slot})  # fmt: skip
        click.echo(_("Pick list of %(wave)s: %(orders)s order(s), %(skus)s SKU(s), %(units)s unit(s) → %(file)s")
                   % data + (" " + _("(reprint)") if data["reprint"] else ""))  # fmt: skip

    emit(as_json, data, human)


# --- packing ------------------------------------------------------------------------------------------------------


def _packing_target(order_ref: str, shop_name: str | None):
    """An order number, or ``WAVE:SLOT`` (the slot's tag scanned at the station)."""
    from kuaifa.persistence.queries import order_by_sn, wave_by_code, wave_members
    from kuaifa.services.errors import NotFound

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
    order = _order(order_ref, shop_name)
    return order.id, order.order_sn


@command(cli, "pack")
@click.argument("order_ref", metavar="ORDER_SN|WAVE:SLOT")
@click.option("--shop", "shop_name", default=None)
@click.option("--scan", "scans", multiple=True, help="A scanned barcode, once per unit (repeat).")
@click.option("--enclosure", "enclosures", multiple=True,
              help="An enclosure put in (说明书); SKU:NAME when several SKUs need the same one (repeat).")  # fmt: skip
@click.option("--weight", "weight_g", type=click.IntRange(1), default=None, help="Scale reading in grams.")
@click.option("--box", "box_code", default=None, help="The box used; default: the smallest in stock that fits.")
@click.option("--force-weight", is_flag=True, help="Accept a weight outside the tolerance (recorded).")
@click.option(
    "--box-override-reason",
    default="",
    help="Use the named --box although the items are not shown to fit it; the reason is recorded.",
)
@json_option
def pack(order_ref, shop_name, scans, enclosures, weight_g, box_code, force_weight, box_override_reason,
         as_json) -> None:  # fmt: skip
    """Seal a parcel: every unit scanned, every enclosure confirmed, box chosen, weight checked (验货打包)."""
    from dataclasses import asdict

    from kuaifa.services.packing import pack_order

    order_id, _sn = _packing_target(order_ref, shop_name)
    result = pack_order(order_id, scans=list(scans), enclosures=list(enclosures), measured_weight_g=weight_g,
                        box_code=box_code, actor=actor(), now=now(), force=force_weight,
                        box_override_reason=box_override_reason)  # fmt: skip
    data = asdict(result)

    def human() -> None:
        click.echo(_("%(order_sn)s packed in box %(box_code)s (%(box_stock_left)s left); expected %(expected_g)s g")
                   % data)  # fmt: skip
        if result.measured_g is not None:
            click.echo(_("Weighed %(measured_g)s g: %(verdict)s") % data
                       + (" — " + _("overridden by hand") if result.forced else ""))  # fmt: skip
        if result.unknown_weight_skus:
            click.secho(_("No weight in the SKU master for %(skus)s: the weight check proves less.")
                        % {"skus": ", ".join(result.unknown_weight_skus)}, fg="yellow")  # fmt: skip

    emit(as_json, data, human)


# --- labels, slips, batch-ship file -------------------------------------------------------------------------------


def _document_orders(wave_code: str | None, order_sns: tuple[str, ...], shop_name: str | None):
    """(wave id or None, order ids in print order): a wave's orders in slot order, else the orders as given."""
    from kuaifa.services.errors import InvalidInput
    from kuaifa.services.labels import wave_order_ids

    if bool(wave_code) == bool(order_sns):
        raise InvalidInput(field="orders", reason=Text("give either --wave WAVE or one or more order numbers"))
    if wave_code:
        found, ids = wave_order_ids(wave_code)
        if not ids:
            raise InvalidInput(field="--wave", reason=Text("wave %(code)s has no orders to print", code=found.code))
        return found.id, ids
    return None, [_order(sn, shop_name).id for sn in dict.fromkeys(order_sns)]


def _receiver(r):
    from kuaifa.documents.model import Receiver

    return Receiver(r.name, r.phone, r.province, r.city, r.town, r.address, full=r.full)


@command(cli, "labels")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("order_sns", nargs=-1)
@click.option("--wave", "wave_code", default=None, help="Every order of this wave, in slot order.")
@click.option("--shop", "shop_name", default=None)
@click.option("--skip-unshipped", is_flag=True, help="Leave out orders without a tracking number instead of refusing.")
@click.option("--sender-name", default=None, help="Default: the shop's name.")
@click.option("--sender-phone", default="")
@click.option("--sender-address", default="")
@json_option
def labels(file, order_sns, wave_code, shop_name, skip_unshipped, sender_name, sender_phone, sender_address,
           as_json) -> None:  # fmt: skip
    """Print 100×180 mm shipping labels (面单) to one PDF: Code128 tracking number, masked receiver, contents."""
    from kuaifa.documents.labels import render_labels
    from kuaifa.documents.model import ContentLine, LabelData, Sender
    from kuaifa.services.labels import label_data, log_print

    wave_id, ids = _document_orders(wave_code, order_sns, shop_name)
    batch = label_data(ids, skip_unshipped=skip_unshipped)
    printed_at = now()
    documents = [
        LabelData(
            carrier_name=info.carrier_name,
            tracking_number=info.tracking_number,
            receiver=_receiver(info.receiver),
            sender=Sender(
                sender_name or info.sender_name or info.shop_name,
                sender_phone or info.sender_phone,
                sender_address or info.sender_address,
            ),
            order_sns=(info.order_sn,),
            contents=tuple(ContentLine(code, qty) for code, qty in info.contents),
            printed_at=printed_at,
        )
        for info in batch.labels
    ]
    file.write_bytes(render_labels(documents))
    report = log_print("label", order_ids=[i.order_id for i in batch.labels], wave_id=wave_id, actor=actor(),
                       now=printed_at)  # fmt: skip
    data = {"file": str(file), "labels": len(documents), "reprints": list(report.reprints),
            "skipped": list(batch.skipped)}  # fmt: skip

    def human() -> None:
        click.echo(_("%(labels)s label(s) → %(file)s") % data)
        if report.reprints:
            click.secho(_("Reprinted (printed before): %(orders)s") % {"orders": ", ".join(report.reprints)},
                        fg="yellow")  # fmt: skip
        if batch.skipped:
            click.secho(_("Left out, no tracking number yet: %(orders)s") % {"orders": ", ".join(batch.skipped)},
                        fg="yellow")  # fmt: skip

    emit(as_json, data, human)


@command(cli, "slips")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("order_sns", nargs=-1)
@click.option("--wave", "wave_code", default=None, help="Every order of this wave, in slot order.")
@click.option("--shop", "shop_name", default=None)
@json_option
def slips(file, order_sns, wave_code, shop_name, as_json) -> None:
    """Print packing slips (发货单) to one PDF: the items, and a tick box for every enclosure to put in."""
    from kuaifa.documents.model import PackingSlipData, SlipLine
    from kuaifa.documents.packing_slip import render_packing_slips
    from kuaifa.services.labels import log_print, slip_data

    wave_id, ids = _document_orders(wave_code, order_sns, shop_name)
    printed_at = now()
    documents = [
        PackingSlipData(
            shop_name=s.shop_name,
            order_sns=(s.order_sn,),
            receiver=_receiver(s.receiver),
            lines=tuple(SlipLine(i.sku_code, i.name, i.quantity, i.spec, i.enclosures) for i in s.items),
            parcel_enclosures=s.parcel_enclosures,
            buyer_memo=s.buyer_memo,
            carrier_name=s.carrier_name,
            tracking_number=s.tracking_number,
            created_at=printed_at,
        )
        for s in slip_data(ids)
    ]
    file.write_bytes(render_packing_slips(documents))
    report = log_print("packing_slip", order_ids=ids, wave_id=wave_id, actor=actor(), now=printed_at)
    data = {"file": str(file), "slips": len(documents), "reprints": list(report.reprints)}

    def human() -> None:
        click.echo(_("%(slips)s packing slip(s) → %(file)s") % data)
        if report.reprints:
            click.secho(_("Reprinted (printed before): %(orders)s") % {"orders": ", ".join(report.reprints)},
                        fg="yellow")  # fmt: skip

    emit(as_json, data, human)


def _since(value: str | None) -> datetime | None:
    """A date (midnight, China time) or an ISO datetime; None for no limit."""
    from kuaifa.domain.sla.deadlines import CHINA
    from kuaifa.services.errors import InvalidInput

    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            field="--since", reason=Text("%(value)r: expected a date such as 2026-11-26", value=value)
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


@command(cli, "ship-export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--since", default=None, help="Only parcels shipped since this date (China time) or ISO datetime.")
@json_option
def ship_export(file, since, as_json) -> None:
    """Write the PDD back-office batch-ship file (订单号, 快递公司, 快递单号) as CSV or XLSX, for shops without API
    access: shipments the platform has not been told of by API."""
    from kuaifa.platforms.pdd_export.table import TableError, write_table
    from kuaifa.services.errors import InvalidInput
    from kuaifa.services.ship_export import HEADER, batch_ship_rows

    rows = batch_ship_rows(since=_since(since))
    try:
        write_table(file, HEADER, [r.cells() for r in rows])
    except TableError as error:
        raise InvalidInput(field=file.name, reason=str(error)) from None
    data = {"file": str(file), "rows": len(rows)}
    emit(as_json, data, lambda: click.echo(_("%(rows)s shipped order(s) → %(file)s") % data))


@cli.group("return-tasks")
def return_tasks() -> None:
    """Goods picked for orders that were then held or cancelled: put them back on the shelf."""


@command(return_tasks, "list")
@click.option("--all", "show_all", is_flag=True, help="Include tasks already done.")
@json_option
def return_tasks_list(show_all: bool, as_json: bool) -> None:
    """Open return-to-stock tasks, oldest first."""
    from kuaifa.persistence.models import ReturnToStockTask

    query = ReturnToStockTask.objects.all() if show_all else ReturnToStockTask.objects.filter(done_at__isnull=True)
    rows = list(query.order_by("created_at", "id").values("id", "order__order_sn", "from_status", "reason",
                                                          "created_at", "done_at", "done_by"))  # fmt: skip

    def human() -> None:
        for r in rows:
            done = f"  ✓ {r['done_by']}" if r["done_at"] else ""
            click.echo(f"#{r['id']:<5} {r['order__order_sn']:<24} {r['from_status']:<8} {r['reason']}{done}")
        click.echo(_("%(n)s task(s).") % {"n": len(rows)})

    emit(as_json, rows, human)


@command(return_tasks, "done")
@click.argument("task_id", type=int)
@json_option
def return_tasks_done(task_id: int, as_json: bool) -> None:
    """Mark a task done: the goods are back on the shelf."""
    from kuaifa.services.returns import complete_task

    complete_task(task_id, actor=actor(), now=now())
    emit(as_json, {"task": task_id, "done": True}, lambda: click.echo(_("Task %(id)s done.") % {"id": task_id}))


@cli.group("carrier")
def carrier() -> None:
    """Carrier tariffs and choosing a carrier for an order."""


@command(carrier, "tariffs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def carrier_tariffs(file: Path, as_json: bool) -> None:
    """Import the tariff sheet (快递公司, 省份, 首重(g), 首重费(元), 续重(g), 续重费(元), 最大重量(g), 准时率(%)),
    replacing the previous one; a sheet with any problem imports nothing."""
    from kuaifa.cli.commands import refuse_if_problems
    from kuaifa.cli.files import load_tariffs
    from kuaifa.services.carrier_choice import import_tariffs

    rows, problems = load_tariffs(file)
    refuse_if_problems(problems, file, as_json)
    count = import_tariffs(rows, now=now())
    emit(as_json, {"rows": count}, lambda: click.echo(_("%(n)s tariff row(s) imported.") % {"n": count}))


@command(carrier, "choose")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@click.option("--min-on-time", type=click.IntRange(0, 100), default=0, show_default=True,
              help="Exclude carriers below this on-time rate (%) for the destination.")  # fmt: skip
@click.option("--fen-per-point", type=click.IntRange(0, 10_000), default=0, show_default=True,
              help="How many fen one on-time percentage point is worth when comparing costs.")  # fmt: skip
@json_option
def carrier_choose(order_sn: str, shop_name: str | None, min_on_time: int, fen_per_point: int, as_json: bool) -> None:
    """Choose the carrier for an order and say why: cost by province and weight, buyer exclusions, on-time rate."""
    from kuaifa.cli.commands import _order
    from kuaifa.domain.carriers.choice import ChoiceRules
    from kuaifa.services.carrier_choice import choose_for_order

    rules = ChoiceRules(min_on_time_percent=min_on_time, fen_per_on_time_point=fen_per_point)
    from kuaifa.cli.timeliness_commands import rate_sources

    found = choose_for_order(_order(order_sn, shop_name).id, rules=rules, now=now())
    data = {"order_sn": found.order_sn, "chosen": found.choice.chosen, "weight_g": found.weight_g,
            "unknown_weights": list(found.unknown_weights), "buyer_excluded": sorted(found.buyer_excluded),
            "explanation": list(found.choice.explain()), "on_time_sources": rate_sources(found)}  # fmt: skip

    def human() -> None:
        for line in [*found.choice.explain(), *rate_sources(found)]:
            click.echo(line)
        if found.unknown_weights:
            click.secho(_("No weight in the SKU master for %(skus)s: the weight check proves less.")
                        % {"skus": ", ".join(found.unknown_weights)}, fg="yellow")  # fmt: skip

    emit(as_json, data, human)
