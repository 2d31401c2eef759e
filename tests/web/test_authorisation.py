"""Connecting a PDD shop the way merchants do (授权), end to end against the simulator's authorisation page and
``pdd.pop.auth.token.create``: state checked, code used once, tokens stored sealed."""

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django_tasks_db.models import DBTaskResult

from kuaifa.persistence.models import AccessEvent, Order, Shop, ShopCredential
from kuaifa.platforms.sim.generator import generate_shop
from kuaifa.platforms.sim.server import serve
from kuaifa.platforms.sim.shop import ShopConfig
from kuaifa.platforms.sim.state import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SimState
from kuaifa.services.credentials import credentials_of
from kuaifa.services.shop_sync import sync_shop
from kuaifa.services.sync import SyncSettings
from kuaifa.tasks.platforms import platform_for
from tests.integration.platform_fixtures import ACTOR, SimSleeps, lookback_from, sim_now


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


def authorise(client, name: str) -> str:
    """Press 授权 for ``name``, agree on the platform, come back: the page the owner lands on."""
    back = urlsplit(agree_on_the_platform(client.post("/shops/authorise/", {"name": name})["Location"]))
    return client.get(f"{back.path}?{back.query}", follow=True).content.decode()


def sync_against(sim, shop):
    state = sim.state
    return sync_shop(shop, platform_for(shop, clock=state.now, sleep=SimSleeps(state)), actor=ACTOR,
                     clock=lambda: sim_now(state),
                     settings=SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts)))  # fmt: skip


def test_a_shop_whose_token_the_platform_refuses_is_flagged_and_authorised_again_its_sync_resumes(signed_in, sim):
    client = signed_in("owner")
    authorise(client, "模拟旗舰店")
    shop = Shop.objects.get(name="模拟旗舰店")
    old = credentials_of(shop).access_token
    sim.state.revoke_access_token(old)  # as a platform that forgot or revoked it: every call answers 20032

    refused = sync_against(sim, shop)

    assert refused.errors["orders"].platform_code == "20032"
    assert refused.errors["orders"].code == "platform.authorization"
    assert not Order.objects.filter(shop=shop).exists()
    assert ShopCredential.objects.get(shop=shop).needs_authorization
    page = client.get("/shops/").content.decode()
    assert "data-needs-authorisation" in page and "data-authorise-again" in page

    landed = authorise(client, "模拟旗舰店")

    assert "shop.authorised_again" in landed
    assert Shop.objects.filter(name="模拟旗舰店").count() == 1
    creds = credentials_of(shop)
    assert creds.access_token != old and sim.state.token(creds.access_token) is not None
    assert not creds.needs_authorization
    event = AccessEvent.objects.get(kind="shop_authorised_again")
    assert event.actor.endswith("owner") and event.details["shop_id"] == shop.id and event.details["was_flagged"]
    assert "data-needs-authorisation" not in client.get("/shops/").content.decode()
    resumed = sync_against(sim, shop)
    assert resumed.ok and resumed.orders.ingest.created == len(sim.state.visible_order_sns())


def test_authorising_an_existing_name_with_another_platform_shop_changes_nothing(signed_in, sim):
    client = signed_in("owner")
    authorise(client, "模拟旗舰店")
    shop = Shop.objects.get(name="模拟旗舰店")
    ShopCredential.objects.filter(shop=shop).update(owner_id="770001", needs_authorization=True)
    before = ShopCredential.objects.get(shop=shop)

    landed = authorise(client, "模拟旗舰店")

    assert "credentials.other_shop" in landed
    after = ShopCredential.objects.get(shop=shop)
    assert (after.access_token, after.needs_authorization) == (before.access_token, True)
    assert not AccessEvent.objects.filter(kind="shop_authorised_again").exists()


def test_a_file_import_shop_of_that_name_is_not_turned_into_a_platform_shop(signed_in, sim, shop):
    landed = authorise(signed_in("owner"), shop.name)

    assert "credentials.not_connected" in landed
    assert not ShopCredential.objects.filter(shop=shop).exists()
