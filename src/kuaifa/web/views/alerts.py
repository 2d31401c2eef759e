"""告警记录: the alerts centre — filter, acknowledge (the signed-in person is the actor), escalation state — and,
for the owner, the chat-robot webhooks and the routes that say who gets what."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuaifa.domain.access import Perm, Role
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence import queries_alerts, queries_web
from kuaifa.persistence.models import Alert, Webhook
from kuaifa.services.alerts import (
    acknowledge,
    add_route,
    add_webhook,
    delete_route,
    edit_webhook,
    pause_webhook,
    resume_webhook,
)
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import back_to, refused
from kuaifa.web.words import now

ACKNOWLEDGED = ("no", "yes", "all")


def _filter(request) -> queries_alerts.AlertFilter:
    get, me = request.GET, member(request)
    shop = get.get("shop", "").strip()
    acknowledged = get.get("acknowledged", "no")
    if acknowledged not in ACKNOWLEDGED:
        raise InvalidInput(
            field="acknowledged", reason=Text("%(acknowledged)r is not no, yes or all", acknowledged=acknowledged)
        )
    if shop and not shop.isdigit():
        raise InvalidInput(field="shop", reason=Text("%(shop)r is not a shop id", shop=shop))
    return queries_alerts.AlertFilter(kind=get.get("kind", "").strip(), severity=get.get("severity", "").strip(),
                                      shop_id=int(shop) if shop else None, acknowledged=acknowledged,
                                      scope=me.shop_scope)  # fmt: skip


@requires(Perm.ALERTS_VIEW)
def alert_list(request):
    me = member(request)
    context = {
        "query": request.GET,
        "kinds": queries_alerts.alert_kinds(),
        "severities": Alert.Severity.choices,
        "shop_choices": queries_web.shops(me.shop_scope),
        "alerts": [],
        "now": now(),
    }
    status = 200
    try:
        context["alerts"] = queries_alerts.alerts(_filter(request))
    except DomainError as err:
        refused(request, err)
        status = 400
    return render(request, "web/alerts/list.html", context, status=status)


@requires(Perm.ALERTS_ACK)
@require_POST
def ack(request):
    """Acknowledge the chosen alerts as the signed-in person; an alert outside the person's shops is refused."""
    me = member(request)
    raw = request.POST.getlist("ids")
    try:
        if not raw:
            raise InvalidInput(field="ids", reason=Text("choose at least one alert"))
        if not all(i.isdigit() for i in raw):
            raise InvalidInput(field="ids", reason=Text("alert ids are whole numbers"))
        ids = [int(i) for i in raw]
        outside = sorted(set(ids) - queries_alerts.alerts_in_scope(ids, me.shop_scope))
        if outside:
            raise NotFound(kind="alert", key=outside[0])
        changed = acknowledge(ids, actor=me.actor, now=now())
    except DomainError as err:
        refused(request, err)
    else:
        messages.success(request, _("%(n)s alert(s) acknowledged.") % {"n": changed})
    return redirect(back_to(request, "alerts"))


@requires(Perm.ALERTS_SETTINGS)
def settings(request):
    """Webhooks (企业微信 · 钉钉 · 飞书) and routes. A secret is sealed at rest and never shown again."""
    if request.method == "POST":
        post = request.POST
        try:
            if post.get("form") == "webhook":
                hook = add_webhook(post.get("name", "").strip(), post.get("kind", ""), post.get("url", "").strip(),
                                   secret=post.get("secret", "").strip(), markdown=post.get("markdown") == "1",
                                   now=now())  # fmt: skip
                messages.success(request, _("Webhook %(name)s added.") % {"name": hook.name})
            elif post.get("form") == "route":
                role = post.get("role", "")
                if role not in {r.value for r in Role}:
                    raise InvalidInput(field="role", reason=Text("%(role)r is not a role", role=role))
                route = add_route(role, post.get("webhook", ""), shop_name=post.get("shop") or None,
                                  kinds=[k for k in post.getlist("kinds") if k],
                                  min_severity=post.get("min_severity", "info"),
                                  on_escalation=post.get("on_escalation") == "1", now=now())  # fmt: skip
                messages.success(request, _("Route %(id)s added.") % {"id": route.id})
            else:
                raise InvalidInput(field="form", reason=Text("choose webhook or route"))
        except DomainError as err:
            refused(request, err)
        return redirect("alert_settings")
    return render(request, "web/alerts/settings.html", {
        "webhooks": queries_alerts.webhooks(), "routes": queries_alerts.routes(), "kinds": Webhook.Kind.choices,
        "roles": [r.value for r in Role], "severities": Alert.Severity.choices,
        "alert_kinds": ["sla", "stock", "stalled"], "shop_choices": queries_web.shops(frozenset()),
    })  # fmt: skip


def _hook_name(webhook_id: int) -> str:
    name = queries_alerts.webhook_name(webhook_id)
    if name is None:
        raise Http404
    return name


@requires(Perm.ALERTS_SETTINGS)
@require_POST
def webhook_edit(request, webhook_id: int):
    """Change a robot's name, kind, URL, secret (left empty: kept; "remove" ticked: removed) or format."""
    post, name = request.POST, _hook_name(webhook_id)
    secret = "" if post.get("clear_secret") == "1" else (post.get("secret", "").strip() or None)
    try:
        hook = edit_webhook(name, new_name=post.get("name", name), kind=post.get("kind") or None,
                            url=post.get("url") or None, secret=secret, markdown=post.get("markdown") == "1",
                            actor=member(request).actor, now=now())  # fmt: skip
    except DomainError as err:
        refused(request, err)
    else:
        messages.success(request, _("Webhook %(name)s changed.") % {"name": hook.name})
    return redirect("alert_settings")


@requires(Perm.ALERTS_SETTINGS)
@require_POST
def webhook_pause(request, webhook_id: int):
    """Stop posting to a robot; alerts for it are held until it is resumed."""
    state = pause_webhook(_hook_name(webhook_id), actor=member(request).actor, now=now())
    messages.success(request, _("Webhook %(name)s paused: alerts for it are held (%(n)s now).") % {
        "name": state.name, "n": state.held})  # fmt: skip
    return redirect("alert_settings")


@requires(Perm.ALERTS_SETTINGS)
@require_POST
def webhook_resume(request, webhook_id: int):
    """Post again: what was held is sent, or discarded (kept as failed) when the owner says so."""
    state = resume_webhook(_hook_name(webhook_id), actor=member(request).actor, now=now(),
                           discard_held=request.POST.get("discard_held") == "1")  # fmt: skip
    messages.success(request, _("Webhook %(name)s resumed: %(held)s held alert(s) to send, %(discarded)s discarded.")
                     % {"name": state.name, "held": state.held, "discarded": state.discarded})  # fmt: skip
    return redirect("alert_settings")


@requires(Perm.ALERTS_SETTINGS)
@require_POST
def route_delete(request, route_id: int):
    """Remove a route; what its webhook is already owed stays owed."""
    try:
        delete_route(route_id, actor=member(request).actor, now=now())
    except DomainError as err:
        refused(request, err)
    else:
        messages.success(request, _("Route %(id)s deleted.") % {"id": route_id})
    return redirect("alert_settings")
