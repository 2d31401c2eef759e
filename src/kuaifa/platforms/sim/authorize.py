"""The simulated authorisation page (授权, pdd-reference §1.5): the merchant sees which app asks for access and
agrees; the page sends them back to the app's ``redirect_uri`` with a one-time ``code`` and the app's ``state``.

The app then swaps the code for tokens with ``pdd.pop.auth.token.create`` (see auth_api).
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

from kuaifa.platforms.sim.gateway import Reply
from kuaifa.platforms.sim.state import SimState


def _page(title: str, body: str, status: int = 200) -> Reply:
    text = f"<!doctype html><meta charset='utf-8'><title>{title}</title><h1>{title}</h1>{body}"
    return Reply(status, text.encode(), "text/html; charset=utf-8")


def authorization_page(state: SimState, query: dict[str, str]) -> Reply | str:
    """The consent page, or (``agree=1``) the URL to send the merchant back to with the code."""
    client_id, redirect_uri, app_state = (
        query.get("client_id", ""),
        query.get("redirect_uri", ""),
        query.get("state", ""),
    )
    if client_id not in state.apps or not redirect_uri.startswith(("http://", "https://")):
        return _page("授权失败", "<p>应用不存在或回调地址无效 (client_id / redirect_uri)。</p>", 400)
    if query.get("agree") == "1":
        code = state.grant_code(client_id)
        joiner = "&" if "?" in redirect_uri else "?"
        return f"{redirect_uri}{joiner}{urlencode({'code': code, 'state': app_state})}"
    agree = "/authorize?" + urlencode({**query, "agree": "1"})
    shop = html.escape(state.shop.config.mall_name)
    body = (f"<p>应用 <b>{html.escape(client_id)}</b> 申请访问店铺 <b>{shop}</b> 的订单、物流与售后数据。</p>"
            f"<p><a id='agree' href='{html.escape(agree)}'>同意授权</a></p>")  # fmt: skip
    return _page("拼多多授权（模拟）", body)
