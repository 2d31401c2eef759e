"""Simulated after-sales APIs (pdd-reference §4), with the two type codings the real ones use.

- ``pdd.refund.list.increment.get`` (≤ 30 min by update time): types coded 2 仅退款 … 6 维修 (1 = 全部 as a
  filter), amounts as yuan strings, times as Beijing strings.
- ``pdd.refund.information.get``: answered at top level, types coded 1 仅退款 … 5 维修, amounts in integer fen,
  ``expire_time`` only while the case waits on the merchant, ``confirm_time``/``recreated_at`` in epoch ms.
- ``pdd.refund.status.check``: which of the orders have after-sales (open or refunded).
- ``pdd.refund.agree`` and ``pdd.refund.returngoods.agree``: the merchant's decisions, ``request`` sent as a JSON
  string (§1.3), answered in a bare ``response`` wrapper as the SDKs read it. The rules (simulator choices where
  PDD publishes none):

  - ``pdd.refund.agree`` is accepted while a 仅退款 or 退货退款 case waits on the merchant for the money:
    2 仅退款待处理, 3 退货退款待处理 (refund without taking the goods back), 33 待商家召回, or 7 once the buyer's
    return waybill is known (the goods are on their way back). The case moves at once to 4 商家同意退款，退款中
    and, when the simulated clock has passed ``state.refund_settle_s`` (default 120 s) more, to 10 退款成功; the
    order's ``refund_status`` follows (3 退款中, then 4 退款成功).
  - ``pdd.refund.returngoods.agree`` is accepted only at 3 退货退款待处理 and moves the case to 7 已同意退货退款，
    待用户发货 (order ``refund_status`` stays 2 售后处理中). ``return_address_id`` must be one of the shop's return
    addresses; when it is left out the default one is used.
  - Anything else (another status, a terminal case, an exchange or repair) is refused with 21001 and sub_code
    ``AFTER_SALES_STATUS_NOT_ALLOWED``, the current status in ``sub_msg``; an unknown case with
    ``AFTER_SALES_NOT_FOUND``. Each accepted decision is recorded once in ``state.refund_decisions``; refusals are
    not decisions. A decision drops what the generator scripted for the case and its order after now.
- ``pdd.refund.exchange.shipping``: the replacement of a 换货 or 补寄 case shipped, its parameters at top level
  (``after_sales_id``, ``order_sn``, ``shipping_id``, ``shipping_name``, ``tracking_number``, §4.1). Accepted while
  the case waits on the merchant to send it: 14 换货补寄待商家处理 or 32 补寄待商家发货. The carrier must be one of
  ``pdd.logistics.companies.get`` and available, ``shipping_name`` given, the tracking number letters and digits
  (at most 50). The case moves to 18 换货补寄待用户确认完成 (a simulator choice: the buyer confirms once the parcel
  arrives), the order's ``refund_status`` to 2 售后处理中. Refusals as above: another type or status 21001
  ``AFTER_SALES_STATUS_NOT_ALLOWED`` (so a second call is refused, and the client recognises the case at 18);
  an unknown carrier ``LOGISTICS_NOT_FOUND`` / ``LOGISTICS_UNAVAILABLE``.
- ``pdd.refund.address.list.get``: the shop's return addresses (two per shop, deterministic; the first is default).
"""

from __future__ import annotations

from typing import Any

from kuaifa.platforms.sim.api_spec import Caller, SimApi
from kuaifa.platforms.sim.clock import beijing
from kuaifa.platforms.sim.logistics_api import MAX_TRACKING_LENGTH, check_carrier
from kuaifa.platforms.sim.params import Params, SimApiError, out_of_range, refuse
from kuaifa.platforms.sim.shop import (
    EXCHANGE,
    REFUND_ONLY,
    REPAIR,
    RESEND,
    RETURN_REFUND,
    WAITING_ON_MERCHANT,
    RefundCase,
)
from kuaifa.platforms.sim.state import RefundDecisionRecord, SimState

WINDOW_S = 30 * 60
LIST_TYPE_CODES = {REFUND_ONLY: 2, RETURN_REFUND: 3, EXCHANGE: 4, RESEND: 5, REPAIR: 6}
DETAIL_TYPE_CODES = {REFUND_ONLY: 1, RETURN_REFUND: 2, EXCHANGE: 3, RESEND: 4, REPAIR: 5}
ALL = 1

AGREE_REFUND = "pdd.refund.agree"
AGREE_RETURN = "pdd.refund.returngoods.agree"
EXCHANGE_SHIPPING = "pdd.refund.exchange.shipping"
STATUS_NOT_ALLOWED = "AFTER_SALES_STATUS_NOT_ALLOWED"
#: statuses from which the merchant's pdd.refund.agree is accepted (7 only once the return waybill is known)
AGREE_REFUND_FROM = frozenset({2, 3, 33})
AGREE_RETURN_FROM = frozenset({3})
MERCHANT_AGREED, REFUNDED, RETURN_AGREED = 4, 10, 7
#: statuses from which the replacement of an exchange or resend may be shipped, and the status it moves to
EXCHANGE_SHIP_FROM = frozenset({14, 32})
REPLACEMENT_SHIPPED = 18
#: the order's refund_status (§2.2) for the case statuses a decision sets: 3 退款中, 4 退款成功, 2 售后处理中
ORDER_REFUND_STATUS = {MERCHANT_AGREED: 3, REFUNDED: 4, RETURN_AGREED: 2, REPLACEMENT_SHIPPED: 2}
MAX_OPERATE_DESC = 500  # not published; a sanity bound


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


