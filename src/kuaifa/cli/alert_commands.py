"""``kuaifa alerts``: the alerts centre — alerts listed, acknowledged, escalated and delivered, the chat-robot
webhooks and the routes that decide who gets what."""

from dataclasses import asdict

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now
from kuaifa.cli.render import show_time
from kuaifa.services.alerts import (
    acknowledge,
    add_route,
    add_webhook,
    delete_route,
    edit_webhook,
    escalate_due,
    list_alerts,
    pause_webhook,
    resume_webhook,
)
from kuaifa.tasks.alerting import deliver_due


@click.group()
def alerts() -> None:
    """Alerts centre: raised once, acknowledged by a person, escalated, posted to the team's chat robots."""


@command("list", alerts)
@click.option("--all", "include_acknowledged", is_flag=True, help="Include acknowledged alerts.")
@click.option("--kind", default=None, help="Only this kind (sla, stock).")
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@json_option
def alerts_list(include_acknowledged, kind, limit, as_json) -> None:
    """Alerts, newest first (unacknowledged only unless --all)."""
    rows = list_alerts(include_acknowledged=include_acknowledged, kind=kind, limit=limit)
    data = [
        {
            "id": r.id,
            "kind": r.kind,
            "severity": r.severity,
            "title": r.title,
            "shop": r.shop,
            "order_sn": r.order_sn,
            "raised_at": r.raised_at,
            "acknowledged_by": r.acknowledged_by,
            "escalated": r.escalated,
            "deliveries": r.deliveries,
        }
        for r in rows
    ]

    def human() -> None:
        for r in rows:
            flags = (_("escalated") + " " if r.escalated else "") + (
                f"✓ {r.acknowledged_by}" if r.acknowledged_by else ""
            )
            click.echo(f"{r.id:>6}  {show_time(r.raised_at)}  {_(r.severity):<4} {r.title}  {flags}".rstrip())
        click.echo(_("%(n)s alert(s).") % {"n": len(rows)})

    emit(as_json, data, human)


@command("ack", alerts)
@click.argument("alert_ids", nargs=-1, type=int, required=True)
@json_option
def alerts_ack(alert_ids, as_json) -> None:
    """Acknowledge alerts: you have seen them; they will not be escalated."""
    changed = acknowledge(alert_ids, actor=actor(), now=now())
    emit(as_json, {"acknowledged": changed}, lambda: click.echo(_("%(n)s alert(s) acknowledged.") % {"n": changed}))


@command("escalate", alerts)
@json_option
def alerts_escalate(as_json) -> None:
    """Escalate alerts nobody acknowledged in time (the worker runs this periodically)."""
    done = escalate_due(actor=actor(), now=now())
    emit(
        as_json,
        {"escalated": [a.id for a in done]},
        lambda: click.echo(_("%(n)s alert(s) escalated.") % {"n": len(done)}),
    )


