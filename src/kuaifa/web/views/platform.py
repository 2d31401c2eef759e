"""Platform health (sync per shop, the outbox) and the dashboard. Background work is queued, never run here."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuaifa.domain.access import Perm
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence import queries, queries_web, sync_queries
from kuaifa.persistence.models import Shop
from kuaifa.services.outbox import retry_failed
from kuaifa.tasks.jobs import sweep_outbox, sync_shop
from kuaifa.web.access import member, requires
from kuaifa.web.templatetags.kuaifa import reason_label, status_label
from kuaifa.web.words import now


@requires(Perm.PLATFORM_VIEW)
def health(request):
    clock = now()
    context = {
        "shops": sync_queries.sync_health(since=clock - timedelta(hours=24)),
        "outbox": queries.outbox_entries(states=["failed", "pending"], limit=100),
        "all_shops": queries_web.shops(member(request).shop_scope),
        "now": clock,
    }
    return render(request, "web/platform/health.html", context)


@requires(Perm.PLATFORM_OPERATE)
@require_POST
def sync_now(request):
    """Queue a sync of the shop for the task worker; the page returns at once."""
    shop = Shop.objects.filter(id=int(request.POST.get("shop") or 0)).first()
    me = member(request)
    if shop is None or (me.shop_scope and shop.id not in me.shop_scope):
        messages.error(request, _("Choose one of your shops to sync."), extra_tags="invalid_input")
    else:
        result = sync_shop.enqueue(shop.id)
        messages.success(request, _("Sync of %(shop)s queued (task %(id)s).") % {"shop": shop.name, "id": result.id})
    return redirect("health")


@requires(Perm.PLATFORM_OPERATE)
@require_POST
def retry_outbox(request):
    """Failed uploads become due again; the worker sends them."""
    count = retry_failed(now=now())
    sweep_outbox.enqueue()
    messages.success(request, _("%(n)s failed uploads queued again.") % {"n": count})
    return redirect("health")


@requires(Perm.DASHBOARD_VIEW)
def dashboard(request):
    clock = now()
    numbers = queries_web.dashboard(member(request).shop_scope, now=clock, today=clock.astimezone(CHINA).date())
    counts, risk = numbers.counts, numbers.risk
    status_rows = [(status_label(code), count) for code, count in sorted(counts.open_by_status.items())]
    status_rows.append((_("Shipped today"), counts.shipped_on_time_today + counts.shipped_late_today))
    status_rows.append((_("Shipped late today"), counts.shipped_late_today))
    held_rows = [(reason_label(code), count) for code, count in counts.held_by_reason.items()]
    risk_rows = [(_("Overdue"), risk.overdue), (_("Within 6 hours"), risk.urgent),
                 (_("Within 24 hours"), risk.due_soon)]  # fmt: skip
    charts = {
        "status": {"labels": [r[0] for r in status_rows], "values": [r[1] for r in status_rows]},
        "held": {"labels": [r[0] for r in held_rows], "values": [r[1] for r in held_rows]},
        "risk": {"labels": [r[0] for r in risk_rows], "values": [r[1] for r in risk_rows]},
    }
    context = {"today": counts.created_today, "status_rows": status_rows, "held_rows": held_rows,
               "risk_rows": risk_rows, "charts": charts}  # fmt: skip
    return render(request, "web/dashboard.html", context)
