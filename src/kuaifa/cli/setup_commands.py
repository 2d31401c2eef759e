"""Install-level commands: the secret key, and a shop's sender address."""

from __future__ import annotations

import os

import click
from django.utils.translation import gettext as _

from kuaifa.cli.commands import shop
from kuaifa.cli.main import cli, command, emit, json_option, now
from kuaifa.services.errors import InvalidInput


@command(cli, "rotate-key")
@json_option
def rotate_key(as_json: bool) -> None:
    """Re-seal every stored credential under a new random key and write it to the key file (换密钥)."""
    from django.conf import settings

    from kuaifa.persistence.secrets import new_key, stage_key_file
    from kuaifa.services.credentials import reseal_all

    if os.environ.get("KUAIFA_SECRET_KEY", "").strip():
        raise InvalidInput(
            field="KUAIFA_SECRET_KEY",
            reason=_(
                "the key is set in the environment; rotate-key manages the key file only: unset the variable "
                "(after copying its value to the key file) or change it together with all stored credentials"
            ),
        )
    path = settings.SECRET_KEY_FILE
    key = new_key()
    staged = stage_key_file(path, key)
    try:
        shops = reseal_all(key)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    os.replace(staged, path)
    emit(
        as_json,
        {"key_file": str(path), "shops": shops},
        lambda: click.echo(
            _("New secret key written to %(path)s; credentials of %(n)s shop(s) re-sealed.")
            % {"path": path, "n": len(shops)}
        ),
    )


@command(shop, "set-sender")
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
    from dataclasses import asdict

    from kuaifa.services.senders import set_sender

    sender = set_sender(name, name=sender_name, mobile=mobile, province=province, city=city, district=district,
                        detail=detail, now=now())  # fmt: skip
    emit(
        as_json,
        {"shop": name, **asdict(sender)},
        lambda: click.echo(
            _("%(shop)s ships from %(name)s %(mobile)s, %(address)s.")
            % {"shop": name, "name": sender.name, "mobile": sender.mobile, "address": sender.address}
        ),
    )
