"""Simulated order APIs (pdd-reference §2.1): the increment list by ``updated_at`` (≤ 30 min, paged, with the
``use_has_next`` switch), the list by confirm time (≤ 24 h), one order (45001 when not the shop's or older than
90 days), and the batch status query.

Pages are cut from a list sorted by (time, order_sn), so the same request gives the same page and a walk from
the last page to the first sees every order.
"""

from __future__ import annotations

from typing import Any

from kuaifa.platforms.sim.api_spec import Caller, SimApi
from kuaifa.platforms.sim.clock import epoch_of_beijing
from kuaifa.platforms.sim.params import Params, SimApiError, out_of_range
from kuaifa.platforms.sim.shop import DAY
from kuaifa.platforms.sim.state import SimState

INCREMENT_WINDOW_S = 30 * 60
CONFIRM_WINDOW_S = 24 * 3600
HISTORY_S = 90 * DAY  # orders are served for 3 months after 成交
ORDER_NOT_FOUND = 45001


def increment_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.order.number.list.increment.get``: full orders whose current ``updated_at`` is in the window."""
    now = state.now()
    start, end = params.window("start_updated_at", "end_updated_at", max_seconds=INCREMENT_WINDOW_S, now=now)
    orders = [o for o in state.orders_updated_between(start, end) if _within_history(o, now) and _matches(o, params)]
    return _page(orders, params, "order_sn_list")


def list_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.order.list.get``: orders whose 成交 time is in the window (≤ 24 h, within the last 3 months)."""
    now = state.now()
    start, end = params.window("start_confirm_at", "end_confirm_at", max_seconds=CONFIRM_WINDOW_S, now=now)
    if start < now - HISTORY_S:
        raise out_of_range("start_confirm_at", "只能查询最近3个月的订单")
    orders = [o for o in state.orders_confirmed_between(start, end) if _matches(o, params)]
    return _page(orders, params, "order_list")


def information_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.order.information.get``: one order; 45001 when unknown, not yet visible or older than 3 months."""
    order_sn = params.text("order_sn")
    order = state.order(order_sn)
    if order is None or not _within_history(order, state.now()):
        raise SimApiError(ORDER_NOT_FOUND, "订单不属于当前店铺或订单不存在", sub_msg=order_sn)
    return {"order_info": order}


def status_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.order.status.get``: ``orderSn`` (camelCase, as documented), order_status, refund_status; 0 = 异常."""
    rows = []
    for order_sn in params.order_sns():
        order = state.order(order_sn)
        rows.append(
            {
                "orderSn": order_sn,
                "order_status": order["order_status"] if order else 0,
                "refund_status": order["refund_status"] if order else 0,
            }
        )
    return {"order_status_list": rows}


def _matches(order: dict[str, Any], params: Params) -> bool:
    """The list filters: order_status 1/2/3 or 5 全部; refund_status 1..4 or 5 全部 (both required);
    is_lucky_flag 0 全部 / 1 非抽奖 / 2 抽奖; trade_type 0/1 when given."""
    order_status = params.integer("order_status")
    refund_status = params.integer("refund_status")
    if order_status not in (1, 2, 3, 5):
        raise out_of_range("order_status", "取值1,2,3,5")
    if refund_status not in (1, 2, 3, 4, 5):
        raise out_of_range("refund_status", "取值1-5")
    if order_status != 5 and order["order_status"] != order_status:
        return False
    if refund_status != 5 and order["refund_status"] != refund_status:
        return False
    lucky = params.integer("is_lucky_flag", 0)
    if lucky in (1, 2) and order.get("is_lucky_flag", 1) != lucky:
        return False
    return not (params.has("trade_type") and order.get("trade_type", 0) != params.integer("trade_type"))


def _within_history(order: dict[str, Any], now: float) -> bool:
    confirmed = epoch_of_beijing(order.get("confirm_time") or "")
    return confirmed is None or confirmed >= now - HISTORY_S


def _page(orders: list[dict[str, Any]], params: Params, list_key: str) -> dict[str, Any]:
    """One page; ``total_count`` only when ``use_has_next`` is false (the default), ``has_next`` always."""
    page, size = params.page()
    chunk = orders[(page - 1) * size : page * size]
    answer: dict[str, Any] = {list_key: chunk, "has_next": page * size < len(orders)}
    if not params.boolean("use_has_next", False):
        answer["total_count"] = len(orders)
    return answer


APIS = (
    SimApi("pdd.order.number.list.increment.get", increment_get, "order_sn_increment_get_response"),
    SimApi("pdd.order.list.get", list_get, "order_list_get_response"),
    SimApi("pdd.order.information.get", information_get, "order_info_get_response"),
    SimApi("pdd.order.status.get", status_get, "order_status_get_response"),
)
