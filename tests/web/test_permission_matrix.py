"""Every route × every role: the view's declared permission and the one role table decide; deny by default.

The route list comes from the URL configuration itself, so a new route without a declared permission fails here.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from kuaifa.domain.access import PERMISSIONS, Perm, Role, allows
from kuaifa.web.access import PUBLIC

SAMPLE_KWARGS = {
    "order_id": 1,
    "level_id": 1,
    "shop_id": 1,
    "case_id": 1,
    "ticket_id": 1,
    "webhook_id": 1,
    "route_id": 1,
}
SAMPLE_STRINGS = {"code": "TEA-001"}


def routes(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def url_of(route: str) -> str:
    path = route
    for name, value in SAMPLE_KWARGS.items():
        path = path.replace(f"<int:{name}>", str(value))
    for name, value in SAMPLE_STRINGS.items():
        path = path.replace(f"<str:{name}>", value).replace(f"<path:{name}>", value)
    assert "<" not in path, f"no sample value for a parameter in {route}"
    return "/" + path


ALL_ROUTES = [(route, p) for route, p in routes() if not route.startswith("api/")]  # API: see test_api.py
GUARDED = [(route, p) for route, p in ALL_ROUTES if p.callback.required_permission != PUBLIC]


def test_every_route_declares_a_permission():
    undeclared = [route for route, p in ALL_ROUTES if not hasattr(p.callback, "required_permission")]
    assert undeclared == []
    declared = {p.callback.required_permission for _, p in GUARDED}
    assert declared <= set(Perm), declared - set(Perm)


def test_only_sign_in_and_switches_are_public():
    public = sorted(p.name for _, p in ALL_ROUTES if p.callback.required_permission == PUBLIC)
    assert public == ["forbidden", "home", "language", "login", "logout", "shop_switch"]


def test_an_unknown_role_or_permission_is_refused():
    assert not allows("intern", Perm.ORDERS_VIEW)
    assert not allows(None, Perm.ORDERS_VIEW)
    assert not allows(Role.OWNER, "orders.teleport")
    assert PERMISSIONS[Role.OWNER] == frozenset(Perm)


@pytest.mark.parametrize(("route", "pattern"), GUARDED, ids=[r for r, _ in GUARDED])
def test_anonymous_people_are_sent_to_sign_in(client, db, route, pattern):
    response = client.get(url_of(route))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_reaches_exactly_its_permitted_routes(signed_in, role, shop):
    client = signed_in(role)
    wrong = []
    for route, pattern in GUARDED:
        needed = pattern.callback.required_permission
        status = client.get(url_of(route)).status_code
        if allows(role, needed) == (status == 403):
            wrong.append((route, needed, status))
    assert wrong == []


def test_a_signed_in_person_without_a_membership_gets_403_everywhere(client, db, django_user_model):
    client.force_login(django_user_model.objects.create_user("stranger", password="x-long-password"))
    statuses = {route: client.get(url_of(route)).status_code for route, _ in GUARDED}
    assert set(statuses.values()) == {403}


def test_the_403_page_says_why_in_words(signed_in):
    response = signed_in("warehouse").get("/people/")
    assert response.status_code == 403
    text = response.content.decode()
    assert "people.manage" in text
    assert "店主" in text or "owner" in text.lower()
