"""Backup and restore: a populated database copied with `kuaifa backup` and restored into a fresh database passes
`kuaifa check-ledger` and holds the same rows; the same check fails on a restored copy whose ledger was broken."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_field_errors import run

TABLES = ("kuaifa_order", "kuaifa_orderline", "kuaifa_reservation", "kuaifa_stockmove", "kuaifa_stocklevel")


@pytest.fixture(scope="module")
def populated(tmp_path_factory) -> Path:
    """The demo: SKUs, opening stock, a real order export, reviewed with stock reserved."""
    home = tmp_path_factory.mktemp("backup") / "home"
    assert run(home, "init").returncode == 0
    demo = run(home, "demo")
    assert demo.returncode == 0, demo.stderr
    return home


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}


def restored_home(backup: Path, source: Path, target: Path) -> Path:
    """A fresh install whose database is the backup (with the source's secret key, as docs/deploy.md says)."""
    target.mkdir(mode=0o700)
    shutil.copy(backup, target / "kuaifa.sqlite3")
    shutil.copy(source / "secret.key", target / "secret.key")
    return target


def test_a_restored_sqlite_backup_passes_check_ledger_with_every_row(populated, tmp_path):
    backup = tmp_path / "kuaifa-backup.sqlite3"
    made = run(populated, "backup", backup, "--json")
    assert made.returncode == 0, made.stderr
    home = restored_home(backup, populated, tmp_path / "restored")

    checked = run(home, "check-ledger", "--json")

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert '"ok": true' in checked.stdout
    original = counts(populated / "kuaifa.sqlite3")
    assert counts(home / "kuaifa.sqlite3") == original
    assert original["kuaifa_reservation"] > 0 and original["kuaifa_order"] > 0


def test_check_ledger_on_a_restored_copy_catches_a_broken_ledger(populated, tmp_path):
    backup = tmp_path / "kuaifa-backup.sqlite3"
    assert run(populated, "backup", backup).returncode == 0
    home = restored_home(backup, populated, tmp_path / "restored")
    with sqlite3.connect(home / "kuaifa.sqlite3") as db:
        db.execute(
            "UPDATE kuaifa_stocklevel SET on_hand = on_hand + 1 WHERE id = (SELECT MIN(id) FROM kuaifa_stocklevel)"
        )

    assert run(home, "check-ledger").returncode == 1


def test_a_backup_never_overwrites_a_file(populated, tmp_path):
    existing = tmp_path / "old-backup.sqlite3"
    existing.write_bytes(b"yesterday")

    refused = run(populated, "backup", existing)

    assert refused.returncode == 1
    assert "already exists" in refused.stdout + refused.stderr
    assert existing.read_bytes() == b"yesterday"


PG = os.environ.get("DATABASE_URL", "")


@pytest.mark.skipif(not PG.startswith("postgres") or shutil.which("pg_restore") is None,
                    reason="PostgreSQL and pg_dump/pg_restore are needed")  # fmt: skip
def test_a_postgresql_backup_restored_with_pg_restore_passes_check_ledger(tmp_path):
    base = PG.rsplit("/", 1)[0]
    source, restored = f"kuaifa_backup_src_{os.getpid()}", f"kuaifa_backup_dst_{os.getpid()}"
    psql = ["psql", f"{base}/postgres", "-q", "-c"]
    for name in (source, restored):
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
    home = tmp_path / "home"
    try:
        env = {"DATABASE_URL": f"{base}/{source}"}
        assert run(home, "init", **env).returncode == 0
        assert run(home, "demo", **env).returncode == 0
        dump = tmp_path / "kuaifa.dump"
        made = run(home, "backup", dump, **env, PATH="/usr/bin:/bin")
        assert made.returncode == 0, made.stdout + made.stderr
        subprocess.run(["pg_restore", "--no-owner", "-d", f"{base}/{restored}", str(dump)], check=True)

        checked = run(home, "check-ledger", "--json", DATABASE_URL=f"{base}/{restored}")

        assert checked.returncode == 0, checked.stdout + checked.stderr
        count = "SELECT COUNT(*) FROM kuaifa_reservation"
        rows = [subprocess.run(["psql", f"{base}/{db}", "-tAc", count], capture_output=True, text=True, check=True)
                .stdout.strip() for db in (source, restored)]  # fmt: skip
        assert rows[0] == rows[1] != "0"
    finally:
        for name in (source, restored):
            subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=False)
