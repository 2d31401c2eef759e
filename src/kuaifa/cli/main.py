"""The ``kuaifa`` command. Human output by default, ``--json`` for programs, non-zero exit on failure.

It chooses the concrete inputs (files, the clock) and hands them to services; it reads through
``persistence.queries`` and never writes a model itself.
"""

import functools
import json
import os
import sys
from datetime import UTC, datetime

import click
import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")


def now() -> datetime:
    """The one clock read of the CLI; ``KUAIFA_NOW`` (ISO 8601) pins it for demos and tests."""
    pinned = os.environ.get("KUAIFA_NOW")
    return datetime.fromisoformat(pinned).astimezone(UTC) if pinned else datetime.now(UTC)


def actor() -> str:
    return f"cli:{os.environ.get('USER') or 'local'}"


def emit(as_json: bool, data, human) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        human()


def command(group, *args, **kwargs):
    """A subcommand that sets Django up and turns refusals into a clear message and exit code 1."""

    def wrap(fn):
        @functools.wraps(fn)
        def run(*a, **kw):
            from kuaifa.domain.shared.errors import DomainError

            try:
                return fn(*a, **kw)
            except DomainError as err:
                from django.utils.translation import gettext

                message = gettext(err.template) % err.params if err.params else gettext(err.template)
                if kw.get("as_json"):
                    click.echo(json.dumps({"error": err.code, "message": message}, ensure_ascii=False))
                else:
                    click.secho(f"{gettext('Error')} [{err.code}]: {message}", fg="red", err=True)
                sys.exit(1)

        return group.command(*args, **kwargs)(run)

    return wrap


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group()
@click.version_option(package_name="kuaifa")
def cli() -> None:
    """Kuaifa (快发): order processing for Pinduoduo merchants."""
    django.setup()
    from django.utils import translation

    translation.activate(os.environ.get("KUAIFA_LANG", "zh-hans"))


from kuaifa.cli import commands, fulfilment_commands, platform_commands, waybill_commands  # noqa: E402,F401 (registers them)

from kuaifa.cli import web_commands  # noqa: E402,F401  # isort: skip


def main() -> None:
    cli()
