"""PDD e-waybills (电子面单) behind the :class:`kuaifa.domain.carriers.waybills.WaybillProvider` port
(pdd-reference §3.1, §9), over :meth:`PddClient.call`.

Only the API names, the carrier ``wp_code``, the sender, ``order_channels_type`` and the limit of 10 trade orders
per request are documented in our reference; the rest of the shape is our choice, kept minimal and close to PDD's
cloud-print API:

- ``pdd.waybill.get`` with one JSON parameter ``param_waybill_cloud_print_apply_new_request``:
  ``{wp_code, sender{address{province, city, district, detail}, name, mobile}, trade_order_info_dtos[{object_id,
  order_info{order_channels_type: "PDD", trade_order_list: [order_sn]}, package_info{items[{name, count}]},
  recipient{address{province, city, district, detail}, name, mobile}}]}``. ``object_id`` is the order number (one
  order per parcel; merged parcels 合单 are not built), so the answer maps back to orders without a lookup table.
  ``user_id`` is left out: nothing we hold says which id PDD expects there. The recipient is sent as the order
  holds it (ciphertext, else the masks).
- its answer ``pdd_waybill_get_response.modules[{object_id, waybill_code, print_data}]``; ``print_data`` (the
  cloud-print payload) is not kept yet.
- ``pdd.waybill.cancel{wp_code, waybill_code}`` → ``{cancel_result: true}``.

Requests are split into batches of at most 10 orders. Every PDD error becomes a :class:`PlatformError` as in
:mod:`kuaifa.platforms.pdd.gateway`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kuaifa.domain.carriers.waybills import (
    IssuedWaybill,
    WaybillRequest,
    WaybillSender,
    batches,
)
from kuaifa.domain.platform import PlatformError
from kuaifa.platforms.pdd.client import PddClient
from kuaifa.platforms.pdd.gateway import _translated

GET = "pdd.waybill.get"
CANCEL = "pdd.waybill.cancel"
REQUEST_PARAM = "param_waybill_cloud_print_apply_new_request"
CHANNEL = "PDD"


def _sender(sender: WaybillSender) -> dict[str, Any]:
    address = {"province": sender.province, "city": sender.city, "district": sender.district, "detail": sender.detail}
    return {"address": address, "name": sender.name, "mobile": sender.mobile}


def _trade_order(request: WaybillRequest) -> dict[str, Any]:
    r = request.receiver
    return {
        "object_id": request.order_sn,
        "order_info": {"order_channels_type": CHANNEL, "trade_order_list": [request.order_sn]},
        "package_info": {"items": [{"name": item.name, "count": item.count} for item in request.items]},
        "recipient": {
            "address": {
                "province": r.province,
                "city": r.city,
                "district": r.town,
                "detail": r.address or r.address_mask,
            },
            "name": r.name or r.name_mask,
            "mobile": r.phone or r.phone_mask,
        },
    }


class PddWaybills:
    """A shop's e-waybills through one authorised client, shipping from ``sender`` (needed to issue, not to cancel)."""

    def __init__(self, client: PddClient, sender: WaybillSender | None = None) -> None:
        self.client = client
        self.sender = sender

    def issue(self, carrier_code: str, orders: Sequence[WaybillRequest]) -> list[IssuedWaybill]:
        if self.sender is None:
            raise ValueError("taking waybills needs the sender (ship-from) address")
        code, sender = carrier_code.strip().upper(), _sender(self.sender)
        issued: list[IssuedWaybill] = []
        for batch in batches(list(orders)):
            request = {"wp_code": code, "sender": sender,
                       "trade_order_info_dtos": [_trade_order(r) for r in batch]}  # fmt: skip
            with _translated():
                answer = self.client.call(GET, **{REQUEST_PARAM: request})
            issued.extend(_modules(answer, code, {r.order_sn for r in batch}))
        return issued

    def cancel(self, carrier_code: str, waybill_code: str) -> None:
        with _translated():
            answer = self.client.call(CANCEL, wp_code=carrier_code.strip().upper(), waybill_code=waybill_code)
        if answer.get("cancel_result") is not True:
            raise PlatformError(f"{CANCEL} did not cancel {waybill_code}: {answer!r}", code="platform.refused")


def _modules(answer: dict[str, Any], code: str, asked: set[str]) -> list[IssuedWaybill]:
    issued = []
    for module in answer.get("modules") or []:
        order_sn = str(module.get("object_id") or "")
        if order_sn not in asked:
            raise PlatformError(f"{GET} answered for {order_sn!r}, not asked for", code="platform.bad_payload")
        try:
            issued.append(IssuedWaybill(order_sn, code, str(module.get("waybill_code") or ""),
                                        str(module.get("print_data") or "")))  # fmt: skip
        except ValueError as error:
            raise PlatformError(f"{GET}: {error}", code="platform.bad_payload") from error
    return issued
