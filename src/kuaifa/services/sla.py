"""SLA: the sweep that raises deadline alerts, the at-risk queue in the order that saves the most, and waves cut
in that order.

``sweep`` assesses every order not yet shipped (``domain.sla.alerts``) and raises one alert per order and crossed
threshold through the alerts centre (keys ``sla:<mark>:<order id>``, so sweeping again raises nothing new).
Orders under the platform's risk review or ship hold are reported apart and never alarmed.

``at_risk_queue`` lists the orders still to pack (accepted or picking) in the suggested dispatch order for the
packing capacity the merchant enters (``domain.sla.dispatch``: fewest late shipments), each with its time left,
risk, whether this sequence still saves it, and the penalty at stake — an estimate from the shop's own policy,
because the platform does not publish its late-shipment compensation formula.

``create_dispatch_waves`` waves the accepted orders the plan saves first, then the ones it cannot save.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.domain.sla import dispatch
from kuaifa.domain.sla.alerts import DEFAULT_MARKS, Assessment, OpenOrder, PenaltyPolicy, SlaPolicy, assess
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.models import Order, Shop, ShopSlaPolicy, Wave
from kuaifa.services import alerts, waves
from kuaifa.services.errors import InvalidInput, NotFound

#: orders not yet handed to a carrier: the sweep watches them
OPEN = (OrderStatus.NEW, OrderStatus.ON_HOLD, OrderStatus.ACCEPTED, OrderStatus.PICKING, OrderStatus.PACKED)
#: orders the packing line can work on now
TO_PACK = (OrderStatus.ACCEPTED, OrderStatus.PICKING)
PENALTY_NOTE = "estimate from the shop's policy; the platform does not publish its late-shipment formula"


def policies() -> dict[int, SlaPolicy]:
    """Each shop's SLA policy (shops without a stored one use the defaults)."""
    out: dict[int, SlaPolicy] = {}
    for row in ShopSlaPolicy.objects.all():
        marks = tuple(timedelta(minutes=m) for m in row.marks_minutes) or DEFAULT_MARKS
        out[row.shop_id] = SlaPolicy(
            marks, PenaltyPolicy(row.penalty_basis_points, row.penalty_min_fen, row.penalty_max_fen)
        )
    return out


