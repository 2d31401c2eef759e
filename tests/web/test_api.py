"""The JSON API: per-person keys with the person's role, every operation × role, stable codes in Chinese."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import get_resolver

from kuaifa.api.api import api
from kuaifa.domain.access import Role, allows
from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import Order, OrderEvent
from kuaifa.services.people import issue_api_token
from tests.web.conftest import NOW, ingest, make_order

SETUP = Actor.system("test-setup")


def operations():
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, prefix + path, operation.view_func


OPERATIONS = list(operations())


@pytest.fixture
def keys(team):
    return {role.value: issue_api_token(role.value, actor=SETUP, now=NOW) for role in Role}


SAMPLE_BODIES = {"/reply": {"message": "发货了吗"}}


def call(client, method: str, path: str, key: str | None, body: dict | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    body = body or SAMPLE_BODIES.get(path)
    url = "/api" + path.replace("{int:order_id}", "1").replace("{int:alert_id}", "1")
    if method == "GET":
        return client.get(url, **headers)
    valid_for_every_post = {"ids": [], "logistics_id": 85, "tracking_number": "YT0000000000001"}
    return client.generic(method, url, data=json.dumps(body or valid_for_every_post),
                          content_type="application/json", **headers)  # fmt: skip


def test_every_api_operation_declares_a_permission():
    assert len(OPERATIONS) == 16
    assert [path for _, path, view in OPERATIONS if not hasattr(view, "required_permission")] == []


def test_the_api_routes_are_the_operations_and_the_docs():
    names = sorted(p.name for p in get_resolver().url_patterns[0].url_patterns if p.name)
    assert {"openapi-json", "openapi-view"} <= set(names)


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_key_reaches_exactly_its_roles_operations(client, keys, role):
    wrong = []
    for method, path, view in OPERATIONS:
        status = call(client, method, path, keys[role]).status_code
        if allows(role, view.required_permission) == (status == 403):
            wrong.append((method, path, status))
    assert wrong == []


def test_no_key_or_a_wrong_key_is_401(client, keys):
    for method, path, _ in OPERATIONS:
        assert call(client, method, path, None).status_code == 401
        assert call(client, method, path, "kf_not-a-key").status_code == 401


def test_hold_through_the_api_acts_as_the_keys_owner(client, keys, stocked):
    order = ingest(stocked, [make_order("API-1", ("TEA-001", 1))])["API-1"]
    response = call(client, "POST", "/orders/hold", keys["service"], {"ids": [order.id], "note": "电话确认"})
    assert response.json() == {"done": [order.id], "refused": []}
    assert OrderEvent.objects.get(order=order, kind="held").actor == "user:service"
    listed = call(client, "GET", "/orders", keys["finance"]).json()
    assert [(o["order_sn"], o["status"], o["hold_reasons"]) for o in listed["orders"]] == [
        ("API-1", "ON_HOLD", ["manual"])
    ]


def test_a_refusal_carries_its_stable_code_and_a_chinese_sentence(client, keys, stocked):
    order = ingest(stocked, [make_order("API-2", ("TEA-001", 1))])["API-2"]
    client.force_login(get_user_model().objects.get(username="owner"))
    client.post("/orders/bulk/", {"action": "cancel", "ids": [order.id]})
    response = call(client, "POST", "/orders/release", keys["owner"], {"ids": [order.id]})
    refused = response.json()["refused"]
    assert [r["code"] for r in refused] == ["order.illegal_transition"]
    assert "订单" in refused[0]["message"] and "API-2" in refused[0]["message"]
    assert Order.objects.get(id=order.id).status == "CANCELLED"
    missing = call(client, "GET", f"/orders/{order.id + 999}", keys["owner"])
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_openapi_docs_are_served_without_a_cdn(client):
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()
    schema = client.get("/api/openapi.json").json()
    assert {"/api/orders", "/api/orders/hold", "/api/stock"} <= set(schema["paths"])


def test_waves_are_created_and_listed_through_the_api_by_warehouse_staff(client, keys, stocked):
    ingest(stocked, [make_order("W-1", ("TEA-001", 1)), make_order("W-2", ("CUP-002", 1))])
    made = call(client, "POST", "/waves", keys["warehouse"], {"max_orders": 100})
    assert made.status_code == 200
    assert [(w["state"], w["orders"]) for w in made.json()] == [("open", 2)]
    listed = call(client, "GET", "/waves", keys["finance"]).json()
    assert [w["code"] for w in listed] == [made.json()[0]["code"]]
    assert call(client, "POST", "/waves", keys["service"], {}).status_code == 403


def test_ship_records_the_parcel_and_queues_its_upload_and_a_second_ship_is_refused(client, keys, stocked):
    from kuaifa.persistence.models import OutboxEntry, Shipment

    order = ingest(stocked, [make_order("S-1", ("TEA-001", 1))])["S-1"]
    body = {"logistics_id": 85, "tracking_number": "YT1234567890123"}

    shipped = call(client, "POST", f"/orders/{order.id}/ship", keys["warehouse"], body)

    assert shipped.status_code == 200, shipped.content
    assert shipped.json()["order_sn"] == "S-1" and shipped.json()["tracking_number"] == "YT1234567890123"
    assert Order.objects.get(id=order.id).status == "SHIPPED"
    assert OutboxEntry.objects.filter(kind="ship", key__contains="S-1").count() == 1
    again = call(client, "POST", f"/orders/{order.id}/ship", keys["warehouse"], body)
    assert again.status_code == 409
    assert again.json()["code"] and "S-1" in again.json()["message"]
    assert Shipment.objects.filter(order=order).count() == 1


def test_ship_refuses_a_weak_tracking_number_until_the_caller_confirms_it(client, keys, stocked):
    from kuaifa.persistence.models import Shipment

    order = ingest(stocked, [make_order("S-2", ("TEA-001", 1))])["S-2"]
    body = {"logistics_id": 85, "tracking_number": "ABC123456"}  # 圆通 numbers start YT

    weak = call(client, "POST", f"/orders/{order.id}/ship", keys["warehouse"], body)

    assert weak.status_code == 409, weak.content
    assert weak.json()["code"] == "carrier.weak_tracking" and "ABC123456" in weak.json()["message"]
    assert not Shipment.objects.filter(order=order).exists()
    confirmed = call(client, "POST", f"/orders/{order.id}/ship", keys["warehouse"],
                     body | {"confirm_weak_tracking": True})  # fmt: skip
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["tracking_warning"] and Order.objects.get(id=order.id).status == "SHIPPED"


def test_ship_refuses_a_carrier_the_catalogue_does_not_know(client, keys, stocked):
    order = ingest(stocked, [make_order("S-3", ("TEA-001", 1))])["S-3"]

    refused = call(client, "POST", f"/orders/{order.id}/ship", keys["warehouse"],
                   {"logistics_id": 9999, "tracking_number": "773100000001"})  # fmt: skip

    assert refused.status_code == 409 and refused.json()["code"] == "carrier.unknown"
    assert Order.objects.get(id=order.id).status == "ACCEPTED"


def test_cancel_through_the_api_and_a_cancelled_order_cannot_ship(client, keys, stocked):
    order = ingest(stocked, [make_order("C-1", ("TEA-001", 1))])["C-1"]
    cancelled = call(client, "POST", "/orders/cancel", keys["service"], {"ids": [order.id], "note": "买家要求"})
    assert cancelled.json() == {"done": [order.id], "refused": []}
    refused = call(client, "POST", f"/orders/{order.id}/ship", keys["owner"],
                   {"logistics_id": 85, "tracking_number": "YT1234567890124"})  # fmt: skip
    assert refused.status_code == 409
    assert Order.objects.get(id=order.id).status == "CANCELLED"
