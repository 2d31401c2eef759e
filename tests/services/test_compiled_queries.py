"""A query built once and then only run (``persistence.compiled``) reads what the ORM reads, whatever the values."""

from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import F, IntegerField, Value
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext

from kuaifa.persistence.compiled import values_rows
from kuaifa.persistence.models import Order
from kuaifa.persistence.queries.order_detail import _lines_with_shelf, order_stock
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db


def test_the_lines_with_their_shelf_read_as_through_the_orm_for_each_order(shop, catalog):
    receive_stock("TEA-001", 3, actor=ACTOR, now=NOW)
    ingest_orders(shop, [
        make_order("K-01", ("TEA-001", 2), ("CUP-002", 1), ship_in_hours=5),  # CUP-002 short: held
        make_order("K-02", ("TEA-001", 1), ship_in_hours=2),  # due first: holds TEA-001 before K-01
        make_order("K-03", ("GIFT-SET", 1), ship_in_hours=30),  # a bundle
        make_order("K-04", ("NOPE-404", 1)),  # unmapped
    ], source=Order.Source.API, actor=ACTOR, now=NOW)  # fmt: skip
    review_orders(actor=ACTOR, now=NOW)
    orders = list(Order.objects.order_by("order_sn"))
    for order in orders:
        kept = values_rows("test:lines", _lines_with_shelf, order_id=order.id, ship_by=order.ship_by)
        assert kept == list(_lines_with_shelf(order.id, order.ship_by)), order.order_sn
    k01, k02, k03 = orders[:3]
    rows = values_rows("test:lines", _lines_with_shelf, order_id=k02.id, ship_by=k02.ship_by)
    assert [row["reservations__created_at"] for row in rows] == [NOW]  # converted: an aware datetime
    bundle = values_rows("test:lines", _lines_with_shelf, order_id=k03.id, ship_by=k03.ship_by)
    assert [row["sku__is_bundle"] for row in bundle] == [True]  # converted: a boolean on SQLite too
    assert order_stock(k01).lines[0].earlier_orders_holding == 1  # K-02, due earlier, holds TEA-001
    later = values_rows("test:lines", _lines_with_shelf, order_id=k01.id, ship_by=NOW - timedelta(days=1))
    assert [row["earlier"] for row in later] == [
        row["earlier"] for row in _lines_with_shelf(k01.id, NOW - timedelta(days=1))
    ]
    with CaptureQueriesContext(connection) as queries:
        values_rows("test:lines", _lines_with_shelf, order_id=k01.id, ship_by=k01.ship_by)
    assert len(queries) == 1  # through Django's cursor: in the query log


def test_a_query_whose_value_lands_in_the_sql_is_not_kept_and_still_reads_right(shop, catalog):
    ingest_orders(shop, [make_order("L-01", ("TEA-001", 1)), make_order("L-02", ("TEA-001", 1))],
                  source=Order.Source.API, actor=ACTOR, now=NOW)  # fmt: skip
    ids = sorted(Order.objects.values_list("id", flat=True))

    def inlined(order_id: int):  # a value the compiler writes into the SQL text itself
        return (
            Order.objects.filter(id=order_id)
            .annotate(shown=Cast(Value(str(order_id)), IntegerField()) + F("id") * 0)
            .extra(where=[f"id = {int(order_id)}"])
            .values("id", "shown")
        )

    for order_id in ids:
        assert values_rows("test:inlined", inlined, order_id=order_id) == [{"id": order_id, "shown": order_id}]
    assert connections["default"].__dict__["_kuaifa_compiled"]["test:inlined"] is None  # not kept


def test_a_value_that_decides_the_shape_is_refused():
    with pytest.raises(TypeError, match="ship_by=None decides the query's shape"):
        values_rows("test:none", _lines_with_shelf, order_id=1, ship_by=None)


def test_a_plain_order_list_reads_what_the_orm_reads_page_after_page(shop, catalog):
    """A list with only a status or a shop chosen runs its kept statement; the same list within a scope naming
    every shop is built through the ORM: each page and each cursor the same."""
    from kuaifa.persistence.queries_web import OrderFilter, order_page
    from kuaifa.services.catalog import add_shop
    from kuaifa.services.orders import ManualLine, create_manual_order

    other = add_shop("第二店", now=NOW)
    receive_stock("TEA-001", 4, actor=ACTOR, now=NOW)
    for i, target in enumerate([shop, other] * 6):
        ingest_orders(
            target,
            [make_order(f"P-{i:02d}", ("TEA-001", 1), ship_in_hours=(i % 4) * 3)],
            source=Order.Source.API,
            actor=ACTOR,
            now=NOW,
        )  # fmt: skip (equal ship-bys: the id decides)
    review_orders(actor=ACTOR, now=NOW)
    from kuaifa.domain.orders.canonical import Receiver

    receiver = Receiver(province="上海市", city="上海市", town="浦东新区", name="张三", phone="13800001234",
                        address="世纪大道1号")  # fmt: skip
    create_manual_order(shop, [ManualLine("CUP-002", 1)], receiver, actor=ACTOR, now=NOW)  # no ship-by: last
    assert Order.objects.filter(source=Order.Source.MANUAL).update(ship_by=None) == 1
    everyone = frozenset({shop.id, other.id})
    for chosen in [{}, {"status": "ON_HOLD"}, {"status": "ACCEPTED"}, {"shop_id": other.id}]:
        seen, after, after_orm = [], "", ""
        while True:
            plain = order_page(OrderFilter(**chosen), now=NOW, after=after, limit=5)
            orm = order_page(OrderFilter(**chosen, scope=everyone), now=NOW, after=after_orm, limit=5)
            assert plain == orm, chosen
            seen += [row.order_sn for row in plain.rows]
            if plain.next_cursor is None:
                break
            after = after_orm = plain.next_cursor
        expected = Order.objects.filter(**chosen).count()
        assert len(seen) == len(set(seen)) == expected, chosen
    assert order_page(OrderFilter(), now=NOW, after="2026-11-26T02:00:00+00:00|x").rows == []
    assert order_page(OrderFilter(), now=NOW, after="yesterday|3").rows == []
