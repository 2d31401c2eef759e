"""The install's own secret: created by `kuaifa init`, private files, credentials re-sealed by `kuaifa rotate-key`."""

import sqlite3
import stat
from pathlib import Path

import pytest

from kuaifa.persistence.secrets import SecretUnreadable, unseal
from tests.cli.test_field_errors import run


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sealed_secrets(home: Path) -> tuple[str, str]:
    with sqlite3.connect(home / "kuaifa.sqlite3") as db:
        return db.execute("SELECT client_secret, access_token FROM kuaifa_shopcredential").fetchone()


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "home"
    assert run(home, "init").returncode == 0
    added = run(home, "shop", "add-pdd", "茶叶店", "--client-id", "c1", "--client-secret", "app-secret",
                "--access-token", "token-1", "--gateway", "http://127.0.0.1:9/api")  # fmt: skip
    assert added.returncode == 0, added.stderr
    return home


def test_init_creates_a_private_home_a_private_database_and_a_random_key_file(home, tmp_path):
    other = tmp_path / "other"
    run(other, "init")

    key = (home / "secret.key").read_text().strip()
    assert len(key) >= 64
    assert key != (other / "secret.key").read_text().strip()
    assert mode(home) == 0o700
    assert mode(home / "secret.key") == 0o600
    assert {p.name: mode(p) for p in home.glob("kuaifa.sqlite3*")} == {
        p.name: 0o600 for p in home.glob("kuaifa.sqlite3*")
    }
    assert (home / "kuaifa.sqlite3").exists()


def test_a_second_init_keeps_the_key(home):
    before = (home / "secret.key").read_text()

    assert run(home, "init").returncode == 0

    assert (home / "secret.key").read_text() == before


def test_without_a_key_nothing_is_sealed_under_a_built_in_one(home):
    (home / "secret.key").unlink()

    result = run(home, "shop", "add-pdd", "另一店", "--client-id", "c", "--client-secret", "s", "--access-token", "t",
                 "--gateway", "http://127.0.0.1:9/api")  # fmt: skip

    assert result.returncode == 1
    assert "[secret_key.missing]" in result.stderr and "kuaifa init" in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(home / "kuaifa.sqlite3") as db:
        assert db.execute("SELECT name FROM kuaifa_shop ORDER BY id").fetchall() == [("茶叶店",)]  # no half shop


def test_rotate_key_reseals_every_credential_under_the_new_key_file(home):
    old_key = (home / "secret.key").read_text().strip()
    old_sealed = sealed_secrets(home)

    result = run(home, "rotate-key")

    assert result.returncode == 0, result.stderr
    new_key = (home / "secret.key").read_text().strip()
    sealed = sealed_secrets(home)
    assert new_key != old_key and sealed != old_sealed
    assert mode(home / "secret.key") == 0o600
    assert not (home / "secret.key.new").exists()
    assert [unseal(s, key=new_key) for s in sealed] == ["app-secret", "token-1"]
    with pytest.raises(SecretUnreadable):
        unseal(sealed[0], key=old_key)


def test_a_credential_sealed_under_another_key_names_its_shop(home):
    before = sealed_secrets(home)

    wrong = run(home, "sync", "--shop", "茶叶店", KUAIFA_SECRET_KEY="not-the-key-it-was-sealed-with")
    rotated = run(home, "rotate-key", KUAIFA_SECRET_KEY="")
    (home / "secret.key").write_text("a-different-key\n")
    refused = run(home, "rotate-key")

    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    assert "[credentials.unreadable]" in wrong.stderr and "茶叶店" in wrong.stderr
    assert rotated.returncode == 0
    assert refused.returncode == 1 and "茶叶店" in refused.stderr
    assert (home / "secret.key").read_text() == "a-different-key\n"  # the refused rotation changed nothing
    assert sealed_secrets(home) != before
