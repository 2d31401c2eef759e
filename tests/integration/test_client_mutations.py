"""Client behaviours a careless change would break unnoticed: HTTP 429 is a passing failure (retried, counted as
a rate limit), and a token another client already refreshed is used, not refreshed a second time."""

from __future__ import annotations

import random

import pytest

from kuaifa.domain.platform import CallFailure
from kuaifa.persistence.models import ShopCredential
from kuaifa.platforms.pdd.client import PddClient
from kuaifa.platforms.pdd.errors import PddTransportError
from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from kuaifa.services.credentials import credentials_of
from kuaifa.tasks.platforms import pdd_client
from tests.integration.platform_fixtures import Sleeps, connect_sim_shop

COMPANIES = "pdd.logistics.companies.get"
REFRESH = "pdd.pop.auth.token.refresh"
INFO = "pdd.order.information.get"


def _client(sim, sleeps: Sleeps, **options) -> PddClient:
    return PddClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, sim.state.default_token.access_token,
                     base_url=sim.base_url, clock=sim.state.now, sleep=sleeps, rng=random.Random(3),
                     **options)  # fmt: skip


def test_http_429_is_retried_and_reported_as_a_rate_limit_each_time(sim) -> None:
    sim.state.http_error_next(2, status=429, api=COMPANIES)
    failures: list[CallFailure] = []
    sleeps = Sleeps()
    with _client(sim, sleeps) as client:
        client.add_failure_hook(failures.append)

        companies = client.logistics_companies()

    assert any(company.id == 85 for company in companies)
    assert [call.http_status for call in sim.state.calls_of(COMPANIES)] == [429, 429, 200]
    assert len(sleeps.waits) == 2
    assert [(f.api, f.code, f.retried, f.rate_limited) for f in failures] == [
        (COMPANIES, "http_429", True, True),
        (COMPANIES, "http_429", True, True),
    ]


def test_http_429_past_the_retries_is_still_a_retryable_error(sim) -> None:
    sim.state.http_error_next(2, status=429, api=COMPANIES)
    failures: list[CallFailure] = []
    with _client(sim, Sleeps(), max_retries=1) as client, pytest.raises(PddTransportError) as raised:
        client.add_failure_hook(failures.append)
        client.logistics_companies()

    assert raised.value.retryable and raised.value.http_status == 429
    assert [f.retried for f in failures] == [True, False]


def test_a_second_client_uses_the_token_the_first_refreshed_and_does_not_refresh_again(db, sim) -> None:
    shop = connect_sim_shop(sim)
    first = pdd_client(shop, clock=sim.state.now, sleep=Sleeps())
    second = pdd_client(shop, clock=sim.state.now, sleep=Sleeps())  # built with the same, soon expired, token
    old = first.access_token
    sim.state.expire_access_token(old)

    order_sn = sim.state.visible_order_sns()[0]

    first.order_information(order_sn)
    refreshed = credentials_of(shop).access_token
    second.order_information(order_sn)

    assert refreshed != old and first.access_token == second.access_token == refreshed
    assert len(sim.state.calls_of(REFRESH)) == 1  # the refresh token is used up: a second refresh would fail
    assert [call.error_code for call in sim.state.calls_of(INFO)] == [10019, None, 10019, None]
    assert ShopCredential.objects.get(shop=shop).needs_authorization is False
    first.close()
    second.close()
