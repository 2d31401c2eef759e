"""The ``kuaifa`` group: its commands are loaded from their modules on first use, and whatever a command is refused
for is reported as one sentence (or JSON) and exit code 1, never a traceback."""

import gc
import importlib
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import click
from django.conf import settings
from django.utils import translation


class KuaifaGroup(click.Group):
    """The top group. Its commands come from a table ``name → ("module:attribute", short help)`` (click's lazy
    group pattern): only the module of the command invoked is imported, after ``prepare(name)`` (Django's set-up
    for that command) ran, and ``kuaifa --help`` lists every command from the table without importing any."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands: Mapping[str, tuple[str, str]] = {}
        self.prepare: Callable[[str], None] = lambda _name: None

    def register(self, commands: Mapping[str, tuple[str, str]], *, prepare: Callable[[str], None]) -> None:
        self.lazy_commands = commands
        self.prepare = prepare

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy_commands:
            return super().get_command(ctx, cmd_name)
        self.prepare(cmd_name)
        module, _sep, attribute = self.lazy_commands[cmd_name][0].partition(":")
        found: click.Command = getattr(importlib.import_module(module), attribute)
        self.add_command(found, cmd_name)
        return found

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Every command with its short help, as click lays it out, from the table: no command module is imported."""
        listed = {name: click.Command(name, help=text) for name, (_where, text) in self.lazy_commands.items()}
        click.Group(commands={**listed, **self.commands}).format_commands(ctx, formatter)

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
            # the failure sentences (and what they recognise: files, the database, the secret key) load on failure only
            from kuaifa.cli.failures import explain, translate

            explained = explain(error)
            if explained is None:
                raise
            code, message = explained
            if as_json:
                click.echo(json.dumps({"error": code, "message": message}, ensure_ascii=False))
            else:
                click.secho(f"{translate('Error')} [{code}]: {message}", fg="red", err=True)
            ctx.exit(1)


@click.group(cls=KuaifaGroup)
@click.version_option(package_name="kuaifa")
def cli() -> None:
    """Kuaifa (快发): order processing for Pinduoduo merchants."""
    # off for start-up (kuaifa.cli.main.main): what start-up built is kept, not walked again; how often it then runs:
    # persistence.apps.collect_garbage_less_often
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
    translation.activate(os.environ.get("KUAIFA_LANG", "zh-hans"))
    if settings.KUAIFA_CONFIG_ERROR:
        from kuaifa.cli.failures import ConfigError  # on failure only, as above

        raise ConfigError(**settings.KUAIFA_CONFIG_ERROR)
