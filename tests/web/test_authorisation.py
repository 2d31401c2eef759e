"""Connecting a PDD shop the way merchants do (授权), end to end against the simulator's authorisation page and
``pdd.pop.auth.token.create``: state checked, code used once, tokens stored sealed."""

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django_tasks_db.models import DBTaskResult

from kuaifa.persistence.models import Shop, ShopCredential
from kuaifa.platforms.sim.generator import generate_shop
from kuaifa.platforms.sim.server import serve
from kuaifa.platforms.sim.shop import ShopConfig
from kuaifa.platforms.sim.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimState
from kuaifa.services.credentials import credentials_of


@pytest.fixture
def sim(settings):
    state = SimState(generate_shop(ShopConfig(seed=7, orders_per_day=5)), check_timestamp=False)
    server, thread = serve("127.0.0.1", 0, state=state)
    settings.PDD_APP = {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET,
                        "gateway_url": server.base_url, "authorize_url": server.authorize_url}  # fmt: skip
    yield server
    server.stop()
    thread.join(timeout=5)


def agree_on_the_platform(location: str) -> str:
    """What the merchant's browser does on the platform: open the page, click 同意授权, follow the redirect."""
    page = httpx.get(location)
    assert page.status_code == 200 and "同意授权" in page.text
    agree = re.search(r"id='agree' href='([^']+)'", page.text).group(1).replace("&amp;", "&")
    back = httpx.get(f"{location.split('/authorize')[0]}{agree}", follow_redirects=False)
    assert back.status_code == 302
    return back.headers["location"]


def test_the_owner_authorises_a_shop_and_it_is_connected_with_live_tokens(signed_in, sim):
    client = signed_in("owner")
    start = client.post("/shops/authorise/", {"name": "模拟旗舰店"})
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(sim.authorize_url)
    assert query["client_id"] == [DEFAULT_CLIENT_ID] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://testserver/shops/callback/"]
    back = urlsplit(agree_on_the_platform(start["Location"]))
    assert parse_qs(back.query)["state"] == query["state"]
    done = client.get(f"{back.path}?{back.query}", follow=True)
    assert "模拟旗舰店" in done.content.decode()
    shop = Shop.objects.get(name="模拟旗舰店")
    creds = credentials_of(shop)
    assert sim.state.token(creds.access_token) is not None  # a token the platform really issued
    stored = ShopCredential.objects.get(shop=shop)
    assert creds.access_token not in stored.access_token  # sealed at rest
    queued = DBTaskResult.objects.filter(task_path="kuaifa.tasks.jobs.sync_shop").get()
    assert queued.args_kwargs["args"] == [shop.id]  # its first sync waits for the worker, not the next period
    replay = client.get(f"{back.path}?{back.query}", follow=True)
    assert "invalid_input" in replay.content.decode()
    assert Shop.objects.filter(name="模拟旗舰店").count() == 1


def test_a_return_with_someone_elses_state_connects_nothing(signed_in, sim):
    client = signed_in("owner")
    start = client.post("/shops/authorise/", {"name": "别人的店"})
    back = urlsplit(agree_on_the_platform(start["Location"]))
    code = parse_qs(back.query)["code"][0]
    response = client.get(f"/shops/callback/?code={code}&state=forged", follow=True)
    assert "invalid_input" in response.content.decode()
    assert not Shop.objects.filter(name="别人的店").exists()


def test_a_code_already_used_is_refused_by_the_platform(signed_in, sim):
    client = signed_in("owner")
    first = urlsplit(agree_on_the_platform(client.post("/shops/authorise/", {"name": "店A"})["Location"]))
    client.get(f"{first.path}?{first.query}")
    second = client.post("/shops/authorise/", {"name": "店B"})
    state = parse_qs(urlsplit(second["Location"]).query)["state"][0]
    used = parse_qs(first.query)["code"][0]
    response = client.get(f"/shops/callback/?code={used}&state={state}", follow=True)
    assert "platform.auth_refused" in response.content.decode()
    assert not Shop.objects.filter(name="店B").exists()


def test_only_the_owner_may_connect_shops(signed_in, sim):
    assert signed_in("service").post("/shops/authorise/", {"name": "x"}).status_code == 403
    assert signed_in("finance").get("/shops/").status_code == 403
