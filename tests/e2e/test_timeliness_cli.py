"""``kuaifa tracking timeliness``: carrier × province on-time share and median hours, from the polled traces."""

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner

from kuaifa.cli.main import cli
from kuaifa.domain.carriers.traces import RawTrace
from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.persistence.models import Order
from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from kuaifa.services.tracking import poll
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db(transaction=True)
H = timedelta(hours=1)


class Journeys:
    """A carrier port answering each tracking number with a pickup and, when given, a signature."""

    def __init__(self, signed_after: dict[str, float | None]) -> None:
        self.signed_after = signed_after

    def traces(self, carrier_code: str, tracking_number: str) -> list[RawTrace]:
        events = [RawTrace(NOW + 4 * H, "GOT", "【杭州市】已揽收")]
        hours = self.signed_after[tracking_number]
        if hours is not None:
            events.append(RawTrace(NOW + hours * H, "SIGN", "已签收"))
        return events


def test_the_table_counts_signed_and_overdue_parcels_by_carrier_and_province(monkeypatch):
    ensure_warehouse()
    shop = add_shop("茶叶店", now=NOW)
    upsert_skus([SkuSpec("TEA-001", name="绿茶")], now=NOW)
    receive_stock("TEA-001", 10, actor=ACTOR, now=NOW)
    signed_after = {"YT5550000000001": 30, "YT5550000000002": 100, "YT5550000000003": None}
    orders = [make_order(f"o{i}", ("TEA-001", 1)) for i in range(1, 4)]
    ingest_orders(shop, orders, source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    port = Journeys(signed_after)
    for order, number in zip(Order.objects.order_by("order_sn"), signed_after, strict=True):
        shipped = ship_order(order.id, carrier=85, tracking_number=number, actor=ACTOR, now=NOW, upload=False)
        poll(shipped.shipment.id, port, actor=ACTOR, now=NOW + 120 * H)
    monkeypatch.setenv("KUAIFA_NOW", (NOW + 120 * H).isoformat())
    monkeypatch.setenv("KUAIFA_LANG", "en")

    result = CliRunner().invoke(cli, ["tracking", "timeliness", "--json"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"carrier": "YTO", "province": "浙江省", "parcels": 3, "on_time": 1,
                                          "on_time_percent": 33, "median_transit_hours": 61.0}]  # fmt: skip
