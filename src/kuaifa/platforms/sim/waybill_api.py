"""Simulated e-waybill APIs (电子面单, pdd-reference §3.1): ``pdd.waybill.get`` and ``pdd.waybill.cancel``.

The request shape is the one :mod:`kuaifa.platforms.pdd.waybill` documents (our choice; PDD's field names beyond
the API names, ``wp_code``, the sender, ``order_channels_type`` and "≤ 10 trade orders" are not in the reference).
The rules, each a simulator choice where PDD publishes none:

- ``wp_code`` must be a carrier in the companies list (else ``WP_CODE_UNKNOWN``), available and offering
  e-waybills here — the carriers with a known number shape (else ``WP_CODE_UNAVAILABLE``);
- the sender needs name, mobile, province and detail; 1–10 ``trade_order_info_dtos``, each with an ``object_id``,
  ``order_channels_type`` ``PDD`` and exactly one order number in ``trade_order_list`` (merged parcels not
  simulated);
- every order must exist (45001), be 待发货 (``ORDER_NOT_WAIT_SHIP``), not be under risk review
  (``ORDER_RISK_REVIEW``), closed or refunded (``ORDER_CLOSED``). The request is all or nothing: one refused order
  refuses it and no number is taken;
- the same order asked again for the same carrier gets the same number while it is not cancelled (idempotent); a
  cancelled number is never given again, and each carrier's numbers are unique and shaped like that carrier's
  (e.g. 中通 14 digits, 圆通 ``YT`` + 13 digits);
- ``pdd.waybill.cancel{wp_code, waybill_code}`` frees it (``{cancel_result: true}``); a second cancel is answered
  the same; an unknown number is refused (``WAYBILL_NOT_FOUND``), one the order already shipped with too
  (``WAYBILL_USED``).

Each module's ``print_data`` is the cloud-print payload the platform's print component needs (§3.4): a JSON string
``{encryptedData, signature, templateUrl, ver}``. ``encryptedData`` is really encrypted (Fernet, with a key only the
simulator and its stand-in print component hold: :func:`print_cipher`); it holds the waybill number, carrier,
order, sender and receiver (the simulator keeps no plaintext receiver, so its masks and region stand in), and
``signature`` is an HMAC over it. Kuaifa stores and forwards it and can read none of it.

Numbers are recorded per :class:`SimState` in a :class:`WaybillBook` (:func:`waybills`): every number issued, with
the order, carrier and whether it was cancelled.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass, replace
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.fernet import Fernet

from kuaifa.platforms.sim.api_spec import Caller, SimApi
from kuaifa.platforms.sim.logistics_api import LOGISTICS_COMPANIES
from kuaifa.platforms.sim.params import PARAM_ERROR, Params, SimApiError, out_of_range, refuse
from kuaifa.platforms.sim.state import SimState

MAX_TRADE_ORDERS = 10
REQUEST_PARAM = "param_waybill_cloud_print_apply_new_request"

#: wp_code → (prefix, digits after it): numbers shaped like the carrier's (pdd-reference §3.3)
NUMBER_SHAPES: dict[str, tuple[str, int]] = {
    "ZTO": ("78", 12),  # 14 digits
    "YTO": ("YT", 13),
    "YUNDA": ("43", 13),  # 15 digits
    "STO": ("773", 12),
    "JTSD": ("JT", 13),
    "SF": ("SF", 13),
    "EMS": ("11", 11),
    "YZXB": ("98", 11),
    "POSTBBZ": ("97", 11),
    "JD": ("JDX", 12),
    "DB": ("DPK", 12),
    "ANNENG": ("30", 10),
    "YMDD": ("60", 10),
    "ZTOKY": ("20", 10),
}
#: the stand-in template the print component lays the standard area out with
TEMPLATE_URL = "https://sim.kuaifa.local/cloudprint/template/standard_76x130.xml"
PRINT_DATA_VERSION = "3"
#: the simulator's print key; ``KUAIFA_SIM_PRINT_SECRET`` sets another one for the server and component alike
_DEFAULT_PRINT_SECRET = "kuaifa-simulator-print-secret"
_COMPANIES = {code: available for _, _, code, available in LOGISTICS_COMPANIES}


@dataclass(frozen=True, slots=True)
class WaybillRecord:
    order_sn: str
    wp_code: str
    waybill_code: str
    object_id: str
    issued_at: int
    cancelled_at: int | None = None


class WaybillBook:
    """The simulated shop's e-waybills: every number issued, by carrier, in issue order."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.records: list[WaybillRecord] = []
        self._seq = 0

    def live(self, order_sn: str, wp_code: str) -> WaybillRecord | None:
        return next((r for r in self.records if r.order_sn == order_sn and r.wp_code == wp_code
                     and r.cancelled_at is None), None)  # fmt: skip

    def find(self, wp_code: str, waybill_code: str) -> tuple[int, WaybillRecord] | None:
        return next(((i, r) for i, r in enumerate(self.records) if r.wp_code == wp_code
                     and r.waybill_code == waybill_code), None)  # fmt: skip

    def new_number(self, wp_code: str) -> str:
        prefix, digits = NUMBER_SHAPES[wp_code]
        taken = {r.waybill_code for r in self.records if r.wp_code == wp_code}
        while True:
            self._seq += 1
            digest = hashlib.sha256(f"{self.seed}|{wp_code}|{self._seq}".encode()).hexdigest()
            number = prefix + str(int(digest, 16))[-digits:].rjust(digits, "0")
            if number not in taken:
                return number


