"""Install-level commands: ``kuaifa init`` (the database, the default warehouse, the secret key), ``rotate-key`` and
``backup``."""

import os
from pathlib import Path

import click
from django.conf import settings
from django.core.management import call_command
from django.utils.translation import gettext as _

from kuaifa.cli.context import command, emit, json_option
from kuaifa.persistence.home import prepare_home
from kuaifa.persistence.secrets import ensure_key_file, new_key, stage_key_file
from kuaifa.services.backup import backup_database
from kuaifa.services.catalog import ensure_warehouse
from kuaifa.services.credentials import reseal_all
from kuaifa.services.errors import InvalidInput


@command("init")
@json_option
def init(as_json: bool) -> None:
    """Create or upgrade the database and the default warehouse; create the secret key file if none is set."""
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


@command("rotate-key")
@json_option
def rotate_key(as_json: bool) -> None:
    """Re-seal every stored credential under a new random key and write it to the key file (换密钥)."""
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


@command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def backup(file: Path, as_json: bool) -> None:
    """Copy the whole database into FILE (SQLite: VACUUM INTO; PostgreSQL: pg_dump custom format).

    Restore: SQLite — put the file in place of kuaifa.sqlite3 in a fresh KUAIFA_HOME; PostgreSQL —
    createdb NEW && pg_restore --no-owner -d NEW FILE. Then run `kuaifa check-ledger` on it.
    """
    made = backup_database(file)
    data = {"file": str(made.path), "database": made.vendor, "bytes": made.size_bytes}
    emit(as_json, data, lambda: click.echo(_("Backup written to %(file)s (%(bytes)s bytes).") % data))
