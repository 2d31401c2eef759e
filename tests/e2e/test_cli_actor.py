"""The command line records who acted as the person at the terminal, in the audit columns' stored form."""

import pytest
from click.testing import CliRunner

from kuaifa.cli.main import cli
from kuaifa.persistence.models import StockMove
from tests.e2e.test_cli import FIXTURES

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args: str) -> None:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_a_change_made_at_the_command_line_is_recorded_as_that_account(monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", "2024-06-26T12:00:00+08:00")
    monkeypatch.setenv("USER", "li")
    _run("init")
    _run("import-skus", FIXTURES / "skus.csv")

    _run("stock", "receive", "TEA-001", "3", "--create-warehouse")

    assert list(StockMove.objects.values_list("quantity", "actor")) == [(3, "cli:li")]


def test_an_account_that_cannot_be_stored_is_refused_before_anything_changes(monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", "2024-06-26T12:00:00+08:00")
    _run("init")
    _run("import-skus", FIXTURES / "skus.csv")
    monkeypatch.setenv("USER", "x" * 70)

    result = CliRunner().invoke(cli, ["stock", "receive", "TEA-001", "3", "--create-warehouse"])

    assert result.exit_code == 1
    assert "[actor.invalid]" in result.output and "保存后超过 64 个字符" in result.output
    assert not StockMove.objects.exists()