_BOOKS: WeakKeyDictionary[SimState, WaybillBook] = WeakKeyDictionary()
_BOOKS_LOCK = threading.Lock()


def waybills(state: SimState) -> WaybillBook:
    """The waybill book of ``state`` (created on first use)."""
    with _BOOKS_LOCK:
        book = _BOOKS.get(state)
        if book is None:
            book = _BOOKS[state] = WaybillBook(state.shop.config.seed)
        return book


def waybill_get(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.waybill.get``: one number per trade order for carrier ``wp_code``, all or nothing."""
    request = params.json_object(REQUEST_PARAM)
    wp_code = request.text("wp_code").strip().upper()
    _check_carrier(wp_code)
    _check_sender(request.json_object("sender"))
    dtos = request.json_objects("trade_order_info_dtos")
    if not 1 <= len(dtos) <= MAX_TRADE_ORDERS:
        raise out_of_range("trade_order_info_dtos", f"每次1-{MAX_TRADE_ORDERS}个订单")
    wanted = [(dto.text("object_id"), _order_sn(dto)) for dto in dtos]
    if len({object_id for object_id, _ in wanted}) != len(wanted):
        raise out_of_range("object_id", "object_id不能重复")
    book = waybills(state)
    with state.lock:  # check every order, then take every number: nothing taken when one is refused
        for _, order_sn in wanted:
            _check_order(state, order_sn)
        modules = []
        for object_id, order_sn in wanted:
            record = book.live(order_sn, wp_code)
            if record is None:
                record = WaybillRecord(order_sn, wp_code, book.new_number(wp_code), object_id, int(state.now()))
                book.records.append(record)
            package = next(d for d in dtos if d.text("object_id") == object_id).raw.get("package_info", "")
            content = _label_content(state, record, request.raw.get("sender", ""), package)
            print_data = seal_print_data(content)
            modules.append({"object_id": object_id, "waybill_code": record.waybill_code,
                            "print_data": print_data})  # fmt: skip
    return {"modules": modules}


def _print_secret() -> bytes:
    return (os.environ.get("KUAIFA_SIM_PRINT_SECRET") or _DEFAULT_PRINT_SECRET).encode()


def print_cipher() -> Fernet:
    """The simulator's print-data cipher, shared with its stand-in print component and nobody else."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"fernet|" + _print_secret()).digest()))


def _sign(encrypted: str) -> str:
    return hmac.new(hashlib.sha256(b"sign|" + _print_secret()).digest(), encrypted.encode(), "sha256").hexdigest()


def seal_print_data(content: dict[str, Any]) -> str:
    """``content`` as the platform's print_data: encrypted, signed, with the template it prints on."""
    encrypted = print_cipher().encrypt(json.dumps(content, ensure_ascii=False).encode()).decode()
    return json.dumps({"encryptedData": encrypted, "signature": _sign(encrypted), "templateUrl": TEMPLATE_URL,
                       "ver": PRINT_DATA_VERSION}, separators=(",", ":"))  # fmt: skip


class PrintDataInvalid(ValueError):
    """Print data the simulator did not issue, or altered on the way."""


def open_print_data(encrypted: str, signature: str) -> dict[str, Any]:
    """The label content inside one standard area; raises :class:`PrintDataInvalid` when forged or altered."""
    if not hmac.compare_digest(_sign(encrypted), signature or ""):
        raise PrintDataInvalid("signature does not match the encrypted data")
    try:
        return json.loads(print_cipher().decrypt(encrypted.encode()))
    except Exception as error:  # InvalidToken, or not JSON inside
        raise PrintDataInvalid(f"cannot decrypt: {type(error).__name__}") from None


def _label_content(state: SimState, record: WaybillRecord, sender: str, package: str) -> dict[str, Any]:
    order = state.order(record.order_sn) or {}
    try:
        items = (json.loads(package) if package else {}).get("items") or []
    except (ValueError, AttributeError):
        items = []
    return {
        "waybill_code": record.waybill_code, "wp_code": record.wp_code, "order_sn": record.order_sn,
        "sender": json.loads(sender),
        "recipient": {"name": order.get("receiver_name_mask", ""), "mobile": order.get("receiver_phone_mask", ""),
                      "province": order.get("province", ""), "city": order.get("city", ""),
                      "district": order.get("town", ""), "detail": order.get("receiver_address_mask", "")},
        "items": items,
    }  # fmt: skip


def waybill_cancel(state: SimState, params: Params, caller: Caller) -> dict[str, Any]:
    """``pdd.waybill.cancel``: give an unused number back; a second cancel is answered the same."""
    wp_code = params.text("wp_code").strip().upper()
    waybill_code = params.text("waybill_code").strip()
    book = waybills(state)
    with state.lock:
        found = book.find(wp_code, waybill_code)
        if found is None:
            raise refuse("电子面单不存在", sub_code="WAYBILL_NOT_FOUND", sub_msg=f"{wp_code} {waybill_code}")
        index, record = found
        if record.cancelled_at is None:
            order = state.order(record.order_sn)
            if order is not None and order["order_status"] != 1 and order["tracking_number"] == waybill_code:
                raise refuse("面单已发货使用，不能取消", sub_code="WAYBILL_USED", sub_msg=waybill_code)
            book.records[index] = replace(record, cancelled_at=int(state.now()))
    return {"cancel_result": True}


def _check_carrier(wp_code: str) -> None:
    if wp_code not in _COMPANIES:
        raise refuse("快递公司编码不存在", sub_code="WP_CODE_UNKNOWN", sub_msg=wp_code)
    if not _COMPANIES[wp_code] or wp_code not in NUMBER_SHAPES:
        raise refuse("该快递公司不支持电子面单", sub_code="WP_CODE_UNAVAILABLE", sub_msg=wp_code)


def _check_sender(sender: Params) -> None:
    address = sender.json_object("address")
    for name, value in (("sender.name", sender.raw.get("name", "")), ("sender.mobile", sender.raw.get("mobile", "")),
                        ("sender.address.province", address.raw.get("province", "")),
                        ("sender.address.detail", address.raw.get("detail", ""))):  # fmt: skip
        if not value.strip():
            raise SimApiError(PARAM_ERROR, f"参数错误:{name}", sub_msg=f"{name}不能为空")


def _order_sn(dto: Params) -> str:
    info = dto.json_object("order_info")
    channel = info.text("order_channels_type").strip().upper()
    if channel != "PDD":
        raise out_of_range("order_channels_type", "模拟器只支持PDD订单")
    try:
        order_sns = json.loads(info.text("trade_order_list"))
    except ValueError:
        order_sns = None
    if not isinstance(order_sns, list) or len(order_sns) != 1 or not str(order_sns[0]).strip():
        raise out_of_range("trade_order_list", "每个包裹一个订单号")
    return str(order_sns[0]).strip()


def _check_order(state: SimState, order_sn: str) -> None:
    order = state.order(order_sn)
    if order is None:
        raise SimApiError(45001, "订单不属于当前店铺或订单不存在", sub_msg=order_sn)
    if order["order_status"] != 1:
        raise refuse("订单不是待发货状态", sub_code="ORDER_NOT_WAIT_SHIP", sub_msg=order_sn)
    if order["confirm_status"] == 2 or order["refund_status"] == 4:
        raise refuse("订单已取消或已退款", sub_code="ORDER_CLOSED", sub_msg=order_sn)
    if order["risk_control_status"] == 1:
        raise refuse("订单审核中，不能取号", sub_code="ORDER_RISK_REVIEW", sub_msg=order_sn)


APIS = (
    SimApi("pdd.waybill.get", waybill_get, "pdd_waybill_get_response"),
    SimApi("pdd.waybill.cancel", waybill_cancel, "pdd_waybill_cancel_response"),
)
