"""The API of the 预警 pages and 智能客服: the auto-reply to a buyer's message, the at-risk queue, the alerts centre
and acknowledging an alert as the key's owner. Same services and permission table as the workbench."""

from datetime import datetime
from typing import Annotated

from ninja import Path, Query, Schema

from kuaifa.api.api import MAX_ID, Error, api, requires
from kuaifa.domain.access import Perm
from kuaifa.domain.carriers.traces import StallRule
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence import queries_aftersales, queries_alerts
from kuaifa.services.alerts import acknowledge
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.replies import answer
from kuaifa.services.sla import at_risk_queue
from kuaifa.services.tracking import stalled_parcels
from kuaifa.web.access import Member
from kuaifa.web.words import now


class Question(Schema):
    message: str
    order_sn: str = ""
    shop: str = ""


class Answer(Schema):
    matched: bool  # false: "no rule" answered it
    rule: str | None
    intent: str | None
    reply: str | None


@api.post(
    "/reply", response={200: Answer, 403: Error, 404: Error, 409: Error, 401: Error, 422: Error}, tags=["replies"]
)
@requires(Perm.REPLIES_USE)
def reply(request, question: Question):
    """The auto-reply to a buyer's message about an order and the rule that matched, or ``matched: false``."""
    member: Member = request.auth
    if (
        question.order_sn
        and member.shop_scope
        and not queries_alerts.order_sn_in_scope(question.order_sn, member.shop_scope)
    ):
        raise NotFound(kind="order", key=question.order_sn)
    found = answer(question.message, order_sn=question.order_sn or None, shop_name=question.shop or None)
    return Answer(matched=found.rule is not None, rule=found.rule, intent=found.intent, reply=found.text)


class QueueRow(Schema):
    position: int
    order_sn: str
    shop: str
    status: str
    ship_by: datetime | None
    time_left_minutes: int | None
    risk: str
    finish: datetime
    saved: bool
    penalty_fen: int


class HeldRow(Schema):
    order_sn: str
    shop: str
    status: str
    reason: str
    ship_by: datetime | None


class Queue(Schema):
    capacity_per_hour: float
    late: int
    late_if_earliest_deadline_first: int
    late_if_fifo: int
    penalty_at_stake_fen: int
    penalty_note: str
    queue: list[QueueRow]
    set_apart: list[HeldRow]