@command("deliver", alerts)
@json_option
def alerts_deliver(as_json) -> None:
    """Post the alert deliveries that are due to their chat robots (the worker does this periodically)."""
    outcomes = deliver_due()
    emit(
        as_json,
        outcomes,
        lambda: click.echo(", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())) or _("Nothing is due.")),
    )


@alerts.group()
def webhook() -> None:
    """Team chat robots: 企业微信 (wecom), 钉钉 (dingtalk), 飞书 (feishu)."""


@command("add", webhook)
@click.argument("name")
@click.option("--kind", type=click.Choice(["wecom", "dingtalk", "feishu"]), required=True)
@click.option("--url", required=True, help="The robot's webhook URL (企业微信: with its key).")
@click.option("--secret", default="", help="钉钉 加签 / 飞书 签名校验 secret.")
@click.option("--text", "plain_text", is_flag=True, help="Send plain text instead of markdown.")
@json_option
def webhook_add(name, kind, url, secret, plain_text, as_json) -> None:
    """Register a chat robot; alerts reach it through routes (``kuaifa alerts route add``)."""
    hook = add_webhook(name, kind, url, secret=secret, markdown=not plain_text, now=now())
    emit(
        as_json,
        {"id": hook.id, "name": hook.name, "kind": hook.kind},
        lambda: click.echo(_("Webhook %(name)s added.") % {"name": hook.name}),
    )


@alerts.group()
def route() -> None:
    """Who gets what: a role's alerts (by shop, kind, severity) go to a webhook."""


@command("add", route)
@click.argument("role")
@click.argument("webhook_name")
@click.option("--shop", "shop_name", default=None, help="Only this shop's alerts (default: every shop).")
@click.option("--kind", "kinds", multiple=True, help="Only these kinds (repeatable; default: all).")
@click.option("--min-severity", type=click.Choice(["info", "warning", "critical"]), default="info", show_default=True)
@click.option("--on-escalation", is_flag=True, help="Only alerts nobody acknowledged in time.")
@json_option
def route_add(role, webhook_name, shop_name, kinds, min_severity, on_escalation, as_json) -> None:
    """Send a role's alerts to a webhook."""
    r = add_route(
        role,
        webhook_name,
        shop_name=shop_name,
        kinds=kinds,
        min_severity=min_severity,
        on_escalation=on_escalation,
        now=now(),
    )
    emit(
        as_json,
        {"id": r.id, "role": role, "webhook": webhook_name},
        lambda: click.echo(_("Route %(id)s added.") % {"id": r.id}),
    )


@command("edit", webhook)
@click.argument("name")
@click.option("--name", "new_name", default=None, help="A new name.")
@click.option("--kind", type=click.Choice(["wecom", "dingtalk", "feishu"]), default=None)
@click.option("--url", default=None, help="A new webhook URL.")
@click.option("--secret", default=None, help="A new signing secret.")
@click.option("--clear-secret", is_flag=True, help="Remove the signing secret.")
@click.option("--text/--markdown", "plain_text", default=None, help="Send plain text, or markdown.")
@json_option
def webhook_edit(name, new_name, kind, url, secret, clear_secret, plain_text, as_json) -> None:
    """Change a chat robot; what is not given stays as it is."""
    hook = edit_webhook(
        name,
        new_name=new_name,
        kind=kind,
        url=url,
        secret="" if clear_secret else secret,
        markdown=None if plain_text is None else not plain_text,
        actor=actor(),
        now=now(),
    )
    emit(
        as_json,
        {"id": hook.id, "name": hook.name, "kind": hook.kind, "active": hook.active},
        lambda: click.echo(_("Webhook %(name)s changed.") % {"name": hook.name}),
    )


@command("pause", webhook)
@click.argument("name")
@json_option
def webhook_pause(name, as_json) -> None:
    """Stop posting to a robot; alerts routed to it meanwhile are held for it (see resume)."""
    state = pause_webhook(name, actor=actor(), now=now())
    text = _("Webhook %(name)s paused: alerts for it are held (%(n)s now).") % {"name": state.name, "n": state.held}
    emit(as_json, asdict(state), lambda: click.echo(text))


@command("resume", webhook)
@click.argument("name")
@click.option("--discard-held", is_flag=True, help="Do not send what was held while paused (kept as failed).")
@json_option
def webhook_resume(name, discard_held, as_json) -> None:
    """Post to a robot again: what it held is sent, oldest first (or discarded with --discard-held)."""
    state = resume_webhook(name, actor=actor(), now=now(), discard_held=discard_held)
    emit(
        as_json,
        asdict(state),
        lambda: click.echo(
            _("Webhook %(name)s resumed: %(held)s held alert(s) to send, %(discarded)s discarded.")
            % {"name": state.name, "held": state.held, "discarded": state.discarded}
        ),
    )


@command("delete", route)
@click.argument("route_id", type=int)
@json_option
def route_delete(route_id, as_json) -> None:
    """Remove a route; what its webhook is already owed stays owed."""
    delete_route(route_id, actor=actor(), now=now())
    emit(as_json, {"deleted": route_id}, lambda: click.echo(_("Route %(id)s deleted.") % {"id": route_id}))
