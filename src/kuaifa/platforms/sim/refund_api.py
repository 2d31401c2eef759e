"""Simulated after-sales APIs (pdd-reference §4), with the two type codings the real ones use.

- ``pdd.refund.list.increment.get`` (≤ 30 min by update time): types coded 2 仅退款 … 6 维修 (1 = 全部 as a
  filter), amounts as yuan strings, times as Beijing strings.
- ``pdd.refund.information.get``: answered at top level, types coded 1 仅退款 … 5 维修, amounts in integer fen,
  ``expire_time`` only while the case waits on the merchant, ``confirm_time``/``recreated_at`` in epoch ms.
- ``pdd.refund.status.check``: which of the orders have after-sales (open or refunded).
"""

from __future__ import annotations

from typing import Any

from kuaifa.platforms.sim.api_spec import Caller, SimApi
from kuaifa.platforms.sim.clock import beijing
from kuaifa.platforms.sim.params import Params, out_of_range, refuse
from kuaifa.platforms.sim.shop import (
    EXCHANGE,
    REFUND_ONLY,
    REPAIR,
    RESEND,
    RETURN_REFUND,
    WAITING_ON_MERCHANT,
    RefundCase,
)
from kuaifa.platforms.sim.state import SimState

WINDOW_S = 30 * 60
LIST_TYPE_CODES = {REFUND_ONLY: 2, RETURN_REFUND: 3, EXCHANGE: 4, RESEND: 5, REPAIR: 6}
DETAIL_TYPE_CODES = {REFUND_ONLY: 1, RETURN_REFUND: 2, EXCHANGE: 3, RESEND: 4, REPAIR: 5}
ALL = 1


def increment_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """Cases updated in the window, filtered by status and type; ``order_sn`` returns all cases of one order."""
    start, end = params.window("start_updated_at", "end_updated_at", max_seconds=WINDOW_S, now=state.now())
    status = params.integer("after_sales_status")
    kind = params.integer("after_sales_type")
    if kind != ALL and kind not in LIST_TYPE_CODES.values():
        raise out_of_range("after_sales_type", "取值1-6")
    page, size = params.page()
    if params.has("order_sn"):
        cases = state.refund_cases_of(params.text("order_sn"))
    else:
        cases = [
            case
            for case in state.refund_cases_updated_between(start, end)
            if (status == ALL or case.status == status) and (kind == ALL or LIST_TYPE_CODES[case.kind] == kind)
        ]
    return {
        "total_count": len(cases),
        "refund_list": [_list_record(case) for case in cases[(page - 1) * size : page * size]],
    }


def information_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """One case in full, at top level."""
    order_sn = params.text("order_sn")
    after_sales_id = params.integer("after_sales_id")
    case = state.refund_case(after_sales_id)
    if case is None or case.order_sn != order_sn:
        raise refuse("售后单不存在", sub_code="AFTER_SALES_NOT_FOUND", sub_msg=f"{order_sn}/{after_sales_id}")
    return _detail_record(case)


def status_check(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """Orders among ``order_sns`` whose refund summary is not 1 (无售后或售后关闭)."""
    found = []
    for order_sn in params.order_sns():
        order = state.order(order_sn)
        if order is not None and order["refund_status"] in (2, 3, 4):
            found.append({"order_sn": order_sn})
    return {"order_sns_exists_refund": found}


def _list_record(case: RefundCase) -> dict[str, Any]:
    return {
        "id": case.id,
        "order_sn": case.order_sn,
        "after_sales_type": LIST_TYPE_CODES[case.kind],
        "after_sales_status": case.status,
        "after_sale_reason": case.reason,
        "refund_amount": _yuan_text(case.refund_fen),
        "order_amount": _yuan_text(case.order_fen),
        "discount_amount": _yuan_text(case.discount_fen),
        "goods_price": _yuan_text(case.goods_price_fen),
        "goods_id": case.goods_id,
        "goods_name": case.goods_name,
        "good_image": f"https://img.sim.invalid/goods/{case.goods_id}.jpg",
        "sku_id": case.sku_id,
        "outer_id": case.outer_id,
        "outer_goods_id": case.outer_goods_id,
        "goods_number": case.goods_number,
        "tracking_number": case.return_tracking_number,
        "shipping_name": case.return_shipping_name,
        "created_time": beijing(case.created_at),
        "updated_time": beijing(case.updated_at),
        "confirm_time": beijing(case.confirm_at) if case.confirm_at else "",
        "speed_refund_flag": 1 if case.speed_refund else 0,
        "speed_refund_status": ("3" if case.status == 10 else "1") if case.speed_refund else "",
        "user_shipping_status": 2 if case.order_shipped else 1,
        "dispute_refund_status": 0,
        "refund_operator_role": 1,
    }


def _detail_record(case: RefundCase) -> dict[str, Any]:
    waiting = case.status in WAITING_ON_MERCHANT and case.expire_at is not None
    return {
        "id": case.id,
        "order_sn": case.order_sn,
        "after_sales_type": DETAIL_TYPE_CODES[case.kind],
        "after_sales_status": case.status,
        "after_sale_reason": case.reason,
        "refund_amount": case.refund_fen,
        "order_amount": case.order_fen,
        "discount_amount": case.discount_fen,
        "goods_price": case.goods_price_fen,
        "goods_id": case.goods_id,
        "goods_name": case.goods_name,
        "good_image": f"https://img.sim.invalid/goods/{case.goods_id}.jpg",
        "sku_id": case.sku_id,
        "outer_id": case.outer_id,
        "outer_goods_id": case.outer_goods_id,
        "goods_number": case.goods_number,
        "expire_time": beijing(case.expire_at) if waiting and case.expire_at else None,
        "shipping_status": 1 if case.order_shipped else 0,
        "express_no": case.return_tracking_number,
        "shipping_name": case.return_shipping_name,
        "images": [],
        "exist_images": 0,
        "remark": case.remark,
        "join_or_not": 0,
        "speed_refund_flag": 1 if case.speed_refund else 0,
        "user_shipping_status": 2 if case.order_shipped else 1,
        "created_time": beijing(case.created_at),
        "updated_time": beijing(case.updated_at),
        "confirm_time": case.confirm_at * 1000 if case.confirm_at else None,
        "recreated_at": case.created_at * 1000,
    }


def _yuan_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


APIS = (
    SimApi("pdd.refund.list.increment.get", increment_get, "refund_increment_get_response"),
    SimApi("pdd.refund.information.get", information_get, None),
    SimApi("pdd.refund.status.check", status_check, "refund_status_check_response"),
)
