"""Display helpers of the 预警 pages: an SLA-watched order as the row the shared urgency tag reads."""

from django import template

register = template.Library()


@register.filter
def watched_row(watched) -> dict:
    """An order under SLA watch as ``{ship_by, status, hold_reasons}``: a platform hold (风控, 暂停发货) becomes
    its hold reason, so the urgency tag greys it out as everywhere else."""
    a = watched.assessment
    return {"ship_by": a.order.ship_by, "status": watched.status,
            "hold_reasons": [a.set_apart.value] if a.set_apart else []}  # fmt: skip


@register.filter
def deadline_row(ship_by) -> dict:
    """A bare deadline (a held order's breach time) as a row for the urgency tag."""
    return {"ship_by": ship_by, "status": "ON_HOLD", "hold_reasons": []}


@register.filter
def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"
