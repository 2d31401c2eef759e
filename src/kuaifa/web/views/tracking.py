"""物流异常: parcels silent past their limit, by carrier × province, with masked buyers and copy-ready delay
notices."""

from django.shortcuts import render

from kuaifa.domain.access import Perm
from kuaifa.domain.carriers.traces import StallRule
from kuaifa.domain.shared.errors import DomainError
from kuaifa.persistence import queries_web
from kuaifa.services.tracking import delay_notices, stalled_parcels
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import refused
from kuaifa.web.views.sla import number
from kuaifa.web.words import now


@requires(Perm.TRACKING_VIEW)
def stalled(request):
    """Stalled parcels (no new trace event for the hours entered), each with the notice to send its buyer."""
    me = member(request)
    context: dict = {"hours": request.GET.get("hours", "") or "48", "rows": [], "all_notices": ""}
    status = 200
    try:
        hours = number(request.GET.get("hours"), "hours", 48)
        mine = {s.name for s in queries_web.shops(me.shop_scope)}
        parcels = [p for p in stalled_parcels(now=now(), rule=StallRule(hours=hours)) if p.shop in mine]
        notices = dict(delay_notices(parcels))
        context["rows"] = [{"parcel": p, "silent_hours": round(p.silent.total_seconds() / 3600, 1),
                            "notice": notices[p.order_sn]} for p in parcels]  # fmt: skip
        context["all_notices"] = "\n".join(f"{p.order_sn}\t{notices[p.order_sn]}" for p in parcels)
    except DomainError as err:
        refused(request, err)
        status = 400
    return render(request, "web/alerts/stalled.html", context, status=status)