@transaction.atomic(durable=True)
def set_policy(
    shop_name: str,
    *,
    marks_minutes: list[int] | None = None,
    penalty_basis_points: int | None = None,
    penalty_min_fen: int | None = None,
    penalty_max_fen: int | None = None,
    escalate_after_minutes: int | None = None,
    now: datetime,
) -> ShopSlaPolicy:
    """Change a shop's alert thresholds, penalty estimate or escalation wait; unnamed settings keep their value."""
    shop = Shop.objects.filter(name=shop_name).first()
    if shop is None:
        raise NotFound(kind="shop", key=shop_name)
    row = ShopSlaPolicy.objects.filter(shop=shop).first() or ShopSlaPolicy(
        shop=shop, marks_minutes=[int(m.total_seconds() // 60) for m in DEFAULT_MARKS], updated_at=now
    )
    if marks_minutes is not None:
        row.marks_minutes = sorted(set(marks_minutes), reverse=True)
    if penalty_basis_points is not None:
        row.penalty_basis_points = penalty_basis_points
    if penalty_min_fen is not None:
        row.penalty_min_fen = penalty_min_fen
    if penalty_max_fen is not None:
        row.penalty_max_fen = penalty_max_fen
    if escalate_after_minutes is not None:
        if escalate_after_minutes < 1:
            raise InvalidInput(field="escalate_after_minutes", reason=Text("must be at least 1 minute"))
        row.escalate_after_minutes = escalate_after_minutes
    # the domain refuses a bad policy before anything is saved
    SlaPolicy(
        tuple(timedelta(minutes=m) for m in row.marks_minutes),
        PenaltyPolicy(row.penalty_basis_points, row.penalty_min_fen, row.penalty_max_fen),
    )
    row.updated_at = now
    row.save()
    return row


@dataclass(frozen=True)
class Watched:
    """An open order as the SLA sees it."""

    order_id: int
    order_sn: str
    shop_id: int
    shop: str
    status: str
    paid_at: datetime | None
    assessment: Assessment


def _watched(
    statuses: Iterable[str], *, now: datetime, shop_id: int | None = None, shop_scope: frozenset[int] = frozenset()
) -> list[Watched]:
    query = Order.objects.filter(status__in=list(statuses))
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    if shop_scope:
        query = query.filter(shop_id__in=shop_scope)
    rows = query.order_by("ship_by", "order_sn").values_list(
        "id",
        "order_sn",
        "shop_id",
        "shop__name",
        "status",
        "paid_at",
        "created_at",
        "ship_by",
        "shop__ship_by_hours",
        "pay_amount",
        "risk_control_status",
        "ship_hold",
    )
    shop_policies = policies()
    out = []
    for order_id, sn, sid, shop, status, paid_at, created_at, ship_by, hours, pay, risk, hold in rows:
        deadline = ship_by or (paid_at or created_at) + timedelta(hours=hours)
        seen = OpenOrder(sn, deadline, pay, under_risk_review=risk == 1, ship_hold=hold)
        out.append(
            Watched(
                order_id,
                sn,
                sid,
                shop,
                status,
                paid_at or created_at,
                assess(seen, now=now, policy=shop_policies.get(sid, SlaPolicy())),
            )
        )
    return out


@dataclass(frozen=True)
class SweepReport:
    watched: int
    raised: int
    set_apart: list[Watched]
    at_risk: dict[str, int]  # risk level → orders


def _severity(mark: str) -> str:
    if mark == "overdue":
        return "critical"
    minutes = int(mark[2:-1]) * (60 if mark.endswith("h") else 1)
    return "critical" if minutes <= 60 else "warning" if minutes <= 6 * 60 else "info"


def _alert(w: Watched, mark: str) -> alerts.AlertSpec:
    a = w.assessment
    deadline = a.order.ship_by.astimezone(CHINA).strftime("%m-%d %H:%M") if a.order.ship_by else "—"
    params = {
        "order_sn": w.order_sn,
        "shop": w.shop,
        "deadline": deadline,
        "mark": mark,
        "penalty": f"{a.penalty_fen / 100:.2f}",
    }
    with translation.override("zh-hans"):
        if mark == "overdue":
            title = _("Order %(order_sn)s missed its ship-by (%(deadline)s)") % params
        else:
            title = _("Order %(order_sn)s must ship by %(deadline)s (%(mark)s)") % params
        body = (
            _(
                "Shop %(shop)s · estimated late-shipment charge ¥%(penalty)s (shop policy; the platform's "
                "formula is not public)"
            )
            % params
        )
    return alerts.AlertSpec(
        key=f"sla:{mark}:{w.order_id}",
        kind="sla",
        severity=_severity(mark),
        title=title,
        body=body,
        shop_id=w.shop_id,
        order_id=w.order_id,
        details={
            "mark": mark,
            "ship_by": a.order.ship_by.isoformat() if a.order.ship_by else None,
            "penalty_fen": a.penalty_fen,
            "status": w.status,
        },
    )


@transaction.atomic(durable=True)
def sweep(*, actor: Actor, now: datetime) -> SweepReport:
    """Raise each crossed deadline threshold once per order; list platform-held orders apart, unalarmed."""
    watched = _watched(OPEN, now=now)
    specs = [_alert(w, mark) for w in watched for mark in w.assessment.crossed]
    raised = alerts.record(specs, actor=actor, now=now)
    at_risk: dict[str, int] = {}
    for w in watched:
        if w.assessment.set_apart is None:
            at_risk[w.assessment.risk.value] = at_risk.get(w.assessment.risk.value, 0) + 1
    apart = [w for w in watched if w.assessment.set_apart is not None]
    return SweepReport(len(watched), len(raised), apart, at_risk)


@dataclass(frozen=True)
class QueueEntry:
    position: int
    watched: Watched
    finish: datetime
    saved: bool  # this sequence packs it by its ship-by


@dataclass(frozen=True)
class AtRiskQueue:
    capacity_per_hour: float
    entries: list[QueueEntry]
    set_apart: list[Watched]
    late: int
    late_edd: int
    late_fifo: int
    penalty_at_stake_fen: int
    penalty_note: str = PENALTY_NOTE


def _jobs(watched: list[Watched]) -> list[dispatch.Job]:
    return [
        dispatch.Job(w.order_sn + f"#{w.order_id}", w.assessment.order.ship_by, w.paid_at)  # type: ignore[arg-type]
        for w in watched
    ]


def at_risk_queue(
    *, capacity_per_hour: float, now: datetime, shop_id: int | None = None, shop_scope: frozenset[int] = frozenset()
) -> AtRiskQueue:
    """Orders still to pack in the suggested order (fewest late shipments at this capacity), with the late
    counts of plain deadline order and FIFO for comparison, and every open order the platform holds (risk review,
    ship hold) apart. ``shop_scope`` (a person's shops; empty: every shop) and ``shop_id`` narrow it."""
    dispatch.per_parcel(capacity_per_hour)
    watched = _watched(OPEN, now=now, shop_id=shop_id, shop_scope=shop_scope)
    packable = [w for w in watched if w.assessment.set_apart is None and w.status in TO_PACK]
    by_key = {w.order_sn + f"#{w.order_id}": w for w in packable}
    jobs = _jobs(packable)
    plan = dispatch.suggest(jobs, start=now, capacity_per_hour=capacity_per_hour)
    slots = dispatch.simulate(plan.sequence, start=now, capacity_per_hour=capacity_per_hour)
    entries = [QueueEntry(s.position, by_key[s.job.key], s.finish, s.on_time) for s in slots]
    late = sum(1 for e in entries if not e.saved)
    return AtRiskQueue(
        capacity_per_hour,
        entries,
        [w for w in watched if w.assessment.set_apart is not None],
        late,
        dispatch.late_count(dispatch.by_deadline(jobs), start=now, capacity_per_hour=capacity_per_hour),
        dispatch.late_count(dispatch.by_arrival(jobs), start=now, capacity_per_hour=capacity_per_hour),
        sum(e.watched.assessment.penalty_fen for e in entries if not e.saved),
    )


def create_dispatch_waves(
    rule: WaveRule, *, capacity_per_hour: float, actor: Actor, now: datetime, shop_scope: frozenset[int] = frozenset()
) -> list[Wave]:
    """Wave accepted orders in the suggested dispatch order: the orders this capacity can still save go into the
    first waves (deadline order within them), the ones it cannot save into the waves after. A person scoped to
    some shops waves only theirs."""
    queue = at_risk_queue(capacity_per_hour=capacity_per_hour, now=now, shop_scope=shop_scope)
    accepted = [e for e in queue.entries if e.watched.status == OrderStatus.ACCEPTED]
    saved = [e.watched.order_id for e in accepted if e.saved]
    lost = [e.watched.order_id for e in accepted if not e.saved]
    created: list[Wave] = []
    for group in (saved, lost):
        if group:
            created += waves.create_waves(rule, actor=actor, now=now, only=group)
    return created
