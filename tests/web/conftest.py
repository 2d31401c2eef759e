"""A small team (one person per role) and a shop with orders, for the workbench's pages."""

import pytest

from kuaifa.domain.shared.actor import Actor
from tests.factories import NOW, make_order

SETUP = Actor.system("test:setup")

PASSWORDS = {role: f"kuaifa-{role}-2026" for role in ("owner", "service", "warehouse", "finance")}


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", NOW.isoformat())


@pytest.fixture
def team(db, shop):
    from kuaifa.services.people import add_member

    for role, password in PASSWORDS.items():
        add_member(role, role, password, actor=SETUP, now=NOW)
    return PASSWORDS


@pytest.fixture
def signed_in(client, team):
    from django.contrib.auth import get_user_model

    def sign_in(role: str):
        client.force_login(get_user_model().objects.get(username=role))
        return client

    return sign_in


@pytest.fixture
def stocked(shop, catalog):
    from kuaifa.services.inventory import receive_stock

    receive_stock("TEA-001", 5, actor=SETUP, now=NOW)
    receive_stock("CUP-002", 5, actor=SETUP, now=NOW)
    return shop


def ingest(shop, orders, *, review: bool = True):
    from kuaifa.persistence.models import Order
    from kuaifa.services.intake import ingest_orders
    from kuaifa.services.review import review_orders

    ingest_orders(shop, orders, source=Order.Source.API, actor=SETUP, now=NOW)
    if review:
        review_orders(actor=SETUP, now=NOW)
    return {o.order_sn: Order.objects.get(shop=shop, order_sn=o.order_sn) for o in orders}


__all__ = ["NOW", "PASSWORDS", "ingest", "make_order"]
