"""What every command shares: the clock, the person at the terminal, output, the ``command`` decorator with its
range checks, and the look-ups of a shop or an order named on the command line.

A command reads inputs, calls one service (or reads through ``persistence.queries*``) and prints what happened;
it never writes a model itself.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from django.utils.translation import gettext as _

from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.queries import order_by_sn, shop_by_name
from kuaifa.persistence.queries_edges import connected_shops
from kuaifa.services.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from kuaifa.persistence.models import Order, Shop

#: the range of the database's integer columns: a larger number on the command line is refused by name
INT_RANGE = (-(2**31), 2**31 - 1)


def now() -> datetime:
    """The one clock read of the CLI; ``KUAIFA_NOW`` (ISO 8601) pins it for demos and tests."""
    pinned = os.environ.get("KUAIFA_NOW")
    if not pinned:
        return datetime.now(UTC)
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


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def check_ranges(params: dict, names: dict[str, str]) -> None:
    """Refuse, by the option's name, an integer the database cannot store."""
    low, high = INT_RANGE
    for name, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if isinstance(v, int) and not isinstance(v, bool) and not low <= v <= high:
                reason = _("%(value)s is out of range (%(low)s to %(high)s)") % {"value": v, "low": low, "high": high}
                raise InvalidInput(field=names.get(name, name), reason=reason)


def command(name: str, group: click.Group | None = None, **kwargs):
    """A command (of ``group``, or on its own for the top group's table): integers range-checked by name; a negative
    number is an argument, not an option.

    Refusals are turned into a message and exit code 1 by the ``kuaifa`` group (``cli/root.py``).
    """

    def wrap(fn):
        params = getattr(fn, "__click_params__", [])
        names = {p.name: p.opts[0] if isinstance(p, click.Option) else p.human_readable_name for p in params}
        if any(isinstance(p, click.Argument) and p.type is click.INT for p in params):
            kwargs.setdefault("context_settings", {})["ignore_unknown_options"] = True  # `stock adjust SKU -5`

        @functools.wraps(fn)
        def run(*a, **kw):
            check_ranges(kw, names)
            return fn(*a, **kw)

        return (group.command if group is not None else click.command)(name, **kwargs)(run)

    return wrap


def shop_named(name: str) -> Shop:
    shop = shop_by_name(name)
    if shop is None:
        raise NotFound(kind="shop", key=name)
    return shop


def shop_id_of(name: str | None) -> int | None:
    """The id of the shop a ``--shop`` option names; None (every shop) when it names none."""
    return shop_named(name).id if name else None


def order_named(order_sn: str, shop_name: str | None) -> Order:
    """The order with this number; ``--shop`` decides when several shops have one."""
    found = order_by_sn(order_sn, shop_id_of(shop_name))
    if not found:
        raise NotFound(kind="order", key=order_sn)
    if len(found) > 1:
        raise InvalidInput(
            field="--shop", reason=Text("%(order_sn)s exists in several shops; name the shop", order_sn=order_sn)
        )
    return found[0]


def platform_shops(shop_name: str | None) -> list[Shop]:
    """The shop named, or every shop with platform credentials."""
    return [shop_named(shop_name)] if shop_name else connected_shops()


def print_problems(problems, file: Path) -> None:
    click.secho(
        _("%(file)s was not imported: %(n)s problem(s). Fix them, or use --skip-invalid.")
        % {"file": file.name, "n": len(problems)},
        fg="red",
        err=True,
    )
    for p in problems:
        click.echo(_("row %(row)s, column %(column)s, value %(value)r: %(reason)s") % asdict(p), err=True)


def refuse_if_problems(problems, file: Path, as_json: bool) -> None:
    """A sheet with any problem imports nothing: name every row, column and value, and exit 1."""
    if problems:
        emit(
            as_json,
            {"imported": False, "problems": [asdict(p) for p in problems]},
            lambda: print_problems(problems, file),
        )
        raise SystemExit(1)
