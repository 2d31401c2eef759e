"""Mapping PDD order objects, and reading gateway errors: pure functions, checked on hand-written payloads
(pdd-reference §1.4, §2.2)."""

from __future__ import annotations

from typing import Any

import pytest

from kuaifa.platforms.pdd.errors import (
    PddAuthError,
    PddBannedError,
    PddBusinessError,
    PddError,
    PddOrderNotFound,
    PddParamError,
    PddPermissionError,
    PddRateLimited,
    PddRetryableError,
    PddSignError,
    PddTokenExpired,
    PddTransportError,
    error_from_response,
)
from kuaifa.platforms.pdd.mapping import OrderMappingError, order_from_pdd


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "order_sn": "260302-111111111111111",
        "order_status": 2,
        "refund_status": 1,
        "confirm_status": 1,
        "created_time": "2026-03-02 10:00:00",
        "updated_at": "2026-03-03 09:00:00",
        "shipping_time": "2026-03-03 09:00:00",
        "goods_amount": 19.9,
        "pay_amount": 19.9,
        "item_list": [{"goods_id": 1, "sku_id": 2, "goods_count": 1, "goods_price": 19.9}],
        "logistics_id": 85,
        "tracking_number": "YT1",
    }
    order.update(changes)
    return order


def test_a_minimal_shipped_order_maps() -> None:
    order = order_from_pdd(_order())

    assert order.pay_amount_fen == 1990 and order.lines[0].unit_price_fen == 1990
    assert order.lines[0].goods_id == "1" and order.lines[0].platform_sku_id == "2"
    assert order.receiver.name == "" and order.discount_amount_fen == 0
    assert order.shipped_at is not None and order.shipped_at.isoformat() == "2026-03-03T01:00:00+00:00"
    assert (order.logistics_id, order.tracking_number) == (85, "YT1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"order_sn": ""}, "order_sn"),
        ({"order_status": None}, "order_status"),
        ({"order_status": 7}, "order_status"),
        ({"refund_status": "x"}, "refund_status"),
        ({"pay_amount": 19.999}, "pay_amount"),
        ({"pay_amount": "abc"}, "pay_amount"),
        ({"created_time": "2026/03/02 10:00"}, "created_time"),
        ({"item_list": []}, "item_list"),
        ({"item_list": [{"goods_count": 0, "goods_price": 1}]}, "item_list[0].goods_count"),
        ({"item_list": [{"goods_count": 1, "goods_price": 1.001}]}, "item_list[0].goods_price"),
        ({"order_tag_list": [{"value": 1}]}, "order_tag_list[0]"),
        ({"is_pre_sale": True}, "is_pre_sale"),
    ],
)
def test_malformed_orders_name_the_field_and_the_order(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(OrderMappingError) as raised:
        order_from_pdd(_order(**changes))

    assert raised.value.field == field
    assert field in str(raised.value)
    if changes.get("order_sn") != "":
        assert "260302-111111111111111" in str(raised.value)


def test_tags_are_those_with_value_1_sorted() -> None:
    tags = [
        {"name": "open_in_festival", "value": 1},
        {"name": "ship_hold", "value": 0},
        {"name": "free_sf", "value": 1},
    ]

    order = order_from_pdd(_order(order_tag_list=tags))

    assert order.tags == ("free_sf", "open_in_festival") and order.ship_hold is False


@pytest.mark.parametrize(
    ("code", "error", "retryable"),
    [
        (50001, PddRetryableError, True),
        (52102, PddRetryableError, True),
        (70031, PddRateLimited, True),
        (52101, PddRateLimited, True),
        (10019, PddTokenExpired, False),
        (20032, PddAuthError, False),
        (10016, PddAuthError, False),
        (20004, PddSignError, False),
        (20031, PddPermissionError, False),
        (70034, PddBannedError, False),
        (21002, PddBusinessError, False),
        (45001, PddOrderNotFound, False),
        (10001, PddParamError, False),
        (99999, PddError, False),
    ],
)
def test_error_codes_become_typed_errors(code: int, error: type[PddError], retryable: bool) -> None:
    envelope = {
        "error_response": {
            "error_code": code,
            "error_msg": "公共参数错误:type",
            "sub_code": None,
            "sub_msg": "",
            "request_id": "15440104776643887",
        }
    }

    raised = error_from_response(envelope)

    assert type(raised) is error
    assert (raised.code, raised.msg, raised.sub_code, raised.request_id) == (
        code,
        "公共参数错误:type",
        None,
        "15440104776643887",
    )
    assert raised.retryable is retryable


def test_an_error_response_without_a_code_is_a_transport_error() -> None:
    assert isinstance(error_from_response({"error_response": {"error_msg": "?"}}), PddTransportError)
