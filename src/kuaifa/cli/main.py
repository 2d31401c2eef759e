"""The ``kuaifa`` command. Human output by default, ``--json`` for programs, non-zero exit on failure.

It chooses the concrete inputs (files, the clock) and hands them to services; it reads through
``persistence.queries`` and never writes a model itself. Every way a command can be refused — a business rule, a
bad setting, a database that is missing, full or unreachable, a file that cannot be read or written — becomes one
sentence naming what to fix (see ``cli/failures.py``), never a traceback.
"""

import functools
import json
import os
from datetime import UTC, datetime

import click
import django

from kuaifa.domain.shared.actor import Actor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")

#: the range of the database's integer columns: a larger number on the command line is refused by name
INT_RANGE = (-(2**31), 2**31 - 1)


def now() -> datetime:
    """The one clock read of the CLI; ``KUAIFA_NOW`` (ISO 8601) pins it for demos and tests."""
    pinned = os.environ.get("KUAIFA_NOW")
    if not pinned:
        return datetime.now(UTC)
    from django.utils.translation import gettext as _

    from kuaifa.services.errors import InvalidInput

    try:
        moment = datetime.fromisoformat(pinned)
    except ValueError:
        raise InvalidInput(
            field="KUAIFA_NOW", reason=_("%(value)r is not an ISO 8601 time") % {"value": pinned}
        ) from None
    if moment.tzinfo is None:
        raise InvalidInput(
            field="KUAIFA_NOW", reason=_("%(value)r has no UTC offset (e.g. +08:00)") % {"value": pinned}
        )
    return moment.astimezone(UTC)


def actor() -> Actor:
    """The person at the command line, by their operating-system account."""
    return Actor.cli(os.environ.get("USER") or "local")


def emit(as_json: bool, data, human) -> None:
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        human()


def _check_ranges(params: dict, names: dict[str, str]) -> None:
    from kuaifa.services.errors import InvalidInput

    for name, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if isinstance(v, int) and not isinstance(v, bool) and not INT_RANGE[0] <= v <= INT_RANGE[1]:
                from django.utils.translation import gettext as _

                low, high = INT_RANGE
                reason = _("%(value)s is out of range (%(low)s to %(high)s)") % {"value": v, "low": low, "high": high}
                raise InvalidInput(field=names.get(name, name), reason=reason)


def command(group, *args, **kwargs):
    """A subcommand: integers range-checked by name; a negative number is an argument, not an option.

    Refusals are turned into a message and exit code 1 by the ``kuaifa`` group (:class:`KuaifaGroup`).
    """

    def wrap(fn):
        params = getattr(fn, "__click_params__", [])
        names = {p.name: p.opts[0] if isinstance(p, click.Option) else p.human_readable_name for p in params}
        if any(isinstance(p, click.Argument) and p.type is click.INT for p in params):
            kwargs.setdefault("context_settings", {})["ignore_unknown_options"] = True  # `stock adjust SKU -5`

        @functools.wraps(fn)
        def run(*a, **kw):
            _check_ranges(kw, names)
            return fn(*a, **kw)

        return group.command(*args, **kwargs)(run)

    return wrap


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


class KuaifaGroup(click.Group):
    """The top group: whatever a command is refused for is reported as a sentence (or JSON) and exit code 1."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["kuaifa.json"] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        as_json = ctx.meta.get("kuaifa.json", False)
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except Exception as error:
            from kuaifa.cli.failures import explain

            explained = explain(error)
            if explained is None:
                raise
            code, message = explained
            if as_json:
                click.echo(json.dumps({"error": code, "message": message}, ensure_ascii=False))
            else:
                from kuaifa.cli.failures import translate

                click.secho(f"{translate('Error')} [{code}]: {message}", fg="red", err=True)
            ctx.exit(1)


@click.group(cls=KuaifaGroup)
@click.version_option(package_name="kuaifa")
def cli() -> None:
    """Kuaifa (快发): order processing for Pinduoduo merchants."""
    django.setup()
    from django.conf import settings
    from django.utils import translation

    translation.activate(os.environ.get("KUAIFA_LANG", "zh-hans"))
    if settings.KUAIFA_CONFIG_ERROR:
        from kuaifa.cli.failures import ConfigError

        raise ConfigError(**settings.KUAIFA_CONFIG_ERROR)


import kuaifa.cli.alert_commands  # noqa: E402,F401 (registers alerts, stock-alerts, sla, reply)
from kuaifa.cli import (  # noqa: E402,F401 (registers them)
    aftersales_commands,
    commands,
    complaint_commands,
    floor_commands,
    fulfilment_commands,
    platform_commands,
    quarantine_commands,
    setup_commands,
    timeliness_commands,
    waybill_commands,
)

from kuaifa.cli import web_commands  # noqa: E402,F401  # isort: skip
from kuaifa.cli import backup_commands  # noqa: E402,F401  # isort: skip


def main() -> None:
    cli()
