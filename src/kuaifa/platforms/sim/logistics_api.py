"""Simulated logistics APIs (pdd-reference §3): the carrier list, 发货 (``pdd.logistics.online.send``) and extra
waybills (``pdd.order.upload.extra.logistics``).

online.send follows the platform rules: the carrier must be a known, available id; ``redelivery_type`` 1 (first
shipment) only for 待发货, 2 (modify, overwriting the shipment) only for an order already shipped. An order under
risk review, on ``ship_hold`` or refunded is refused (a simulator choice: PDD tells merchants not to ship these).
A first shipment of an order that is already shipped is refused with sub_code ``ORDER_ALREADY_SHIPPED``; when the
carrier and number are the ones on the order the sub_msg says so, which lets a client that retried after a lost
answer recognise its own earlier shipment.

``pdd.order.upload.extra.logistics`` adds waybills the buyer sees besides the main one: ``extra_track_type``
1 分包发货 / 2 补发商品 / 3 发放赠品 (1 when left out), ``extra_track_list`` a JSON string of
``{shipping_id, tracking_number}`` (§1.3). Only for an order already shipped (``ORDER_NOT_SHIPPED`` otherwise); every
carrier must be a known, available id; a waybill equal to the order's main one is refused
(``SAME_AS_MAIN_TRACKING``). An accepted upload is recorded in ``state.extra_logistics`` and the order object lists the
waybills in ``extra_delivery_list``, ``resend_delivery_list`` or ``gift_delivery_list`` by type, each waybill once: a
repeated upload (a retry) is accepted and recorded again but leaves the order as it was.
"""

from __future__ import annotations

from typing import Any

from kuaifa.platforms.sim.api_spec import Caller, SimApi
from kuaifa.platforms.sim.params import PARAM_ERROR, Params, SimApiError, out_of_range, refuse
from kuaifa.platforms.sim.state import ExtraLogisticsRecord, ShipmentRecord, SimState

#: (id, name, code, available) from the 2020 companies dump (§3.2), with 极兔 as today's JTSD
LOGISTICS_COMPANIES: tuple[tuple[int, str, str, int], ...] = (
    (1, "申通快递", "STO", 1),
    (3, "百世快递", "HT", 1),
    (44, "顺丰快递", "SF", 1),
    (85, "圆通快递", "YTO", 1),
    (115, "中通快递", "ZTO", 1),
    (117, "优速快递", "YS", 1),
    (118, "邮政EMS", "EMS", 1),
    (119, "天天快递", "TT", 1),
    (120, "京东配送", "JD", 1),
    (121, "韵达快递", "YUNDA", 1),
    (124, "国通快递", "GTO", 1),
    (129, "宅急送快递", "ZJS", 1),
    (131, "德邦快递", "DB", 1),
    (132, "邮政快递包裹", "YZXB", 1),
    (155, "速尔快递", "SURE", 1),
    (180, "其他", "SELF", 1),
    (183, "跨越速运", "KYE", 1),
    (204, "百世快递", "BSKD", 0),
    (208, "安能快递", "ANNENG", 1),
    (230, "德邦物流", "DEBANGWULIU", 1),
    (324, "邮政标准快递", "POSTBBZ", 1),
    (340, "京东大件物流", "JDKD", 1),
    (343, "中通快运", "ZTOKY", 1),
    (344, "韵达快运", "YDKY", 1),
    (345, "安能快运", "ANKY", 1),
    (348, "壹米滴答", "YMDD", 1),
    (372, "顺丰快运", "SFKY", 1),
    (384, "极兔速递", "JTSD", 1),
)
AVAILABLE = {company_id for company_id, _, _, available in LOGISTICS_COMPANIES if available}
KNOWN = {company_id for company_id, _, _, _ in LOGISTICS_COMPANIES}
ALREADY_SHIPPED = "ORDER_ALREADY_SHIPPED"
MAX_TRACKING_LENGTH = 50  # not published; a sanity bound
#: extra_track_type → the order object's list that shows those waybills (§2.2, §3.1)
EXTRA_TRACK_LISTS = {1: "extra_delivery_list", 2: "resend_delivery_list", 3: "gift_delivery_list"}
MAX_EXTRA_TRACKS = 20  # not published; a sanity bound


