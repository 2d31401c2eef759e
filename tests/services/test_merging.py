"""Merged parcels (合单): one buyer, one address, one shop → one parcel and one tracking number; nothing else."""

from dataclasses import replace

import pytest

from kuaifa.domain.orders.canonical import Receiver
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OutboxEntry, Shipment, StockLevel
from kuaifa.services.catalog import add_shop
from kuaifa.services.errors import InvalidInput
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.merging import merge_groups
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ShipRefused, ship_merged_parcel, ship_order
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db
ZTO, NUMBER = 115, "75312345678901"
HOME = Receiver(province="浙江省", city="杭州市", town="西湖区", address="~cipher-address~", name="~cipher-name~",
                phone="~cipher-phone~", address_mask="文**路", open_address_id="OAID-1")  # fmt: skip


def accepted(shop, *orders):
    ingest_orders(shop, list(orders), source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    return [Order.objects.get(shop=shop, order_sn=o.order_sn) for o in orders]


def test_same_buyer_orders_are_found_and_ship_as_one_parcel(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    a, b, other = accepted(
        shop,
        replace(make_order("A", ("TEA-001", 1), ship_in_hours=5), receiver=HOME),
        replace(make_order("B", ("TEA-001", 2), ship_in_hours=9), receiver=HOME),
        make_order("C", ("TEA-001", 1)),
    )

    groups = merge_groups()
    shipped = ship_merged_parcel([a.id, b.id], carrier=ZTO, tracking_number=NUMBER, actor=ACTOR, now=NOW)

    assert [[o.order_sn for o in g.orders] for g in groups] == [["A", "B"]]
    assert sorted(Shipment.objects.values_list("order__order_sn", "tracking_number")) == [("A", NUMBER), ("B", NUMBER)]
    assert len(shipped) == OutboxEntry.objects.filter(kind="ship").count() == 2
    assert StockLevel.objects.get(sku__code="TEA-001").on_hand == 7
    assert Order.objects.get(id=other.id).status == OrderStatus.ACCEPTED


def test_orders_to_different_addresses_are_not_one_parcel_and_nothing_ships(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    a, b = accepted(
        shop,
        replace(make_order("A", ("TEA-001", 1)), receiver=HOME),
        replace(make_order("B", ("TEA-001", 1)), receiver=replace(HOME, open_address_id="OAID-2")),
    )

    with pytest.raises(InvalidInput):
        ship_merged_parcel([a.id, b.id], carrier=ZTO, tracking_number=NUMBER, actor=ACTOR, now=NOW)

    assert not Shipment.objects.exists()
    assert merge_groups() == ()


def test_never_across_shops(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    other_shop = add_shop("另一家店", now=NOW)
    (a,) = accepted(shop, replace(make_order("A", ("TEA-001", 1)), receiver=HOME))
    (b,) = accepted(other_shop, replace(make_order("B", ("TEA-001", 1)), receiver=HOME))

    with pytest.raises(InvalidInput):
        ship_merged_parcel([a.id, b.id], carrier=ZTO, tracking_number=NUMBER, actor=ACTOR, now=NOW)
    ship_order(a.id, carrier=ZTO, tracking_number=NUMBER, actor=ACTOR, now=NOW)
    with pytest.raises(ShipRefused):  # the number belongs to another shop's order
        ship_order(b.id, carrier=ZTO, tracking_number=NUMBER, actor=ACTOR, now=NOW)


def test_platform_handling_that_forbids_merging_keeps_orders_apart(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    a, b = accepted(
        shop,
        replace(make_order("A", ("TEA-001", 1)), receiver=HOME),
        replace(make_order("B", ("TEA-001", 1)), receiver=HOME, tags=("conso_order",)),
    )

    with pytest.raises(InvalidInput):
        ship_merged_parcel([a.id, b.id], carrier=ZTO, tracking_number=NUMBER, actor=ACTOR, now=NOW)

    assert merge_groups() == ()


def test_if_one_order_of_the_parcel_is_intercepted_none_ships(shop, catalog):
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    a, b = accepted(
        shop,
        replace(make_order("A", ("TEA-001", 1)), receiver=HOME),
        replace(make_order("B", ("TEA-001", 1)), receiver=HOME),
    )
    Order.objects.filter(id=b.id).update(refund_status=2)  # the buyer asked for a refund since picking

    with pytest.raises(ShipRefused):
        ship_merged_parcel([a.id, b.id], carrier=ZTO, tracking_number=NUMBER, actor=ACTOR, now=NOW)

    assert not Shipment.objects.exists()
    assert Order.objects.get(id=a.id).status == OrderStatus.ACCEPTED
