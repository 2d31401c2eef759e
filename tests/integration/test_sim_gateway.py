"""The simulator keeps the gateway's rules: public parameters, sign, timestamp, type, token, paging and windows,
JSON bodies, token refresh, visibility by its clock, and a deterministic shop per seed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from kuaifa.platforms.pdd.signing import encode_params, sign
from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ShopConfig, SimGatewayServer, generate_shop
from kuaifa.platforms.sim.clock import epoch_of_beijing


def _post(sim: SimGatewayServer, params: dict[str, Any], *, secret: str = DEFAULT_CLIENT_SECRET) -> dict[str, Any]:
    """A hand-made signed form request: public parameters filled in unless given (None removes one)."""
    full: dict[str, Any] = {
        "client_id": DEFAULT_CLIENT_ID,
        "timestamp": str(int(sim.state.now())),
        "access_token": sim.state.default_token.access_token,
        "data_type": "JSON",
        **params,
    }
    wire = encode_params(full)
    wire["sign"] = sign(wire, secret)
    response = httpx.post(sim.base_url, data=wire, timeout=5)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _error_code(body: dict[str, Any]) -> int | None:
    return body.get("error_response", {}).get("error_code")


@pytest.mark.parametrize("missing", ["type", "client_id", "timestamp"])
def test_a_missing_public_parameter_is_10001(sim: SimGatewayServer, missing: str) -> None:
    body = _post(sim, {"type": "pdd.time.get", missing: None})

    assert _error_code(body) == 10001
    assert missing in body["error_response"]["error_msg"]


def test_an_unknown_client_is_10016_and_an_unknown_type_10017(sim: SimGatewayServer) -> None:
    assert _error_code(_post(sim, {"type": "pdd.time.get", "client_id": "nobody"})) == 10016
    assert _error_code(_post(sim, {"type": "pdd.order.teleport"})) == 10017


def test_a_timestamp_more_than_10_minutes_off_is_refused(sim: SimGatewayServer) -> None:
    now = int(sim.state.now())

    assert _error_code(_post(sim, {"type": "pdd.time.get", "timestamp": str(now - 601)})) == 10001
    assert _error_code(_post(sim, {"type": "pdd.time.get", "timestamp": str(now + 599)})) is None


def test_an_unknown_token_is_20032(sim: SimGatewayServer) -> None:
    body = _post(sim, {"type": "pdd.order.information.get", "order_sn": "x", "access_token": "forged"})

    assert _error_code(body) == 20032


def test_a_json_body_is_accepted_with_values_signed_as_text(sim: SimGatewayServer) -> None:
    start = sim.state.shop.start_ts
    params: dict[str, Any] = {
        "type": "pdd.order.number.list.increment.get",
        "client_id": DEFAULT_CLIENT_ID,
        "timestamp": int(sim.state.now()),
        "access_token": sim.state.default_token.access_token,
        "start_updated_at": start,
        "end_updated_at": start + 1800,
        "order_status": 5,
        "refund_status": 5,
        "use_has_next": False,
    }
    params["sign"] = sign(params, DEFAULT_CLIENT_SECRET)

    response = httpx.post(sim.base_url, content=json.dumps(params), headers={"Content-Type": "application/json"})

    answer = response.json()["order_sn_increment_get_response"]
    assert answer["total_count"] == len(answer["order_sn_list"])


def test_paging_and_window_limits(sim: SimGatewayServer) -> None:
    start = sim.state.shop.start_ts
    base = {"type": "pdd.order.number.list.increment.get", "order_status": 5, "refund_status": 5}

    assert _error_code(_post(sim, {**base, "start_updated_at": start, "end_updated_at": start + 60, "page_size": 101}))
    assert _error_code(_post(sim, {**base, "start_updated_at": start, "end_updated_at": start + 60, "page": 0}))
    assert _error_code(_post(sim, {**base, "start_updated_at": start + 60, "end_updated_at": start})) == 21002
    assert _error_code(_post(sim, {**base, "start_updated_at": start})) == 10000  # end missing
    listed = {"type": "pdd.order.list.get", "order_status": 5, "refund_status": 5}
    assert _error_code(_post(sim, {**listed, "start_confirm_at": start, "end_confirm_at": start + 86_401})) == 21002
    assert _error_code(_post(sim, {**listed, "start_confirm_at": start, "end_confirm_at": start + 86_400})) is None


def test_a_refresh_token_gives_a_new_pair_once(sim: SimGatewayServer) -> None:
    refresh_token = sim.state.default_token.refresh_token
    request = {"type": "pdd.pop.auth.token.refresh", "refresh_token": refresh_token, "access_token": None}

    granted = _post(sim, request)["pop_auth_token_refresh_response"]
    again = _post(sim, request)

    assert granted["access_token"] != sim.state.default_token.access_token
    assert granted["expires_at"] > sim.state.now()
    assert _error_code(again) == 10000


def test_only_orders_updated_by_now_are_visible(sim: SimGatewayServer) -> None:
    state = sim.state
    state.set_now(state.shop.start_ts + 12 * 3600)

    visible = [state.order(sn) for sn in state.visible_order_sns()]

    assert 0 < len(visible) < state.shop.config.orders_per_day
    assert all(order and epoch_of_beijing(order["updated_at"]) <= state.now() for order in visible)


def test_the_same_seed_gives_the_same_shop_and_another_seed_another() -> None:
    first, second = generate_shop(ShopConfig(seed=5)), generate_shop(ShopConfig(seed=5))
    other = generate_shop(ShopConfig(seed=6))

    assert first.orders == second.orders and first.refunds == second.refunds
    assert first.orders != other.orders


def test_the_generated_shop_has_the_documented_kinds_of_orders() -> None:
    shop = generate_shop(ShopConfig(seed=11, orders_per_day=400))
    first_versions = [versions[0].order for versions in shop.orders.values()]
    last_versions = [versions[-1].order for versions in shop.orders.values()]

    under_review = [o for o in first_versions if o["risk_control_status"] == 1]
    assert under_review and all(o["receiver_name"] == "" and o["receiver_name_mask"] for o in under_review)
    assert any(tag["name"] == "ship_hold" and tag["value"] for o in first_versions for tag in o["order_tag_list"])
    pre_sale = [o for o in first_versions if o["is_pre_sale"] == 1]
    assert pre_sale and all(o["last_ship_time"].endswith("23:59:59") for o in pre_sale)
    assert any(o["item_list"][0]["outer_id"] == "BUNDLE-TS3" for o in first_versions)
    assert any(o["buyer_memo"] for o in first_versions)
    assert any(o["refund_status"] == 4 and o["order_status"] == 1 for o in last_versions)  # cancelled before shipping
    assert any(o["order_status"] in (2, 3) and o["after_sales_status"] for o in last_versions)  # after-sales later
    peak = sum(1 for o in first_versions if o["created_time"][11:13] in ("20", "21"))
    night = sum(1 for o in first_versions if o["created_time"][11:13] in ("03", "04"))
    assert peak > 5 * max(night, 1)
