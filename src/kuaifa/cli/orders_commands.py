"""Orders: review them, list them, explain one, hold / release / cancel, enter a manual order or a reissue.

Each command imports the services it calls when it runs: ``kuaifa orders`` (a read, typed often) then starts
without review, intake and allocation (docs/performance.md, "Start-up").
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now, order_named, shop_id_of, shop_named
from kuaifa.cli.render import money, show_time, table
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.queries import orders as list_orders
from kuaifa.services.errors import InvalidInput

if TYPE_CHECKING:
    from kuaifa.services.orders import ManualLine

STATUSES = ["NEW", "ON_HOLD", "ACCEPTED", "PICKING", "PACKED", "SHIPPED", "DELIVERED", "COMPLETED", "CANCELLED"]


@command("review")
@click.option("--shop", "shop_name", default=None, help="Only this shop.")
@json_option
def review(shop_name: str | None, as_json: bool) -> None:
    """Review and allocate every new order, and retry orders held for stock or mapping (earliest deadline first)."""
    from kuaifa.services.review import candidate_ids, review_orders  # when the command runs: see the module docstring

    shop_id = shop_id_of(shop_name)
    total = len(candidate_ids(shop_id=shop_id))
    show_bar = not as_json and sys.stdout.isatty() and total > 2000
    if show_bar:
        with click.progressbar(length=total, label=_("Reviewing")) as bar:
            report = review_orders(actor=actor(), now=now(), shop_id=shop_id, progress=bar.update)
    else:
        report = review_orders(actor=actor(), now=now(), shop_id=shop_id)
    data = {
        "reviewed": report.reviewed,
        "accepted": report.accepted,
        "held": report.held,
        "hold_reasons": dict(report.reasons),
    }

    def human() -> None:
        click.echo(_("%(reviewed)s reviewed: %(accepted)s accepted, %(held)s held.") % data)
        for reason, count in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
            click.echo(f"  {_(reason)}: {count}")

    emit(as_json, data, human)


@command("orders")
@click.option("--status", type=click.Choice(STATUSES), default=None)
@click.option("--shop", "shop_name", default=None)
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@json_option
def orders(status: str | None, shop_name: str | None, limit: int, as_json: bool) -> None:
    """Orders, most urgent deadline first."""
    rows = list_orders(status=status, shop_id=shop_id_of(shop_name), limit=limit)

    def human() -> None:
        cells = [
            [
                r.order_sn,
                _(r.status),
                show_time(r.ship_by),
                money(r.pay_amount),
                f"{r.province} {r.receiver_name_mask} {','.join(_(x) for x in r.hold_reasons)}",
            ]
            for r in rows
        ]
        if cells:
            click.echo("\n".join(table(["", "", "", "", ""], cells, "<<<><")[1:]))
        click.echo(_("%(n)s order(s).") % {"n": len(rows)})

    emit(as_json, [asdict(r) for r in rows], human)


@command("explain")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@json_option
def explain(order_sn: str, shop_name: str | None, as_json: bool) -> None:
    """Why this order is where it is: rules, stock per line, deadline, history."""
    from kuaifa.cli.render import explanation_lines  # when the command runs: see the module docstring
    from kuaifa.services.explain import explain_order  # when the command runs: see the module docstring

    found = explain_order(order_named(order_sn, shop_name), now=now())
    data = {
        "order_sn": found.order.order_sn,
        "status": found.order.status,
        "hold_reasons": found.order.hold_reasons,
        "ship_by": found.order.ship_by,
        "risk": found.risk,
        "rules": [
            {"rule": v.code, "enabled": v.enabled, "mandatory": v.mandatory, "passed": v.passed, "detail": v.detail}
            for v in found.verdicts
        ],
        "lines": [asdict(x) for x in found.lines],
        "events": [
            {
                "at": e.created_at,
                "kind": e.kind,
                "from": e.from_status,
                "to": e.to_status,
                "actor": e.actor,
                "details": e.details,
            }
            for e in found.events
        ],
    }
    emit(as_json, data, lambda: click.echo("\n".join(explanation_lines(found))))


def order_action(fn):
    """The options of hold, release and cancel: the order, its shop, a note."""
    for option in reversed(
        [
            click.argument("order_sn"),
            click.option("--shop", "shop_name", default=None),
            click.option("--note", default=""),
            json_option,
        ]
    ):
        fn = option(fn)
    return fn


def done(action: str, order_sn: str, as_json: bool) -> None:
    emit(
        as_json,
        {"order_sn": order_sn, "done": action},
        lambda: click.echo(_("%(order_sn)s: %(done)s") % {"order_sn": order_sn, "done": _(action)}),
    )


@command("hold")
@order_action
def hold(order_sn: str, shop_name: str | None, note: str, as_json: bool) -> None:
    """Hold an order (拦截); its reserved stock goes back to the pool."""
    from kuaifa.services.orders import hold_order  # when the command runs: see the module docstring

    hold_order(order_named(order_sn, shop_name).id, actor=actor(), now=now(), note=note)
    done("hold", order_sn, as_json)


@command("release")
@order_action
def release(order_sn: str, shop_name: str | None, note: str, as_json: bool) -> None:
    """Release a held order back to review; the rules that held it are waived."""
    from kuaifa.services.orders import release_order  # when the command runs: see the module docstring

    release_order(order_named(order_sn, shop_name).id, actor=actor(), now=now())
    done("release", order_sn, as_json)


@command("cancel")
@order_action
def cancel(order_sn: str, shop_name: str | None, note: str, as_json: bool) -> None:
    """Cancel an order before shipping; its reservations are released."""
    from kuaifa.services.orders import cancel_order  # when the command runs: see the module docstring

    cancel_order(order_named(order_sn, shop_name).id, actor=actor(), now=now(), note=note)
    done("cancel", order_sn, as_json)


def parse_items(values: tuple[str, ...], *, with_price: bool) -> list[ManualLine]:
    """``CODE*QTY`` or ``CODE*QTY@PRICE`` (price in yuan) → ManualLine."""
    from kuaifa.domain.shared.money import yuan_to_fen  # when the command runs: see the module docstring
    from kuaifa.services.orders import ManualLine  # when the command runs: see the module docstring

    lines = []
    for number, text in enumerate(values, start=1):
        code, _sep, rest = text.partition("*")
        qty_text, _sep, price_text = rest.partition("@")
        if not code or not qty_text.isdigit() or (price_text and not with_price):
            raise InvalidInput(
                field=f"--item {number}",
                reason=Text("%(text)r: expected CODE*QTY%(price)s", text=text, price="[@PRICE]" if with_price else ""),
            )
        lines.append(ManualLine(code.strip(), int(qty_text), yuan_to_fen(price_text) if price_text else 0))
    return lines


@command("order-add")
@click.option("--shop", "shop_name", required=True)
@click.option("--item", "items", multiple=True, required=True, help="CODE*QTY@PRICE, e.g. TEA-001*2@19.90")
@click.option("--name", required=True, help="Receiver name.")
@click.option("--phone", required=True)
@click.option("--province", required=True)
@click.option("--city", required=True)
@click.option("--town", default="")
@click.option("--address", required=True, help="Street address without province/city/district.")
@click.option("--order-sn", default="", help="Defaults to M + date and time.")
@click.option("--memo", default="", help="Buyer memo.")
@json_option
def order_add(shop_name, items, name, phone, province, city, town, address, order_sn, memo, as_json) -> None:
    """Enter a manual order (手工单: phone, WeChat, wholesale); it is reviewed like any platform order."""
    from kuaifa.domain.orders.canonical import Receiver  # when the command runs: see the module docstring
    from kuaifa.services.orders import create_manual_order  # when the command runs: see the module docstring

    receiver = Receiver(province=province, city=city, town=town, name=name, phone=phone, address=address)
    order = create_manual_order(
        shop_named(shop_name),
        parse_items(items, with_price=True),
        receiver,
        order_sn=order_sn,
        buyer_memo=memo,
        actor=actor(),
        now=now(),
    )
    emit(
        as_json,
        {"order_sn": order.order_sn, "status": order.status},
        lambda: click.echo(_("Manual order %(sn)s created.") % {"sn": order.order_sn}),
    )


@command("reissue")
@click.argument("order_sn")
@click.option("--shop", "shop_name", default=None)
@click.option("--item", "items", multiple=True, help="CODE*QTY to send; default: every line of the original.")
@click.option("--note", default="")
@json_option
def reissue(order_sn, shop_name, items, note, as_json) -> None:
    """Send goods again for an order (补发单), free of charge; reviewed and reserved like any order."""
    from kuaifa.services.orders import create_reissue_order  # when the command runs: see the module docstring

    original = order_named(order_sn, shop_name)
    lines = parse_items(items, with_price=False) if items else None
    order = create_reissue_order(original.id, lines=lines, note=note, actor=actor(), now=now())
    emit(
        as_json,
        {"order_sn": order.order_sn, "reissue_of": order_sn},
        lambda: click.echo(_("Reissue %(sn)s created for %(orig)s.") % {"sn": order.order_sn, "orig": order_sn}),
    )
