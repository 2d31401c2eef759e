"""Every view says which permission it needs; the one table in ``kuaifa.domain.access`` decides. Deny by default.

``requires(Perm.X)`` sends anonymous people to the login page and answers 403 to members whose role lacks the
permission. ``public`` marks the few views anyone may open (login, the language switch). The permission-matrix test
fails for any route that carries neither.
"""

import functools
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from kuaifa.domain.access import Perm, Role, allows
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Membership

PUBLIC = "public"


@dataclass(frozen=True)
class Member:
    username: str
    role: Role | None
    shop_scope: frozenset[int]
    warehouse_scope: frozenset[int]
    language: str = ""

    @property
    def actor(self) -> Actor:
        return Actor.user(self.username)

    def can(self, permission: str) -> bool:
        return allows(self.role, permission)


def member(request) -> Member:
    """The signed-in person's role and scope, read once per request."""
    cached = getattr(request, "_kuaifa_member", None)
    if cached is not None:
        return cached
    rows = (
        list(
            Membership.objects.filter(user_id=request.user.id).values_list(
                "role", "shops__id", "warehouses__id", "language"
            )
        )
        if request.user.is_authenticated
        else []
    )  # one query: role and both scopes
    found = Member(
        username=request.user.get_username() if request.user.is_authenticated else "",
        role=Role(rows[0][0]) if rows else None,
        shop_scope=frozenset(r[1] for r in rows if r[1] is not None),
        warehouse_scope=frozenset(r[2] for r in rows if r[2] is not None),
        language=rows[0][3] if rows else "",
    )
    request._kuaifa_member = found
    return found


def forbidden(request, permission: str = ""):
    return render(request, "web/403.html", {"permission": permission}, status=403)


def requires(permission: Perm):
    def wrap(view):
        @functools.wraps(view)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not member(request).can(permission):
                return forbidden(request, permission)
            return view(request, *args, **kwargs)

        guarded.required_permission = permission
        return guarded

    return wrap


def public(view):
    view.required_permission = PUBLIC
    return view


def shops_shown(request) -> frozenset[int]:
    """The shops a page shows: the one chosen in the top bar when it is one of the person's, otherwise all of the
    person's shops (an empty set: every shop, for a member scoped to none)."""
    me, chosen = member(request), request.session.get("shop_id")
    if isinstance(chosen, int) and (not me.shop_scope or chosen in me.shop_scope):
        return frozenset({chosen})
    return me.shop_scope
