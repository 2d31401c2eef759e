"""The API against its own OpenAPI schema: schemathesis generates calls for every operation (valid and invalid
parameters and bodies) and sends them through the WSGI app with an owner's key; no call may end in a server error,
and every answer must be one the schema declares."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from kuaifa.domain.shared.actor import Actor
from kuaifa.services.people import issue_api_token
from tests.web.conftest import NOW, ingest, make_order

SETUP = Actor.system("test-setup")


@pytest.fixture
def api_schema(db):
    """The schema served by the WSGI app; the test's database connection stays open between calls, as with
    Django's own test client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def owner_key(team, stocked):
    ingest(stocked, [make_order("S-001", ("TEA-001", 1)), make_order("S-002", ("CUP-002", 9))])
    return issue_api_token("owner", actor=SETUP, now=NOW)


def test_no_generated_call_ends_in_a_server_error(api_schema, owner_key):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 6
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def call(case):
            response = case.call(headers={"Authorization": f"Bearer {owner_key}"})
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance])

        call()


def test_an_id_beyond_64_bits_is_refused_as_input_with_a_stable_code(client, owner_key):
    response = client.post("/api/orders/hold", data={"ids": [2**64]}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {owner_key}")  # fmt: skip
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["message"].startswith("ids.0：取值无效")
    assert client.get("/api/orders/18446744073709551616", HTTP_AUTHORIZATION=f"Bearer {owner_key}").status_code == 422


def test_a_call_without_a_key_is_refused_with_a_stable_code(client, db):
    response = client.get("/api/orders")
    assert response.status_code == 401
    assert response.json() == {
        "code": "auth.unauthenticated",
        "message": "请提供有效的 API 密钥：Authorization: Bearer kf_…",
    }
