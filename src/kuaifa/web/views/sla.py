"""预警 for the warehouse: the at-risk queue in the suggested dispatch order (发货超时预警), waves cut in that
order, and the SKUs short for held orders (缺货预警)."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuaifa.domain.access import Perm
from kuaifa.domain.fulfilment.waves import WaveRule
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.services.errors import InvalidInput
from kuaifa.services.sla import at_risk_queue, create_dispatch_waves
from kuaifa.services.stock_alerts import stock_alerts
from kuaifa.web.access import member, requires, shops_shown
from kuaifa.web.feedback import refused
from kuaifa.web.words import now

DEFAULT_CAPACITY = 100.0


def number(raw: str | None, field: str, default: float, *, minimum: float = 0, whole: bool = False) -> float:
    """A positive number typed into a form field; anything else is refused naming the field."""
    text = (raw or "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise InvalidInput(field=field, reason=Text("%(text)r is not a number", text=text)) from None
    if not value > minimum or value != value or value == float("inf"):
        raise InvalidInput(
            field=field, reason=Text("%(text)r must be more than %(minimum)g", text=text, minimum=minimum)
        )
    return value


@requires(Perm.SLA_VIEW)
def queue(request):
    """Orders still to pack in the order that ships the most on time at the capacity entered; platform holds apart."""
    context: dict = {"capacity": request.GET.get("capacity", "") or f"{DEFAULT_CAPACITY:g}", "now": now()}
    status = 200
    try:
        capacity = number(request.GET.get("capacity"), "capacity", DEFAULT_CAPACITY)
        context["queue"] = at_risk_queue(capacity_per_hour=capacity, now=context["now"],
                                         shop_scope=shops_shown(request))  # fmt: skip
    except DomainError as err:
        refused(request, err)
        status = 400
    return render(request, "web/alerts/sla_queue.html", context, status=status)


@requires(Perm.SLA_WAVES)
@require_POST
def waves(request):
    """Create waves from the suggested order: the orders this capacity still saves first."""
    me, post = member(request), request.POST
    back = reverse("sla_queue") + "?capacity=" + post.get("capacity", "")
    try:
        capacity = number(post.get("capacity"), "capacity", DEFAULT_CAPACITY)
        horizon = number(post.get("horizon_hours"), "horizon_hours", 24)
        size = int(number(post.get("max_orders"), "max_orders", 200, whole=True))
        rule = WaveRule(horizon=timedelta(hours=horizon), max_orders=size)
        created = create_dispatch_waves(rule, capacity_per_hour=capacity, actor=me.actor, now=now(),
                                        shop_scope=shops_shown(request))  # fmt: skip
    except DomainError as err:
        refused(request, err)
    else:
        if created:
            messages.success(request, _("%(n)s wave(s) created: %(codes)s.") % {
                "n": len(created), "codes": ", ".join(w.code for w in created)})  # fmt: skip
        else:
            messages.info(request, _("No order is due for a wave."))
    return redirect(back)


@requires(Perm.STOCK_ALERTS_VIEW)
def shortages(request):
    """SKUs short for held orders or running out soon; which orders wait and when they breach ship-by."""
    context: dict = {"days": request.GET.get("days", "") or "3", "window": request.GET.get("window", "") or "7",
                     "now": now(), "alerts": []}  # fmt: skip
    status = 200
    try:
        days = number(request.GET.get("days"), "days", 3)
        window = int(number(request.GET.get("window"), "window", 7, whole=True))
        context["alerts"] = stock_alerts(now=context["now"], horizon_days=days, window_days=window,
                                         shop_scope=shops_shown(request))  # fmt: skip
    except DomainError as err:
        refused(request, err)
        status = 400
    return render(request, "web/alerts/stock.html", context, status=status)
