"""Shops and platform authorisation (授权): the owner is sent to the platform's page, comes back with a code, and
the shop is connected with the tokens the code is exchanged for, its first sync queued for the task worker.
``state`` ties the return to this person's click. Authorising a shop that exists already (its token was revoked or
expired on the platform: "needs authorisation") replaces its token and lets its sync resume."""

import secrets
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kuaifa.domain.access import Perm
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence import queries_web
from kuaifa.platforms.pdd.client import PddClient
from kuaifa.platforms.pdd.errors import PddError
from kuaifa.services.credentials import Grant, authorise_pdd_shop
from kuaifa.services.errors import InvalidInput
from kuaifa.tasks.jobs import sync_shop
from kuaifa.web.access import member, requires
from kuaifa.web.feedback import refused
from kuaifa.web.words import now

PENDING = "pdd_authorisation"


@requires(Perm.SHOPS_MANAGE)
def shops(request):
    app = settings.PDD_APP
    return render(request, "web/shops.html", {"shops": queries_web.shop_credentials(), "app_ready": bool(
        app["client_id"] and app["client_secret"])})  # fmt: skip


@requires(Perm.SHOPS_MANAGE)
@require_POST
def authorise(request):
    """Send the owner to the platform's authorisation page with our app, the way back, and a fresh ``state``."""
    name = request.POST.get("name", "").strip()
    app = settings.PDD_APP
    if not name or not app["client_id"]:
        refused(request, InvalidInput(field="name", reason=Text("name the shop (and set KUAIFA_PDD_CLIENT_ID)")))
        return redirect("shops")
    state = secrets.token_urlsafe(24)
    request.session[PENDING] = {"state": state, "name": name}
    back = request.build_absolute_uri(reverse("shop_callback"))
    query = urlencode({"response_type": "code", "client_id": app["client_id"], "redirect_uri": back, "state": state})
    return redirect(f"{app['authorize_url']}?{query}")


@requires(Perm.SHOPS_MANAGE)
def callback(request):
    """The platform sends the owner back with ``code`` and our ``state``; a wrong or reused state changes nothing."""
    pending = request.session.pop(PENDING, None)
    code, state = request.GET.get("code", ""), request.GET.get("state", "")
    if not pending or not code or not secrets.compare_digest(pending["state"], state):
        refused(request, InvalidInput(field="state", reason=Text("this authorisation was not started here; try again")))
        return redirect("shops")
    app = settings.PDD_APP
    client = PddClient(app["client_id"], app["client_secret"], None, base_url=app["gateway_url"])
    try:
        grant = client.create_access_token(code)
        done = authorise_pdd_shop(
            pending["name"],
            Grant(grant.access_token, grant.refresh_token,
                  datetime.fromtimestamp(grant.expires_at, UTC) if grant.expires_at else None, grant.owner_id),
            gateway_url=app["gateway_url"], client_id=app["client_id"], client_secret=app["client_secret"],
            actor=member(request).actor, now=now(),
        )  # fmt: skip
    except PddError as err:  # the client's network failures are PddTransportError too
        messages.error(request, _("The platform refused the authorisation: %(error)s") % {"error": err},
                       extra_tags="platform.auth_refused")  # fmt: skip
        return redirect("shops")
    except DomainError as err:
        refused(request, err)
        return redirect("shops")
    finally:
        client.close()
    shop = done.shop
    if done.again:
        messages.success(request, _("%(shop)s is authorised again: its new token replaces the old one.")
                         % {"shop": shop.name}, extra_tags="shop.authorised_again")  # fmt: skip
    else:
        messages.success(request, _("%(shop)s is connected.") % {"shop": shop.name})
    sync_shop.enqueue(shop.id)  # its orders come in at once, not at the worker's next periodic sync
    messages.success(request, _("The first sync of %(shop)s is queued: its orders appear in the order list as the "
                                "task worker fetches them.") % {"shop": shop.name})  # fmt: skip
    return redirect("shops")
