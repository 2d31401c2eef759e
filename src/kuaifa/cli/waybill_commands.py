"""``kuaifa waybill``: PDD e-waybills (电子面单) — take a carrier's numbers for orders, give one back, ship with it.

The ship-from address the platform prints is the shop's stored sender (``kuaifa shop set-sender``); ``--sender-*``
options or ``KUAIFA_SENDER_*`` variables replace it for one run (the name defaults to the shop's name). A manually
entered number needs none of this: ``kuaifa ship --tracking``.
"""

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now, order_named, shop_id_of, shop_named
from kuaifa.domain.carriers.waybills import WaybillSender
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.queries import document_orders
from kuaifa.services.errors import InvalidInput
from kuaifa.services.labels import wave_order_ids
from kuaifa.services.senders import sender_of
from kuaifa.services.waybills import cancel_intercepted_waybills, cancel_waybill, issue_waybills, ship_with_waybill
from kuaifa.tasks.jobs import deliver_outbox_entry
from kuaifa.tasks.platforms import waybill_provider_for


@click.group()
def waybill() -> None:
    """E-waybills (电子面单): numbers taken from the platform by carrier code, printed, then shipped with."""


def _sender_options(fn):
    options = [
        click.option("--sender-name", envvar="KUAIFA_SENDER_NAME", default=None, help="Default: the shop's name."),
        click.option("--sender-mobile", envvar="KUAIFA_SENDER_MOBILE", default=""),
        click.option("--sender-province", envvar="KUAIFA_SENDER_PROVINCE", default=""),
        click.option("--sender-city", envvar="KUAIFA_SENDER_CITY", default=""),
        click.option("--sender-district", envvar="KUAIFA_SENDER_DISTRICT", default=""),
        click.option("--sender-address", envvar="KUAIFA_SENDER_ADDRESS", default="", help="Street and number."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _sender(shop, name, mobile, province, city, district, address):
    if not any((name, mobile, province, city, district, address)):
        stored = sender_of(shop)
        if stored is None:
            reason = _(
                "shop %(shop)s has no sender address: store it with `kuaifa shop set-sender %(shop)s --name … "
                "--mobile … --province … --city … --district … --detail …`"
            )
            raise InvalidInput(field="--sender-*", reason=reason % {"shop": shop.name})
        return stored.for_waybill()
    try:
        return WaybillSender(name or shop.name, mobile, province, city, district, address)
    except ValueError as error:
        raise InvalidInput(
            field="--sender-*", reason=Text("%(error)s (options or KUAIFA_SENDER_* variables)", error=error)
        ) from None


def _orders_by_shop(wave_code: str | None, order_sns: tuple[str, ...], shop_name: str | None) -> dict[str, list[int]]:
    """Order ids grouped by shop name, in wave slot order or as given."""
    if bool(wave_code) == bool(order_sns):
        raise InvalidInput(field="orders", reason=Text("give either --wave WAVE or one or more order numbers"))
    if wave_code:
        found, ids = wave_order_ids(wave_code)
        if not ids:
            raise InvalidInput(field="--wave", reason=Text("wave %(code)s has no orders left to ship", code=found.code))
    else:
        ids = [order_named(sn, shop_name).id for sn in dict.fromkeys(order_sns)]
    shops = document_orders(ids)
    grouped: dict[str, list[int]] = {}
    for order_id in ids:
        grouped.setdefault(shops[order_id].shop_name, []).append(order_id)
    return grouped


@command("issue", waybill)
@click.argument("order_sns", nargs=-1)
@click.option(
    "--carrier", "carrier_code", required=True, help="Carrier code or id, e.g. ZTO or 115 = 中通, YTO or 85 = 圆通."
)
@click.option("--wave", "wave_code", default=None, help="Every order of this wave still to ship, in slot order.")
@click.option("--shop", "shop_name", default=None)
@_sender_options
@json_option
def waybill_issue(
    order_sns,
    carrier_code,
    wave_code,
    shop_name,
    sender_name,
    sender_mobile,
    sender_province,
    sender_city,
    sender_district,
    sender_address,
    as_json,
) -> None:
    """Take a waybill number per order from the platform (an order holding one for this carrier keeps it)."""
    rows = []
    for name, ids in _orders_by_shop(wave_code, order_sns, shop_name).items():
        shop = shop_named(name)
        sender = _sender(
            shop, sender_name, sender_mobile, sender_province, sender_city, sender_district, sender_address
        )
        provider = waybill_provider_for(shop, sender)
        try:
            issued = issue_waybills(ids, carrier_code, provider, actor=actor(), now=now())
        finally:
            provider.client.close()
        rows.extend(
            {
                "order_sn": w.order_sn,
                "carrier_code": w.carrier_code,
                "logistics_id": w.logistics_id,
                "waybill_code": w.waybill_code,
                "reused": w.reused,
            }
            for w in issued
        )

    def human() -> None:
        for r in rows:
            held = _("(held already)") if r["reused"] else ""
            click.echo(f"{r['order_sn']:<26}{r['carrier_code']:<8}{r['waybill_code']:<20}" + held)
        click.echo(_("%(n)s waybill(s).") % {"n": len(rows)})

    emit(as_json, rows, human)


@command("cancel", waybill)
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@json_option
def waybill_cancel(order_sn, shop_name, as_json) -> None:
    """Give the order's unused waybill back to the platform (refused once the order shipped)."""
    order = order_named(order_sn, shop_name)
    provider = waybill_provider_for(order.shop)
    try:
        cancelled = cancel_waybill(order.id, provider, actor=actor(), now=now())
    finally:
        provider.client.close()
    data = {
        "order_sn": order_sn,
        "carrier_code": cancelled.carrier_code,
        "waybill_code": cancelled.waybill_code,
        "state": cancelled.state,
    }
    text = _("%(sn)s: waybill %(no)s cancelled.") % {"sn": order_sn, "no": cancelled.waybill_code}
    emit(as_json, data, lambda: click.echo(text))


@command("ship", waybill)
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@json_option
def waybill_ship(order_sn, shop_name, as_json) -> None:
    """Ship the order with its waybill: consumes its stock and queues the upload (refused if intercepted)."""
    order = order_named(order_sn, shop_name)
    shipped = ship_with_waybill(order.id, actor=actor(), now=now())
    shipment = shipped.shipment
    if shipped.outbox_entry_id:
        deliver_outbox_entry.enqueue(shipped.outbox_entry_id)
    data = {
        "order_sn": order_sn,
        "shipment": shipment.id,
        "logistics_id": shipment.logistics_id,
        "tracking_number": shipment.tracking_number,
        "upload": shipment.upload_state,
    }
    text = _("%(sn)s shipped with %(no)s; upload %(state)s.") % {
        "sn": order_sn,
        "no": shipment.tracking_number,
        "state": shipment.upload_state,
    }
    emit(as_json, data, lambda: click.echo(text))


@command("cancel-intercepted", waybill)
@click.option("--shop", "shop_name", default=None)
@json_option
def waybill_cancel_intercepted(shop_name, as_json) -> None:
    """Give back every unused waybill of an intercepted order now (the worker does it every interval)."""
    opened = []

    def provider_for(shop):
        provider = waybill_provider_for(shop)
        opened.append(provider)
        return provider

    try:
        sweep = cancel_intercepted_waybills(provider_for, shop_id=shop_id_of(shop_name), actor=actor(), now=now())
    finally:
        for provider in opened:
            provider.client.close()
    data = {"cancelled": sweep.cancelled, "failed": sweep.failed}

    def human() -> None:
        for line in sweep.cancelled:
            click.echo(_("Cancelled: %(waybill)s") % {"waybill": line})
        for line in sweep.failed:
            click.secho(_("Not cancelled yet (tried again next time): %(why)s") % {"why": line}, fg="yellow")
        click.echo(_("%(n)s waybill(s) given back.") % {"n": len(sweep.cancelled)})

    emit(as_json, data, human)
