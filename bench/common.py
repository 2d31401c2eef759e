"""Shared plumbing for the benchmarks: a fresh copy of one migrated database per run, interleaved timing.

Every run (Kuaifa's or the ceiling's) starts from an identical copy of the same migrated, seeded database: on SQLite a
file copy of a template, on PostgreSQL ``CREATE DATABASE … TEMPLATE``. Timers add up only the regions the caller
marks, so input generation stays outside on both sides; each region records wall time and this process's CPU time.
"""

import os
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-16384",
    "PRAGMA mmap_size=0",
    "PRAGMA temp_store=FILE",
)  # the same as Kuaifa's settings: equal durability, equal cache


class Timer:
    """Wall and CPU seconds summed over the ``with timer:`` regions."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self):
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


def setup_django(home: Path, database_url: str | None) -> None:
    os.environ["KUAIFA_HOME"] = str(home)
    if database_url:
        _recreate(database_url)
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
    # migrations run in a child process, as `kuaifa init` does: the migration graph they load stays out of this
    # process's memory (~15 MiB that are never given back), which the benchmarks measure
    src = str(Path(__file__).resolve().parent.parent / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-m", "django", "migrate", "--verbosity", "0"], env=env, check=True)
    import django

    django.setup()


def reset_peak_rss() -> None:
    """Start a new peak: the next :func:`peak_rss_mib` reports the largest resident size from here (Linux)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def rss_now() -> dict[str, float]:
    """Resident memory now, in MiB: all of it, the heap and anonymous maps, and mapped files (the SQLite mapping)."""
    wanted = {"VmRSS": "rss", "RssAnon": "anon", "RssFile": "file"}
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            key = line.split(":")[0]
            if key in wanted:
                found[wanted[key]] = int(line.split()[1]) / 1024
    return found


def peak_rss_mib() -> float:
    """The process's peak resident size since the last :func:`reset_peak_rss` (VmHWM), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _recreate(database_url: str) -> None:
    """The benchmark's PostgreSQL database is scratch space: dropped and created empty."""
    import dj_database_url
    import psycopg

    conf = dj_database_url.parse(database_url)
    params = {"host": conf["HOST"], "port": conf["PORT"] or 5432, "user": conf["USER"], "dbname": "postgres"}
    if conf["PASSWORD"]:
        params["password"] = conf["PASSWORD"]
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{conf["NAME"]}"')
        admin.execute(f'CREATE DATABASE "{conf["NAME"]}"')


class Databases:
    """Copies of the template database (the one Django migrated and the caller seeded)."""

    def __init__(self, work: Path, label: str = "template") -> None:
        from django.db import connection

        self.work, self.label = work, label
        self.vendor = connection.vendor
        self.template = connection.settings_dict["NAME"]
        self.count = 0
        if self.vendor == "sqlite":
            self.template_file = work / f"{label}.sqlite3"
            with connection.cursor() as cursor:  # a consistent copy, WAL included
                cursor.execute("VACUUM INTO %s", [str(self.template_file)])
        connection.close()

    def fresh(self) -> str:
        """A new copy; Django's connection is pointed at it. Returns its name (file path or database name)."""
        from django.db import connection

        connection.close()
        self.count += 1
        if self.vendor == "sqlite":
            name = str(self.work / f"{self.label}-run-{self.count}.sqlite3")
            shutil.copyfile(self.template_file, name)
        else:
            name = f"{self.template}_{self.label}{self.count}"
            with self._admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        connection.settings_dict["NAME"] = name
        return name

    def drop(self, name: str) -> None:
        from django.db import connection

        connection.close()
        if self.vendor == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(name + suffix).unlink(missing_ok=True)
        else:
            with self._admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}"')

    @contextmanager
    def _admin(self):
        import psycopg
        from django.db import connection

        params = connection.get_connection_params()
        params["dbname"] = "postgres"
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        with psycopg.connect(**params, autocommit=True) as admin:
            yield admin

    def raw(self, name: str):
        """A raw DB-API connection to a copy, with the same durability settings as Kuaifa's."""
        if self.vendor == "sqlite":
            import sqlite3

            con = sqlite3.connect(name, isolation_level=None, cached_statements=32)  # as Kuaifa's settings
            for pragma in SQLITE_PRAGMAS:
                con.execute(pragma)
            return con
        import psycopg
        from django.db import connection

        params = connection.get_connection_params()
        params["dbname"] = name
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
        return psycopg.connect(**params)


def summary(label: str, values: list[float], unit: str = "s") -> str:
    return f"{label:<34} min {min(values):8.3f} {unit}   median {statistics.median(values):8.3f} {unit}"
