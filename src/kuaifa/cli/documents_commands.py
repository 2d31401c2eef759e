"""Printed documents and the batch-ship file: shipping labels, packing slips, and the back-office ship file. PDFs are
drawn here, at the edge, from the data services return."""

from datetime import datetime
from pathlib import Path

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now, order_named
from kuaifa.documents.model import ContentLine, LabelData, PackingSlipData, Receiver, Sender, SlipLine
from kuaifa.domain.shared.errors import Text
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.platforms.pdd_export.table import TableError, write_table
from kuaifa.services.errors import InvalidInput
from kuaifa.services.labels import label_data, log_print, slip_data, wave_order_ids
from kuaifa.services.ship_export import HEADER, batch_ship_rows


def document_orders(wave_code: str | None, order_sns: tuple[str, ...], shop_name: str | None):
    """(wave id or None, order ids in print order): a wave's orders in slot order, else the orders as given."""
    if bool(wave_code) == bool(order_sns):
        raise InvalidInput(field="orders", reason=Text("give either --wave WAVE or one or more order numbers"))
    if wave_code:
        found, ids = wave_order_ids(wave_code)
        if not ids:
            raise InvalidInput(field="--wave", reason=Text("wave %(code)s has no orders to print", code=found.code))
        return found.id, ids
    return None, [order_named(sn, shop_name).id for sn in dict.fromkeys(order_sns)]


def receiver(r) -> Receiver:
    return Receiver(r.name, r.phone, r.province, r.city, r.town, r.address, full=r.full)


def show_reprints(reprints) -> None:
    if reprints:
        click.secho(_("Reprinted (printed before): %(orders)s") % {"orders": ", ".join(reprints)}, fg="yellow")


@command("labels")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("order_sns", nargs=-1)
@click.option("--wave", "wave_code", default=None, help="Every order of this wave, in slot order.")
@click.option("--shop", "shop_name", default=None)
@click.option("--skip-unshipped", is_flag=True, help="Leave out orders without a tracking number instead of refusing.")
@click.option("--sender-name", default=None, help="Default: the shop's name.")
@click.option("--sender-phone", default="")
@click.option("--sender-address", default="")
@json_option
def labels(
    file, order_sns, wave_code, shop_name, skip_unshipped, sender_name, sender_phone, sender_address, as_json
) -> None:
    """Print 100×180 mm shipping labels (面单) to one PDF: Code128 tracking number, masked receiver, contents."""
    from kuaifa.documents.labels import render_labels  # reportlab: loaded only to draw a PDF

    wave_id, ids = document_orders(wave_code, order_sns, shop_name)
    batch = label_data(ids, skip_unshipped=skip_unshipped)
    printed_at = now()
    documents = [
        LabelData(
            carrier_name=info.carrier_name,
            tracking_number=info.tracking_number,
            receiver=receiver(info.receiver),
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
    printed = [i.order_id for i in batch.labels]
    report = log_print("label", order_ids=printed, wave_id=wave_id, actor=actor(), now=printed_at)
    data = {
        "file": str(file),
        "labels": len(documents),
        "reprints": list(report.reprints),
        "skipped": list(batch.skipped),
    }

    def human() -> None:
        click.echo(_("%(labels)s label(s) → %(file)s") % data)
        show_reprints(report.reprints)
        if batch.skipped:
            click.secho(
                _("Left out, no tracking number yet: %(orders)s") % {"orders": ", ".join(batch.skipped)}, fg="yellow"
            )

    emit(as_json, data, human)


@command("slips")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("order_sns", nargs=-1)
@click.option("--wave", "wave_code", default=None, help="Every order of this wave, in slot order.")
@click.option("--shop", "shop_name", default=None)
@json_option
def slips(file, order_sns, wave_code, shop_name, as_json) -> None:
    """Print packing slips (发货单) to one PDF: the items, and a tick box for every enclosure to put in."""
    from kuaifa.documents.packing_slip import render_packing_slips  # reportlab: loaded only to draw a PDF

    wave_id, ids = document_orders(wave_code, order_sns, shop_name)
    printed_at = now()
    documents = [
        PackingSlipData(
            shop_name=s.shop_name,
            order_sns=(s.order_sn,),
            receiver=receiver(s.receiver),
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
        show_reprints(report.reprints)

    emit(as_json, data, human)


def parse_since(value: str | None) -> datetime | None:
    """A date (midnight, China time) or an ISO datetime; None for no limit."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            field="--since", reason=Text("%(value)r: expected a date such as 2026-11-26", value=value)
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


@command("ship-export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--since", default=None, help="Only parcels shipped since this date (China time) or ISO datetime.")
@json_option
def ship_export(file, since, as_json) -> None:
    """Write the PDD back-office batch-ship file (订单号, 快递公司, 快递单号) as CSV or XLSX, for shops without API
    access: shipments the platform has not been told of by API."""
    rows = batch_ship_rows(since=parse_since(since))
    try:
        write_table(file, HEADER, [r.cells() for r in rows])
    except TableError as error:
        raise InvalidInput(field=file.name, reason=str(error)) from None
    data = {"file": str(file), "rows": len(rows)}
    emit(as_json, data, lambda: click.echo(_("%(rows)s shipped order(s) → %(file)s") % data))