def companies_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.logistics.companies.get``: every carrier with its id, name, code and availability."""
    return {
        "logistics_companies": [
            {"id": company_id, "logistics_company": name, "code": code, "available": available}
            for company_id, name, code, available in LOGISTICS_COMPANIES
        ]
    }


def online_send(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.logistics.online.send``: check the rules, record the shipment, move the order to 已发货."""
    order_sn = params.text("order_sn")
    logistics_id = params.integer("logistics_id")
    tracking_number = params.text("tracking_number").strip()
    redelivery_type = params.integer("redelivery_type", 1)
    if redelivery_type not in (1, 2):
        raise out_of_range("redelivery_type", "取值1(首次发货)或2(修改发货)")
    if len(tracking_number) > MAX_TRACKING_LENGTH:
        raise out_of_range("tracking_number", "运单号过长")
    check_carrier(logistics_id)
    with state.lock:  # check and record atomically: two concurrent first shipments cannot both pass
        order = state.order(order_sn)
        if order is None:
            raise SimApiError(45001, "订单不属于当前店铺或订单不存在", sub_msg=order_sn)
        _check_shippable(order, redelivery_type, logistics_id, tracking_number)
        shipment = ShipmentRecord(order_sn, logistics_id, tracking_number, redelivery_type, int(state.now()))
        state.record_shipment(shipment)
    return {"is_success": True}


def upload_extra_logistics(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.order.upload.extra.logistics``: extra waybills of a shipped order, shown to the buyer only."""
    order_sn = params.text("order_sn")
    track_type = params.integer("extra_track_type", 1)
    if track_type not in EXTRA_TRACK_LISTS:
        raise out_of_range("extra_track_type", "取值1(分包发货)、2(补发商品)或3(发放赠品)")
    tracks = params.json_objects("extra_track_list")
    if not tracks:
        raise SimApiError(PARAM_ERROR, "参数错误:extra_track_list", sub_msg="extra_track_list不能为空")
    if len(tracks) > MAX_EXTRA_TRACKS:
        raise out_of_range("extra_track_list", f"最多{MAX_EXTRA_TRACKS}个运单")
    parcels: list[tuple[int, str]] = []
    for track in tracks:
        shipping_id = track.integer("shipping_id")
        tracking_number = track.text("tracking_number").strip()
        if not tracking_number or len(tracking_number) > MAX_TRACKING_LENGTH:
            raise out_of_range("tracking_number", "运单号为空或过长")
        check_carrier(shipping_id)
        if (shipping_id, tracking_number) not in parcels:
            parcels.append((shipping_id, tracking_number))
    with state.lock:
        order = state.order(order_sn)
        if order is None:
            raise SimApiError(45001, "订单不属于当前店铺或订单不存在", sub_msg=order_sn)
        if order["order_status"] == 1:
            raise refuse("订单未发货，不能上传额外运单", sub_code="ORDER_NOT_SHIPPED", sub_msg=order_sn)
        main = (order["logistics_id"], order["tracking_number"])
        if main in parcels:
            raise refuse("额外运单号不能与发货运单号相同", sub_code="SAME_AS_MAIN_TRACKING", sub_msg=main[1])
        record = ExtraLogisticsRecord(order_sn, track_type, tuple(parcels), int(state.now()))
        state.record_extra_logistics(record, EXTRA_TRACK_LISTS[track_type])
    return {"success": True}


def check_carrier(logistics_id: int) -> None:
    """A carrier id must be one of ``pdd.logistics.companies.get`` and available for shipping."""
    if logistics_id not in KNOWN:
        raise refuse("物流公司不存在", sub_code="LOGISTICS_NOT_FOUND", sub_msg=str(logistics_id))
    if logistics_id not in AVAILABLE:
        raise refuse("该物流公司不支持发货", sub_code="LOGISTICS_UNAVAILABLE", sub_msg=str(logistics_id))


def _check_shippable(order: dict[str, Any], redelivery_type: int, logistics_id: int, tracking_number: str) -> None:
    shipped = order["order_status"] != 1
    if redelivery_type == 1 and shipped:
        same = order["logistics_id"] == logistics_id and order["tracking_number"] == tracking_number
        detail = "订单已使用该运单号发货" if same else f"订单已发货，运单号{order['tracking_number']}"
        raise refuse("订单已发货，不能重复发货", sub_code=ALREADY_SHIPPED, sub_msg=detail)
    if redelivery_type == 2 and not shipped:
        raise refuse("订单未发货，不能修改发货信息", sub_code="ORDER_NOT_SHIPPED")
    if redelivery_type == 2:
        return
    if order["confirm_status"] == 2 or order["refund_status"] == 4:
        raise refuse("订单已取消或已退款，不能发货", sub_code="ORDER_CLOSED")
    if order["risk_control_status"] == 1:
        raise refuse("订单审核中，不能发货", sub_code="ORDER_RISK_REVIEW")
    if any(tag.get("name") == "ship_hold" and tag.get("value") == 1 for tag in order.get("order_tag_list") or []):
        raise refuse("订单暂停发货", sub_code="ORDER_SHIP_HOLD")


APIS = (
    SimApi("pdd.logistics.companies.get", companies_get, "logistics_companies_get_response", needs_token=False),
    SimApi("pdd.logistics.online.send", online_send, "logistics_online_send_response"),
    SimApi("pdd.order.upload.extra.logistics", upload_extra_logistics, "upload_extra_logistics_response"),
)
