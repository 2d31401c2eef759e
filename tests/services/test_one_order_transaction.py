"""The one-order path's own transaction (``persistence.statements.durable_atomic``) behaves as Django's durable
atomic block: committed when the block ends, rolled back as a whole when it raises, ``on_commit`` callbacks after
the commit only, nested atomic blocks with their savepoints, never inside another block, and the connection left
as Django expects it. Real transactions (``transaction=True``): inside a test case's block it would be Django's."""

import pytest
from django.db import IntegrityError, connection, transaction

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderEvent, Reservation, Shop, StockLevel
from kuaifa.persistence.statements import Statement, durable_atomic
from kuaifa.services.catalog import add_shop
from kuaifa.services.intake import take_order
from kuaifa.services.inventory import receive_stock
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db(transaction=True)
OVERSELL = Statement("UPDATE kuaifa_stocklevel SET reserved = reserved + %s WHERE id = %s")


def _shop(name: str) -> Shop:
    return Shop.objects.create(name=name, created_at=NOW)


def _settled() -> None:
    """The connection as Django leaves it after an atomic block: autocommit, no block, no transaction open."""
    assert (connection.in_atomic_block, connection.get_autocommit(), connection.needs_rollback) == (False, True, False)
    assert connection.atomic_blocks == [] and connection.run_on_commit == []
    if connection.vendor == "postgresql":
        from psycopg.pq import TransactionStatus

        assert connection.connection.info.transaction_status == TransactionStatus.IDLE


def test_a_taken_order_is_committed_with_its_review(shop, catalog):
    receive_stock("TEA-001", 2, actor=ACTOR, now=NOW)

    take_order(shop, make_order("o1", ("TEA-001", 2)), source=Order.Source.API, actor=ACTOR, now=NOW)

    _settled()
    assert Order.objects.get().status == OrderStatus.ACCEPTED
    assert StockLevel.objects.get(sku__code="TEA-001").reserved == 2
    assert list(OrderEvent.objects.order_by("id").values_list("kind", flat=True)) == ["ingested", "reviewed"]


def test_a_block_that_raises_leaves_nothing_behind_and_the_connection_usable(shop):
    with pytest.raises(RuntimeError, match="stop"), durable_atomic():
        _shop("半途")
        raise RuntimeError("stop")

    _settled()
    assert not Shop.objects.filter(name="半途").exists()
    add_shop("之后", now=NOW)
    assert Shop.objects.filter(name="之后").exists()


def test_a_database_error_is_djangos_and_rolls_the_whole_block_back(shop, catalog):
    receive_stock("TEA-001", 1, actor=ACTOR, now=NOW)
    level = StockLevel.objects.get(sku__code="TEA-001")

    with pytest.raises(IntegrityError), durable_atomic():
        _shop("半途")
        OVERSELL.run(5, level.id)  # the CHECK constraint refuses it

    _settled()
    assert not Shop.objects.filter(name="半途").exists()
    assert StockLevel.objects.get(id=level.id).reserved == 0


def test_on_commit_callbacks_run_after_the_commit_and_never_after_a_rollback():
    ran = []
    with durable_atomic():
        transaction.on_commit(lambda: ran.append(connection.in_atomic_block))
        assert ran == []
    assert ran == [False]

    with pytest.raises(RuntimeError, match="stop"), durable_atomic():
        transaction.on_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("stop")
    assert ran == [False]
    _settled()


def test_a_nested_atomic_block_rolls_back_to_its_savepoint_only():
    with durable_atomic():
        _shop("外层")
        with pytest.raises(RuntimeError, match="inner"), transaction.atomic():
            _shop("内层")
            raise RuntimeError("inner")

    _settled()
    assert set(Shop.objects.values_list("name", flat=True)) == {"外层"}


def test_it_is_never_nested_inside_another_atomic_block():
    with transaction.atomic(), pytest.raises(RuntimeError, match="durable"), durable_atomic():
        pass
    _settled()


def test_a_held_order_is_committed_without_reservations(shop, catalog):
    take_order(shop, make_order("o1", ("TEA-001", 1)), source=Order.Source.API, actor=ACTOR, now=NOW)

    _settled()
    assert (Order.objects.get().status, Reservation.objects.count()) == (OrderStatus.ON_HOLD, 0)
