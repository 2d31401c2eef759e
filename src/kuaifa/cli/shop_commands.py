"""``kuaifa shop``: register a shop, connect a Pinduoduo shop with its credentials, store its sender address."""

from dataclasses import asdict

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import command, emit, json_option, now
from kuaifa.services.catalog import add_shop
from kuaifa.services.credentials import connect_pdd_shop
from kuaifa.services.senders import set_sender


@click.group()
def shop() -> None:
    """Shops (店铺)."""


@command("add", shop)
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
    created = add_shop(name, platform=platform, ship_by_hours=ship_by_hours, now=now())
    emit(
        as_json,
        {"id": created.id, "name": created.name},
        lambda: click.echo(_("Shop %(name)s added.") % {"name": created.name}),
    )


@command("add-pdd", shop)
@click.argument("name")
@click.option("--client-id", required=True)
@click.option("--client-secret", required=True)
@click.option("--access-token", required=True)
@click.option("--refresh-token", default="")
@click.option(
    "--gateway",
    default="https://gw-api.pinduoduo.com/api/router",
    show_default=True,
    help="The gateway URL; point it at `kuaifa sim serve` to use the simulator.",
)
@json_option
def shop_add_pdd(name, client_id, client_secret, access_token, refresh_token, gateway, as_json) -> None:
    """Register a Pinduoduo shop with its app credentials and authorisation tokens (stored encrypted)."""
    connected = connect_pdd_shop(
        name,
        gateway_url=gateway,
        client_id=client_id,
        client_secret=client_secret,
        access_token=access_token,
        refresh_token=refresh_token,
        now=now(),
    )
    emit(
        as_json,
        {"id": connected.id, "name": connected.name},
        lambda: click.echo(_("Shop %(name)s connected to %(gateway)s.") % {"name": connected.name, "gateway": gateway}),
    )


@command("set-sender", shop)
@click.argument("name")
@click.option("--name", "sender_name", required=True, help="Sender name (寄件人).")
@click.option("--mobile", required=True, help="Mobile (11 digits) or landline (0571-88886666).")
@click.option("--province", required=True)
@click.option("--city", required=True)
@click.option("--district", default="", help="District (区/县); may be empty.")
@click.option("--detail", required=True, help="Street and number (详细地址).")
@json_option
def shop_set_sender(name, sender_name, mobile, province, city, district, detail, as_json) -> None:
    """Store the shop's sender address (寄件人); e-waybills and labels print it."""
    sender = set_sender(
        name, name=sender_name, mobile=mobile, province=province, city=city, district=district, detail=detail, now=now()
    )
    emit(
        as_json,
        {"shop": name, **asdict(sender)},
        lambda: click.echo(
            _("%(shop)s ships from %(name)s %(mobile)s, %(address)s.")
            % {"shop": name, "name": sender.name, "mobile": sender.mobile, "address": sender.address}
        ),
    )
