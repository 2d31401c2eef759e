"""JSON columns written in bulk (``insert_rows``: COPY on PostgreSQL from 32 rows, ``executemany`` below and on
SQLite) read back as the values given, whichever encoder wrote them."""

import json
from datetime import timedelta

import pytest

from kuaifa.persistence.bulk import COPY_FROM, insert_rows
from kuaifa.persistence.models import Order, OrderEvent
from kuaifa.services.audit import EVENT_COLUMNS
from kuaifa.services.intake import ingest_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db

DETAILS = [
    {"wave": "W261111-001", "slot": 7},
    {"units": {"绿茶": 2, "茶杯": 1}, "note": '买家要改地址\n"急"', "empty": {}, "list": []},
    {1: "int key", "none": None, "flag": True, "ratio": 1.5, "nested": [[1, 2], {"a": ["b"]}]},
    {"big": 2**70, "negative": -(2**63)},  # past 64 bits: orjson refuses, json.dumps writes it
]


@pytest.mark.parametrize("count", [COPY_FROM - 1, COPY_FROM + 8])
def test_event_details_written_in_bulk_read_back_as_given(shop, catalog, count):
    ingest_orders(shop, [make_order("J-01", ("TEA-001", 1))], source=Order.Source.API, actor=ACTOR, now=NOW)
    order_id = Order.objects.get(order_sn="J-01").id
    rows = [
        (order_id, "note", "", "", ACTOR.stored, DETAILS[n % len(DETAILS)], NOW + timedelta(seconds=n))
        for n in range(count)
    ]
    OrderEvent.objects.all().delete()
    assert insert_rows(OrderEvent, EVENT_COLUMNS, rows) == count
    stored = list(OrderEvent.objects.order_by("created_at").values_list("details", flat=True))
    assert stored == [json.loads(json.dumps(row[5])) for row in rows]


def test_a_value_json_cannot_write_is_refused_in_bulk_too(shop, catalog):
    ingest_orders(shop, [make_order("J-02", ("TEA-001", 1))], source=Order.Source.API, actor=ACTOR, now=NOW)
    order_id = Order.objects.get(order_sn="J-02").id
    rows = [(order_id, "note", "", "", ACTOR.stored, {"at": NOW}, NOW)] * (COPY_FROM + 1)
    with pytest.raises(TypeError):
        insert_rows(OrderEvent, EVENT_COLUMNS, rows)
