"""Install-level commands: the secret key, and a shop's sender address."""

from __future__ import annotations

import os

import click
from django.utils.translation import gettext as _

from kuaifa.cli.main import cli, command, emit, json_option
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
            reason="the key is set in the environment; rotate-key manages the key file only: unset the variable "
            "(after copying its value to the key file) or change it together with all stored credentials",
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
