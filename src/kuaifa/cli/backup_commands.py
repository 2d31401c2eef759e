"""``kuaifa backup FILE``: a consistent copy of the database, taken while the workbench keeps serving."""

from pathlib import Path

import click

from kuaifa.cli.main import cli, command, emit, json_option


@command(cli, "backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def backup(file: Path, as_json: bool) -> None:
    """Copy the whole database into FILE (SQLite: VACUUM INTO; PostgreSQL: pg_dump custom format).

    Restore: SQLite — put the file in place of kuaifa.sqlite3 in a fresh KUAIFA_HOME; PostgreSQL —
    createdb NEW && pg_restore --no-owner -d NEW FILE. Then run `kuaifa check-ledger` on it.
    """
    from django.utils.translation import gettext as _

    from kuaifa.services.backup import backup_database

    made = backup_database(file)
    data = {"file": str(made.path), "database": made.vendor, "bytes": made.size_bytes}
    emit(as_json, data, lambda: click.echo(_("Backup written to %(file)s (%(bytes)s bytes).") % data))
