"""The e-waybill value types refuse what cannot be a waybill, and requests go in batches of at most 10."""

from __future__ import annotations

import dataclasses

import pytest

from kuaifa.domain.carriers.waybills import (
    MAX_ORDERS_PER_REQUEST,
    IssuedWaybill,
    WaybillItem,
    WaybillRequest,
    WaybillSender,
    batches,
)
from kuaifa.domain.orders.canonical import Receiver

RECEIVER = Receiver(province="浙江省", city="杭州市", town="西湖区", name="~AgAAAA~", name_mask="张*")


def test_a_request_needs_an_order_number_and_items_and_keeps_the_receiver_as_given():
    request = WaybillRequest("260301-123456789012345", RECEIVER, (WaybillItem("绿茶", 2),))
    assert request.receiver.name == "~AgAAAA~" and request.receiver.name_mask == "张*"
    with pytest.raises(ValueError, match="order number"):
        WaybillRequest(" ", RECEIVER, (WaybillItem("绿茶", 1),))
    with pytest.raises(ValueError, match="at least one item"):
        WaybillRequest("260301-123456789012345", RECEIVER, ())


@pytest.mark.parametrize(("name", "count"), [("", 1), ("  ", 1), ("绿茶", 0), ("绿茶", -1)])
def test_an_item_has_a_name_and_a_positive_count(name, count):
    with pytest.raises(ValueError):
        WaybillItem(name, count)


@pytest.mark.parametrize("number", ["", " YT1234567890123", "YT 1234567890123", "YT1234567890123\n"])
def test_an_issued_waybill_has_a_number_without_spaces(number):
    with pytest.raises(ValueError):
        IssuedWaybill("260301-123456789012345", "YTO", number)


def test_an_issued_waybill_names_its_order_and_carrier_and_is_frozen():
    waybill = IssuedWaybill("260301-123456789012345", "ZTO", "78123456789012")
    with pytest.raises(dataclasses.FrozenInstanceError):
        waybill.waybill_code = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        IssuedWaybill("260301-123456789012345", "", "78123456789012")
    with pytest.raises(ValueError):
        IssuedWaybill("", "ZTO", "78123456789012")


def test_the_sender_needs_a_name_mobile_and_address_but_not_a_district():
    WaybillSender("快发仓", "13800000000", "浙江省", "杭州市", "", "文一西路1号")
    with pytest.raises(ValueError, match="mobile, detail"):
        WaybillSender("快发仓", "", "浙江省", "杭州市", "余杭区", " ")


def test_requests_go_in_batches_of_at_most_ten():
    assert MAX_ORDERS_PER_REQUEST == 10
    assert [len(b) for b in batches(list(range(23)))] == [10, 10, 3]
    assert [list(b) for b in batches([1, 2, 3], 2)] == [[1, 2], [3]]
    assert list(batches([])) == []
    with pytest.raises(ValueError):
        list(batches([1], 0))
