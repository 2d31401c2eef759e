"""Display helpers of the after-sales pages: a case's platform deadline as the row the shared urgency tag reads,
our words for codes, and who made a change."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext

from kuaifa.domain.aftersales.cases import MERCHANT_TURN, CaseState
from kuaifa.web.words import ACTOR_KINDS, ROLES

register = template.Library()

OUR_TURN = frozenset(s.value for s in MERCHANT_TURN)


@register.filter
def case_row(case) -> dict:
    """A case as ``{ship_by, status, hold_reasons}`` for the urgency tag: the platform's deadline counts down only
    while the case waits on us (it is the merchant's deadline, and is kept from the last sync otherwise)."""
    state = case.state.value if isinstance(case.state, CaseState) else case.state
    deadline = case.expire_time if state in OUR_TURN else None
    return {"ship_by": deadline, "status": "", "hold_reasons": []}


@register.filter
def word(code: str) -> str:
    """One of our codes (a case state or type, an event, a ticket status) in the reader's language."""
    return gettext(code) if code else ""


@register.simple_tag
def who(person) -> str:
    """``李四 · 客服`` for a person, ``后台任务`` / ``规则 review`` for what is not one."""
    if person.kind == "user":
        role = ROLES.get(person.role)
        return format_html("{} <small class='muted'>{}</small>", person.name, role or "") if role else person.name
    label = ACTOR_KINDS.get(person.kind)
    if label is None:
        return person.name
    return format_html("{} <small class='muted'>{}</small>", label, person.name) if person.name else str(label)


@register.filter
def platform_status(code: int) -> str:
    """PDD's own name of an ``after_sales_status`` (Chinese), or the English one when the page is in English."""
    from django.utils.translation import get_language

    from kuaifa.domain.aftersales.canonical import status_name_en, status_name_zh
    from kuaifa.domain.aftersales.errors import UnknownCaseStatus

    try:
        name = status_name_en(code) if (get_language() or "").startswith("en") else status_name_zh(code)
    except UnknownCaseStatus:
        return str(code)
    return f"{name} ({code})"
