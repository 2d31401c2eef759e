"""Simulated token and time APIs (pdd-reference §1.5, §2.1): ``pdd.pop.auth.token.refresh`` swaps a refresh token
for a new pair; ``pdd.time.get`` tells the simulator's now, for clock calibration. Neither needs a merchant token.
"""

from __future__ import annotations

from typing import Any

from kuaifa.platforms.sim.api_spec import Caller, SimApi
from kuaifa.platforms.sim.clock import beijing
from kuaifa.platforms.sim.params import PARAM_ERROR, Params, SimApiError
from kuaifa.platforms.sim.state import SimState


def _grant(state: SimState, record: Any) -> dict[str, Any]:
    """The token pair as both token APIs answer it (pdd-reference §1.5)."""
    now = int(state.now())
    return {
        "access_token": record.access_token,
        "expires_in": record.expires_at - now,
        "expires_at": record.expires_at,
        "refresh_token": record.refresh_token,
        "refresh_token_expires_in": record.refresh_expires_at - now,
        "refresh_token_expires_at": record.refresh_expires_at,
        "scope": ["pdd.order.number.list.increment.get", "pdd.logistics.online.send"],
        "owner_id": record.owner_id,
        "owner_name": record.owner_name,
    }


def token_refresh(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """New access and refresh tokens for a valid, unused refresh token of this app (10000 otherwise)."""
    record = state.refresh(params.text("refresh_token"), caller.client_id)
    if record is None:
        raise SimApiError(PARAM_ERROR, "参数错误:refresh_token", sub_msg="refresh_token无效或已过期")
    return _grant(state, record)


def token_create(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """Tokens for an authorisation code from the authorisation page (10000 for an unknown or used code)."""
    record = state.redeem_code(params.text("code"), caller.client_id)
    if record is None:
        raise SimApiError(PARAM_ERROR, "参数错误:code", sub_msg="code无效或已使用")
    return _grant(state, record)


def time_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """The simulator's now as a Beijing time string."""
    return {"time": beijing(state.now())}


APIS = (
    SimApi("pdd.pop.auth.token.refresh", token_refresh, "pop_auth_token_refresh_response", needs_token=False),
    SimApi("pdd.pop.auth.token.create", token_create, "pop_auth_token_create_response", needs_token=False),
    SimApi("pdd.time.get", time_get, "time_get_response", needs_token=False),
)