def _minutes(delta) -> int | None:
    return None if delta is None else int(delta.total_seconds() // 60)


@api.get("/sla/queue", response={200: Queue, 403: Error, 409: Error, 401: Error, 422: Error}, tags=["sla"])
@requires(Perm.SLA_VIEW)
def sla_queue(
    request,
    capacity: Annotated[float, Query(ge=0.1, le=100_000)] = 100.0,  # parcels an hour
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
):
    """Orders to pack in the suggested dispatch order at ``capacity`` parcels/hour; platform holds apart. A key
    scoped to some shops sees all of theirs (``shop_id``: one of them)."""
    member: Member = request.auth
    if member.shop_scope and shop_id is not None and shop_id not in member.shop_scope:
        raise NotFound(kind="shop", key=shop_id)
    q = at_risk_queue(capacity_per_hour=capacity, now=now(), shop_id=shop_id, shop_scope=member.shop_scope)
    return Queue(
        capacity_per_hour=q.capacity_per_hour, late=q.late, late_if_earliest_deadline_first=q.late_edd,
        late_if_fifo=q.late_fifo, penalty_at_stake_fen=q.penalty_at_stake_fen, penalty_note=q.penalty_note,
        queue=[QueueRow(position=e.position, order_sn=e.watched.order_sn, shop=e.watched.shop,
                        status=e.watched.status, ship_by=e.watched.assessment.order.ship_by,
                        time_left_minutes=_minutes(e.watched.assessment.time_left),
                        risk=e.watched.assessment.risk.value, finish=e.finish, saved=e.saved,
                        penalty_fen=e.watched.assessment.penalty_fen) for e in q.entries],
        set_apart=[HeldRow(order_sn=w.order_sn, shop=w.shop, status=w.status,
                           reason=w.assessment.set_apart.value if w.assessment.set_apart else "",
                           ship_by=w.assessment.order.ship_by) for w in q.set_apart],
    )  # fmt: skip


class AlertOut(Schema):
    id: int
    key: str
    kind: str
    severity: str
    title: str
    body: str
    shop: str | None
    order_sn: str | None
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str
    escalate_at: datetime | None
    escalated_at: datetime | None


@api.get("/alerts", response={200: list[AlertOut], 403: Error, 409: Error, 401: Error, 422: Error}, tags=["alerts"])
@requires(Perm.ALERTS_VIEW)
def alerts(
    request,
    kind: str = "",
    severity: str = "",
    shop_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    acknowledged: str = "no",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
):
    """Alerts newest first; ``acknowledged`` is ``no`` (default), ``yes`` or ``all``."""
    member: Member = request.auth
    if acknowledged not in ("no", "yes", "all"):
        raise InvalidInput(
            field="acknowledged", reason=Text("%(acknowledged)r is not no, yes or all", acknowledged=acknowledged)
        )
    found = queries_alerts.alerts(
        queries_alerts.AlertFilter(kind=kind, severity=severity, shop_id=shop_id, acknowledged=acknowledged,
                                   scope=member.shop_scope),
        limit=max(1, min(limit, 500)),
    )  # fmt: skip
    return [AlertOut(id=a.id, key=a.key, kind=a.kind, severity=a.severity, title=a.title, body=a.body,
                     shop=a.shop.name if a.shop else None, order_sn=a.order.order_sn if a.order else None,
                     raised_at=a.raised_at, acknowledged_at=a.acknowledged_at, acknowledged_by=a.acknowledged_by,
                     escalate_at=a.escalate_at, escalated_at=a.escalated_at) for a in found]  # fmt: skip


class Acknowledged(Schema):
    acknowledged: int  # 0 when someone had already acknowledged it


@api.post(
    "/alerts/{int:alert_id}/ack",
    response={200: Acknowledged, 403: Error, 404: Error, 401: Error, 422: Error},
    tags=["alerts"],
)
@requires(Perm.ALERTS_ACK)
def ack(request, alert_id: Annotated[int, Path(ge=1, le=MAX_ID)]):
    """Acknowledge one alert as the key's owner: it will not be escalated."""
    member: Member = request.auth
    if not queries_alerts.alerts_in_scope([alert_id], member.shop_scope):
        raise NotFound(kind="alert", key=alert_id)
    return Acknowledged(acknowledged=acknowledge([alert_id], actor=member.actor, now=now()))


class StalledRow(Schema):
    order_sn: str
    shop: str
    carrier: str
    province: str
    tracking_number: str
    buyer: str  # masked
    silent_hours: float
    latest: str


@api.get("/stalled", response={200: list[StalledRow], 403: Error, 401: Error, 422: Error}, tags=["tracking"])
@requires(Perm.TRACKING_VIEW)
def stalled(request, hours: Annotated[float, Query(ge=1, le=24 * 365)] = 48):
    """Parcels with no new trace event for ``hours``, by carrier and province, within the key's shops."""
    member: Member = request.auth
    found = stalled_parcels(now=now(), rule=StallRule(hours=hours), shop_scope=member.shop_scope)
    return [
        StalledRow(order_sn=p.order_sn, shop=p.shop, carrier=p.carrier, province=p.province,
                   tracking_number=p.tracking_number, buyer=p.buyer,
                   silent_hours=round(p.silent.total_seconds() / 3600, 1), latest=p.latest)
        for p in found
    ]  # fmt: skip


class CaseOut(Schema):
    id: int
    after_sales_id: str
    shop: str
    order_sn: str
    case_type: str
    state: str
    refund_amount_fen: int
    refunded_amount_fen: int
    expire_time: datetime | None
    time_left_minutes: int | None  # negative once the platform's deadline has passed
    return_tracking_number: str


class CasePage(Schema):
    cases: list[CaseOut]
    next: str | None  # pass as ``after`` for the next page


@api.get("/aftersales", response={200: CasePage, 403: Error, 401: Error, 409: Error, 422: Error}, tags=["aftersales"])
@requires(Perm.AFTERSALES_VIEW)
def aftersales(
    request, type: str = "", state: str = "open", after: str = "", limit: Annotated[int, Query(ge=1, le=200)] = 50
):
    """After-sales cases within the key's shops, the nearest platform deadline first (``state``: open, turn,
    closed, all or one state; ``type``: refund_only, return_refund, exchange, resend, repair)."""
    from kuaifa.domain.aftersales.canonical import CaseType
    from kuaifa.domain.aftersales.cases import CaseState

    member: Member = request.auth
    if type and type not in {t.value for t in CaseType}:
        raise InvalidInput(field="type", reason=Text("%(value)r is not an after-sales type", value=type))
    if state not in queries_aftersales.STATE_GROUPS and state not in {s.value for s in CaseState}:
        raise InvalidInput(field="state", reason=Text("%(value)r is not a case state", value=state))
    page = queries_aftersales.case_queue(
        queries_aftersales.CaseFilter(case_type=type, state=state, scope=member.shop_scope), after=after, limit=limit
    )
    moment = now()
    return CasePage(
        cases=[CaseOut(id=c.id, after_sales_id=c.after_sales_id, shop=c.shop, order_sn=c.order_sn,
                       case_type=c.case_type, state=c.state, refund_amount_fen=c.refund_amount,
                       refunded_amount_fen=c.refunded_amount, expire_time=c.expire_time,
                       time_left_minutes=_minutes(c.expire_time - moment) if c.expire_time else None,
                       return_tracking_number=c.return_tracking_number) for c in page.rows],
        next=page.next_cursor,
    )  # fmt: skip
