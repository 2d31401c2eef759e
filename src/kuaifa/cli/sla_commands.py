"""Subcommands of SLA watching: the at-risk queue in the suggested dispatch order, the alert sweep, dispatch
waves and the shop's SLA policy."""

from datetime import timedelta

import click
from django.utils.translation import gettext as _

from kuaifa.cli.context import actor, command, emit, json_option, now, shop_id_of
from kuaifa.cli.render import money, show_time
from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.shared.errors import Text
from kuaifa.services.errors import InvalidInput
from kuaifa.services.sla import at_risk_queue, create_dispatch_waves, set_policy, sweep


def _left(delta: timedelta | None) -> str:
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60}h{minutes % 60:02d}m"


def _apart_json(w) -> dict:
    return {
        "order_sn": w.order_sn,
        "shop": w.shop,
        "status": w.status,
        "reason": w.assessment.set_apart.value,
        "ship_by": w.assessment.order.ship_by,
    }


@click.group(invoke_without_command=True)
@click.option("--capacity", type=float, default=100.0, show_default=True, help="Packing capacity, parcels per hour.")
@click.option("--shop", "shop_name", default=None, help="Only this shop.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Rows to print.")
@json_option
@click.pass_context
def sla(ctx, capacity, shop_name, limit, as_json) -> None:
    """At-risk queue: orders to pack in the order that ships the most on time at this capacity."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(sla_queue, capacity=capacity, shop_name=shop_name, limit=limit, as_json=as_json)


@command("queue", sla)
@click.option("--capacity", type=float, default=100.0, show_default=True, help="Packing capacity, parcels per hour.")
@click.option("--shop", "shop_name", default=None, help="Only this shop.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Rows to print.")
@json_option
def sla_queue(capacity, shop_name, limit, as_json) -> None:
    """At-risk queue (the same as plain ``kuaifa sla``)."""
    queue = at_risk_queue(capacity_per_hour=capacity, now=now(), shop_id=shop_id_of(shop_name))
    data = {
        "capacity_per_hour": capacity,
        "late": queue.late,
        "late_if_earliest_deadline_first": queue.late_edd,
        "late_if_fifo": queue.late_fifo,
        "penalty_at_stake_fen": queue.penalty_at_stake_fen,
        "penalty_note": queue.penalty_note,
        "queue": [
            {
                "position": e.position,
                "order_sn": e.watched.order_sn,
                "shop": e.watched.shop,
                "status": e.watched.status,
                "ship_by": e.watched.assessment.order.ship_by,
                "time_left_minutes": _minutes(e.watched.assessment.time_left),
                "risk": e.watched.assessment.risk.value,
                "finish": e.finish,
                "saved": e.saved,
                "penalty_fen": e.watched.assessment.penalty_fen,
            }
            for e in queue.entries[:limit]
        ],
        "set_apart": [_apart_json(w) for w in queue.set_apart],
    }

    def human() -> None:
        click.echo(
            _(
                "%(n)s order(s) to pack at %(capacity)s parcels/hour: %(late)s would ship late in this order "
                "(earliest deadline first: %(edd)s, first in first out: %(fifo)s)."
            )
            % {
                "n": len(queue.entries),
                "capacity": f"{capacity:g}",
                "late": queue.late,
                "edd": queue.late_edd,
                "fifo": queue.late_fifo,
            }
        )
        for e in queue.entries[:limit]:
            a = e.watched.assessment
            verdict = _("on time") if e.saved else _("late")
            click.echo(
                f"{e.position:>4}  {e.watched.order_sn:<24} {show_time(a.order.ship_by)}  "
                f"{_left(a.time_left):>9}  {_(a.risk.value):<8} {verdict:<6} {money(a.penalty_fen)}"
            )
        click.echo(
            _(
                "Penalty at stake for the late ones: %(amount)s — an estimate from the shop's policy; the "
                "platform does not publish its late-shipment formula."
            )
            % {"amount": money(queue.penalty_at_stake_fen)}
        )
        for w in queue.set_apart:
            click.echo(
                _("Set apart (%(reason)s, not alarmed): %(order_sn)s")
                % {"reason": _(w.assessment.set_apart.value), "order_sn": w.order_sn}
            )

    emit(as_json, data, human)


def _minutes(delta: timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds() // 60)


@command("sweep", sla)
@json_option
def sla_sweep(as_json) -> None:
    """Raise each crossed deadline threshold once per open order (the worker runs this periodically)."""
    report = sweep(actor=actor(), now=now())
    data = {
        "watched": report.watched,
        "raised": report.raised,
        "by_risk": report.at_risk,
        "set_apart": [_apart_json(w) for w in report.set_apart],
    }

    def human() -> None:
        click.echo(_("%(watched)s open order(s) checked, %(raised)s new alert(s).") % data)
        for risk, count in sorted(report.at_risk.items()):
            click.echo(f"  {_(risk)}: {count}")
        for w in report.set_apart:
            click.echo(
                _("Set apart (%(reason)s, not alarmed): %(order_sn)s")
                % {"reason": _(w.assessment.set_apart.value), "order_sn": w.order_sn}
            )

    emit(as_json, data, human)


@command("waves", sla)
@click.option("--capacity", type=float, default=100.0, show_default=True, help="Packing capacity, parcels per hour.")
@click.option("--horizon-hours", type=click.FloatRange(0), default=24, show_default=True)
@click.option("--max-orders", type=click.IntRange(1, 100_000), default=200, show_default=True)
@json_option
def sla_waves(capacity, horizon_hours, max_orders, as_json) -> None:
    """Wave accepted orders in the suggested dispatch order: the ones that can still be saved first."""
    rule = WaveRule(horizon=timedelta(hours=horizon_hours), max_orders=max_orders)
    created = create_dispatch_waves(rule, capacity_per_hour=capacity, actor=actor(), now=now())
    data = [{"code": w.code} for w in created]

    def human() -> None:
        for w in created:
            click.echo(_("Wave %(code)s created.") % {"code": w.code})
        click.echo(_("%(n)s wave(s) created.") % {"n": len(data)} if data else _("No order is due for a wave."))

    emit(as_json, data, human)


@command("policy", sla)
@click.argument("shop_name")
@click.option("--thresholds", default=None, help="Minutes before ship-by, comma-separated; 0 = overdue.")
@click.option("--penalty-percent", type=click.FloatRange(0, 100), default=None)
@click.option("--penalty-min", type=click.FloatRange(0), default=None, help="Floor, yuan.")
@click.option("--penalty-max", type=click.FloatRange(0), default=None, help="Cap, yuan.")
@click.option("--escalate-after", type=click.IntRange(1), default=None, help="Minutes an alert may wait.")
@json_option
def sla_policy(shop_name, thresholds, penalty_percent, penalty_min, penalty_max, escalate_after, as_json) -> None:
    """Set a shop's alert thresholds, late-shipment penalty estimate and escalation wait."""
    marks = None
    if thresholds is not None:
        try:
            marks = [int(part) for part in thresholds.split(",") if part.strip()]
        except ValueError:
            raise InvalidInput(
                field="--thresholds",
                reason=Text("%(thresholds)r: whole minutes, e.g. 1440,360,60,0", thresholds=thresholds),
            ) from None
    row = set_policy(
        shop_name,
        marks_minutes=marks,
        penalty_basis_points=None if penalty_percent is None else round(penalty_percent * 100),
        penalty_min_fen=None if penalty_min is None else round(penalty_min * 100),
        penalty_max_fen=None if penalty_max is None else round(penalty_max * 100),
        escalate_after_minutes=escalate_after,
        now=now(),
    )
    data = {
        "shop": shop_name,
        "thresholds_minutes": row.marks_minutes,
        "penalty_basis_points": row.penalty_basis_points,
        "penalty_min_fen": row.penalty_min_fen,
        "penalty_max_fen": row.penalty_max_fen,
        "escalate_after_minutes": row.escalate_after_minutes,
    }
    emit(as_json, data, lambda: click.echo(_("SLA policy of %(shop)s saved.") % data))
