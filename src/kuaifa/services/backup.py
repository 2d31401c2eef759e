"""A consistent copy of the whole database in one file, taken while Kuaifa keeps serving.

SQLite: ``VACUUM INTO`` writes a compact, self-contained database file from one read transaction (WAL included).
PostgreSQL: ``pg_dump --format=custom``, restored into a fresh database with ``pg_restore``. Neither writes to the
database being copied. The copy holds sealed platform credentials: keep the secret key with it (docs/deploy.md).
"""

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

from kuaifa.domain.shared.errors import Text
from kuaifa.services.errors import InvalidInput


@dataclass(frozen=True)
class Backup:
    path: Path
    vendor: str
    size_bytes: int


def _pg_dump(target: Path) -> None:
    settings = connection.settings_dict
    if shutil.which("pg_dump") is None:
        raise InvalidInput(field="pg_dump", reason=Text("PostgreSQL's pg_dump is not installed on this machine"))
    env = {**os.environ, "PGPASSWORD": str(settings.get("PASSWORD") or "")}
    command = ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), "--dbname", settings["NAME"]]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings.get(key):
            command += [option, str(settings[key])]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise InvalidInput(field="pg_dump", reason=done.stderr.strip() or f"exit status {done.returncode}")


def backup_database(target: Path) -> Backup:
    """Copy the database into ``target``, which must not exist yet (a backup never overwrites another)."""
    target = target.resolve()
    if target.exists():
        raise InvalidInput(
            field="FILE", reason=Text("%(target)s already exists; choose a new file name", target=target)
        )
    if not target.parent.is_dir():
        raise InvalidInput(field="FILE", reason=Text("the folder %(parent)s does not exist", parent=target.parent))
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(target)])
    elif connection.vendor == "postgresql":
        _pg_dump(target)
    else:  # pragma: no cover - only SQLite and PostgreSQL are configured
        raise InvalidInput(
            field="DATABASE_URL", reason=Text("no backup method for %(vendor)s", vendor=connection.vendor)
        )
    return Backup(target, connection.vendor, target.stat().st_size)