def agree(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.refund.agree``: the merchant agrees to refund; 4 商家同意退款 now, 10 退款成功 after the settle delay."""
    request = params.json_object("request")
    order_sn, after_sales_id, note = _decision_request(request)
    with state.lock:  # check and record atomically: two concurrent agreements cannot both pass
        case = _own_case(state, order_sn, after_sales_id)
        return_back = case.status == RETURN_AGREED and bool(case.return_tracking_number)
        may_agree = case.status in AGREE_REFUND_FROM or return_back
        if case.kind not in (REFUND_ONLY, RETURN_REFUND) or not may_agree:
            raise _not_allowed(case, "同意退款")
        now = int(state.now())
        settled = now + int(state.refund_settle_s)
        state.record_refund_decision(
            RefundDecisionRecord(AGREE_REFUND, order_sn, case.id, case.status, MERCHANT_AGREED, note, now),
            [_step(now, MERCHANT_AGREED), _step(settled, REFUNDED, confirm_at=settled)],
        )
    return {"result": {"succ": True, "message": "退款操作成功", "after_sales_id": case.id, "order_sn": order_sn}}


def returngoods_agree(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.refund.returngoods.agree``: the merchant agrees to take the goods back; 3 → 7 待用户发货."""
    request = params.json_object("request")
    order_sn, after_sales_id, note = _decision_request(request)
    with state.lock:
        case = _own_case(state, order_sn, after_sales_id)
        if case.kind != RETURN_REFUND or case.status not in AGREE_RETURN_FROM:
            raise _not_allowed(case, "同意退货")
        if request.has("return_address_id"):
            address = state.return_address(request.integer("return_address_id"))
            if address is None:
                raise refuse(
                    "退货地址不存在", sub_code="RETURN_ADDRESS_NOT_FOUND", sub_msg=request.text("return_address_id")
                )
        else:
            address = state.default_return_address()
        now = int(state.now())
        state.record_refund_decision(
            RefundDecisionRecord(
                AGREE_RETURN, order_sn, case.id, case.status, RETURN_AGREED, note, now, return_address_id=address.id
            ),
            [_step(now, RETURN_AGREED)],
        )
    result = {"success": True, "message": "同意退货成功", "after_sales_id": case.id, "order_sn": order_sn}
    return {"success": True, "error_code": None, "error_msg": None, "result": result}


def exchange_shipping(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.refund.exchange.shipping``: the merchant ships the replacement; 14 or 32 → 18 待用户确认完成."""
    order_sn = params.text("order_sn")
    after_sales_id = params.integer("after_sales_id")
    shipping_id = params.integer("shipping_id")
    shipping_name = params.text("shipping_name").strip()
    tracking_number = params.text("tracking_number").strip()
    if not shipping_name:
        raise out_of_range("shipping_name", "物流公司名称不能为空")
    if not tracking_number.isalnum() or not tracking_number.isascii() or len(tracking_number) > MAX_TRACKING_LENGTH:
        raise out_of_range("tracking_number", f"运单号只能是字母和数字，最多{MAX_TRACKING_LENGTH}位")
    check_carrier(shipping_id)
    with state.lock:
        case = _own_case(state, order_sn, after_sales_id)
        if case.kind not in (EXCHANGE, RESEND) or case.status not in EXCHANGE_SHIP_FROM:
            raise _not_allowed(case, "换货发货")
        now = int(state.now())
        state.record_refund_decision(
            RefundDecisionRecord(
                EXCHANGE_SHIPPING,
                order_sn,
                case.id,
                case.status,
                REPLACEMENT_SHIPPED,
                "",
                now,
                shipping=(shipping_id, shipping_name, tracking_number),
            ),
            [_step(now, REPLACEMENT_SHIPPED)],
        )
    result = {"success": True, "message": "换货发货成功", "after_sales_id": case.id, "order_sn": order_sn}
    return {"success": True, "error_code": None, "error_msg": None, "result": result}


def address_list_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.refund.address.list.get``: the shop's return addresses."""
    return {"refund_address_list": [address.record() for address in state.return_addresses]}


def _decision_request(request: Params) -> tuple[str, int, str]:
    order_sn = request.text("order_sn")
    after_sales_id = request.integer("after_sales_id")
    note = request.text("operate_desc", "")
    if len(note) > MAX_OPERATE_DESC:
        raise out_of_range("operate_desc", f"最多{MAX_OPERATE_DESC}个字")
    return order_sn, after_sales_id, note


def _own_case(state: SimState, order_sn: str, after_sales_id: int) -> RefundCase:
    case = state.refund_case(after_sales_id)
    if case is None or case.order_sn != order_sn:
        raise refuse("售后单不存在", sub_code="AFTER_SALES_NOT_FOUND", sub_msg=f"{order_sn}/{after_sales_id}")
    return case


def _not_allowed(case: RefundCase, action: str) -> SimApiError:
    return refuse(
        f"售后单当前状态不允许{action}",
        sub_code=STATUS_NOT_ALLOWED,
        sub_msg=f"after_sales_id={case.id} after_sales_status={case.status}",
    )


def _step(moment: int, status: int, **case_changes: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """One version of the case and its order at ``moment``; none of these statuses waits on the merchant."""
    assert status not in WAITING_ON_MERCHANT
    order_changes = {"after_sales_status": status, "refund_status": ORDER_REFUND_STATUS[status]}
    return moment, {"status": status, "expire_at": None, **case_changes}, order_changes


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
    SimApi(AGREE_REFUND, agree, "response"),
    SimApi(AGREE_RETURN, returngoods_agree, "response"),
    SimApi("pdd.refund.address.list.get", address_list_get, "refund_address_list_get_response"),
    SimApi(EXCHANGE_SHIPPING, exchange_shipping, "response"),
)
