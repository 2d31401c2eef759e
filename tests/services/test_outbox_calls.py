"""Outbox payloads are typed per kind and read from the JSON entries have always been stored in."""

import pytest

from kuaifa.persistence.models import OutboxEntry
from kuaifa.services.outbox import deliver
from kuaifa.services.outbox_calls import (
    CALLS,
    AgreeRefund,
    AgreeReturn,
    ExtraParcels,
    OutboxPayloadError,
    ShipReplacement,
    ShipUpload,
    read_payload,
)
from tests.factories import NOW

#: payloads exactly as they were written before the types existed (rows in existing databases)
STORED = {
    "ship": {"order_sn": "260101-1", "logistics_id": 115, "tracking_number": "YT1", "shipment_id": 7},
    "extra_parcels": {
        "order_sn": "260101-1",
        "kind": 2,
        "parcels": [[115, "YT2"], [44, "SF3"]],
        "shipment_ids": [8, 9],
    },
    "agree_refund": {"order_sn": "260101-1", "after_sales_id": "AS1", "note": ""},
    "agree_return": {"order_sn": "260101-1", "after_sales_id": "AS1", "return_address_id": 3, "note": "退回仓库"},
    "exchange_shipping": {
        "order_sn": "260101-1",
        "after_sales_id": "AS1",
        "logistics_id": 115,
        "carrier_name": "中通快递",
        "tracking_number": "ZT9",
        "shipment_id": 10,
    },
}


def test_every_stored_shape_reads_as_its_typed_payload_and_writes_back_unchanged():
    read = {kind: read_payload(kind, data, entry_id=1) for kind, data in STORED.items()}

    assert read == {
        "ship": ShipUpload("260101-1", 115, "YT1", shipment_id=7),
        "extra_parcels": ExtraParcels("260101-1", 2, ((115, "YT2"), (44, "SF3")), (8, 9)),
        "agree_refund": AgreeRefund("260101-1", "AS1"),
        "agree_return": AgreeReturn("260101-1", "AS1", 3, "退回仓库"),
        "exchange_shipping": ShipReplacement("260101-1", "AS1", 115, "中通快递", "ZT9", 10),
    }
    assert {kind: payload.to_json() for kind, payload in read.items()} == STORED
    assert set(CALLS) == set(STORED)


def test_a_correction_is_stored_as_before_and_read_back():
    stored = {"order_sn": "o", "logistics_id": 1, "tracking_number": "N", "correction": True, "shipment_id": 2}
    payload = read_payload("ship", stored, entry_id=1)
    assert payload == ShipUpload("o", 1, "N", 2, correction=True)
    assert payload.to_json() == stored
    assert payload.shipment_ids() == (2,)


def test_an_unknown_kind_is_refused_by_name_with_the_known_ones():
    with pytest.raises(OutboxPayloadError) as refused:
        read_payload("cancel_order", {}, entry_id=12)
    assert refused.value.code == "outbox.unknown_kind"
    assert str(refused.value) == (
        "outbox entry 12: unknown kind 'cancel_order' (known: agree_refund, agree_return, exchange_shipping, "
        "extra_parcels, ship)"
    )


@pytest.mark.parametrize(
    "kind, data, field",
    [
        ("ship", {"order_sn": "o", "tracking_number": "N"}, "'logistics_id' is missing"),
        ("ship", {"order_sn": "o", "logistics_id": "115", "tracking_number": "N"}, "'logistics_id' is '115'"),
        ("ship", {"order_sn": "o", "logistics_id": True, "tracking_number": "N"}, "'logistics_id' is True"),
        ("extra_parcels", {"order_sn": "o", "kind": 1, "parcels": [[1]]}, "'parcels' is [[1]]"),
        ("agree_return", {"order_sn": "o", "after_sales_id": "A"}, "'return_address_id' is missing"),
        (
            "exchange_shipping",
            {"order_sn": "o", "after_sales_id": "A", "logistics_id": 1, "tracking_number": "N"},
            "'carrier_name' is missing",
        ),
    ],
)
def test_a_malformed_payload_is_refused_naming_the_entry_and_the_field(kind, data, field):
    with pytest.raises(OutboxPayloadError) as refused:
        read_payload(kind, data, entry_id=5)
    assert refused.value.code == "outbox.bad_payload"
    assert f"outbox entry 5 ({kind}): field {field}" in str(refused.value)


def _no_platform(shop):
    raise AssertionError("an entry that cannot be read must not reach the platform")


@pytest.mark.django_db
def test_an_entry_of_an_unknown_kind_is_parked_for_a_person_without_calling_the_platform(shop):
    entry = OutboxEntry.objects.create(
        shop=shop, kind="cancel_order", key="k1", payload={"order_sn": "o"}, next_attempt_at=NOW, created_at=NOW
    )

    delivery = deliver(entry.id, _no_platform, now=NOW)

    entry.refresh_from_db()
    assert (delivery.outcome, entry.state, entry.attempts) == ("failed", OutboxEntry.State.FAILED, 1)
    assert entry.last_error == (
        f"[outbox.unknown_kind] outbox entry {entry.id}: unknown kind 'cancel_order' "
        "(known: agree_refund, agree_return, exchange_shipping, extra_parcels, ship)"
    )
    assert entry.result == {}
