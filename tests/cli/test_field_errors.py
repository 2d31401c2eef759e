"""What a person sees when the world around Kuaifa is wrong: one sentence naming what to fix, exit code 1, never a
traceback. Each case runs the installed ``kuaifa`` command in its own process on a throw-away home."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
KUAIFA = str(Path(sys.executable).with_name("kuaifa"))


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        "KUAIFA_HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "KUAIFA_LANG": "en",
        "KUAIFA_NOW": "2024-06-26T12:00:00+08:00",
    }
    return subprocess.run(
        [KUAIFA, *map(str, args)], env={**base, **env}, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """An initialised home with the SKU master imported."""
    home = tmp_path_factory.mktemp("field") / "home"
    assert run(home, "init").returncode == 0
    assert run(home, "import-skus", FIXTURES / "skus.csv").returncode == 0
    return home


def files(tmp: Path) -> dict[str, Path]:
    (tmp / "garbage.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (tmp / "binary.csv").write_bytes(bytes(range(256)) * 8)
    (tmp / "a-file").write_text("not a folder")
    (tmp / "full.csv").symlink_to("/dev/full")  # every write fails with ENOSPC
    return {
        "garbage": tmp / "garbage.xlsx",
        "binary": tmp / "binary.csv",
        "afile": tmp / "a-file",
        "full": tmp / "full.csv",
    }


CASES = [
    # (id, args, extra environment, code, words the message must contain)
    ("no-database-yet", ["stock", "list"], {"KUAIFA_HOME": "{tmp}/fresh"}, "database.not_initialised", "kuaifa init"),
    ("bad-database-url", ["stock", "list"], {"DATABASE_URL": "foo://nowhere"}, "config.invalid", "DATABASE_URL"),
    ("unreachable-database", ["stock", "list"], {"DATABASE_URL": "postgres://u@127.0.0.1:9/x"},
     "database.unreachable", "DATABASE_URL"),
    ("missing-postgres-database", ["stock", "list"], {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kuaifa_no_such_db"},
     "database.unreachable", "DATABASE_URL"),
    ("home-is-a-file", ["stock", "list"], {"KUAIFA_HOME": "{afile}"}, "database.unwritable", "KUAIFA_HOME"),
    ("home-under-a-file", ["init"], {"KUAIFA_HOME": "{afile}/home"}, "file.unusable", "a-file"),
    ("bad-clock", ["stock", "receive", "TEA-001", "1"], {"KUAIFA_NOW": "yesterday"}, "invalid_input", "KUAIFA_NOW"),
    ("clock-without-offset", ["stock", "receive", "TEA-001", "1"], {"KUAIFA_NOW": "2024-06-26T12:00:00"},
     "invalid_input", "UTC offset"),
    ("number-too-large", ["stock", "receive", "TEA-001", "99999999999"], {}, "invalid_input", "QUANTITY"),
    ("id-too-large", ["return-tasks", "done", "99999999999"], {}, "invalid_input", "TASK_ID"),
    ("output-in-missing-folder", ["export-skus", "{tmp}/missing/skus.csv"], {}, "file.unusable",
     "missing/skus.csv"),
    ("output-on-a-full-disk", ["export-stock", "{full}"], {}, "disk.full", "disk is full"),
    ("garbage-xlsx", ["import-skus", "{garbage}"], {}, "invalid_input", "garbage.xlsx"),
    ("binary-csv", ["import-skus", "{binary}"], {}, "invalid_input", "binary.csv"),
    ("garbage-tariffs", ["carrier", "tariffs", "{garbage}"], {}, "invalid_input", "garbage.xlsx"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "env", "code", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_user_error_is_a_sentence_and_exit_code_one(home, tmp_path, args, env, code, words):
    paths = {**files(tmp_path), "tmp": tmp_path}

    def fill(text: str) -> str:
        return text.format(**{k: str(v) for k, v in paths.items()})

    result = run(home, *[fill(a) for a in args], **{k: fill(v) for k, v in env.items()})

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"[{code}]" in result.stderr
    assert words in result.stderr


def test_json_output_keeps_the_stable_code(home, tmp_path):
    result = run(tmp_path / "fresh", "stock", "list", "--json")

    assert result.returncode == 1
    assert json.loads(result.stdout)["error"] == "database.not_initialised"
    assert "Traceback" not in result.stderr


def test_a_negative_adjustment_needs_no_double_dash(home):
    assert run(home, "stock", "receive", "CUP-002", "10").returncode == 0

    result = run(home, "stock", "adjust", "CUP-002", "-5", "--json")

    assert result.returncode == 0, result.stderr
    assert (json.loads(result.stdout)["on_hand_before"], json.loads(result.stdout)["on_hand_after"]) == (10, 5)


def test_a_full_or_locked_sqlite_database_is_a_sentence_not_a_traceback(tmp_path):
    """SQLite's own 'database or disk is full', raised by a database capped at a few pages."""
    import django

    django.setup()
    from kuaifa.cli.failures import explain

    connection = sqlite3.connect(tmp_path / "tiny.sqlite3")
    connection.execute("PRAGMA max_page_count = 2")
    connection.execute("CREATE TABLE t (x BLOB)")
    with pytest.raises(sqlite3.OperationalError) as raised:
        connection.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))

    assert explain(raised.value)[0] == "disk.full"
    other = sqlite3.connect(tmp_path / "tiny.sqlite3", timeout=0)
    connection.execute("BEGIN EXCLUSIVE")
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("INSERT INTO t VALUES (1)")
    assert explain(locked.value)[0] == "database.busy"
    assert explain(OSError(28, os.strerror(28)))[0] == "disk.full"
    assert explain(ZeroDivisionError()) is None  # a defect keeps its traceback
