"""``kuaifa aftersales list/receive/inspect/replace`` and ``kuaifa complaint``: what the merchant types and sees."""

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.db import transaction

from kuaifa.cli.main import cli
from kuaifa.domain.aftersales.canonical import CanonicalCase, CaseGoods, CaseType
from kuaifa.domain.inventory.catalog import SkuSpec
from kuaifa.persistence.models import ComplaintTicket, Order, OrderEvent, StockMove
from kuaifa.services.aftersales import upsert_cases
from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import receive_stock
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from tests.factories import ACTOR, NOW, make_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kuaifa(monkeypatch):
    monkeypatch.setenv("KUAIFA_NOW", NOW.isoformat())
    monkeypatch.setenv("KUAIFA_LANG", "en")
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result

    return run


@pytest.fixture
def cases():
    ensure_warehouse()
    shop = add_shop("茶叶店", now=NOW)
    upsert_skus([SkuSpec("TEA-001", name="绿茶")], now=NOW)
    receive_stock("TEA-001", 4, actor=ACTOR, now=NOW)
    ingest_orders(shop, [make_order("o1", ("TEA-001", 1))], source=Order.Source.API, actor=ACTOR, now=NOW)
    review_orders(actor=ACTOR, now=NOW)
    order_id = Order.objects.get(order_sn="o1").id
    ship_order(order_id, carrier=85, tracking_number="YT5550001112223", actor=ACTOR, now=NOW, upload=False)

    def case(sid: str, hours: float, **fields) -> CanonicalCase:
        return CanonicalCase(
            after_sales_id=sid, order_sn="o1", case_type=CaseType.RETURN_REFUND, platform_status=3,
            refund_amount_fen=1000, created_at=NOW, updated_at=NOW, expire_time=NOW + timedelta(hours=hours),
            goods=CaseGoods(outer_id="TEA-001", quantity=1), **fields,
        )  # fmt: skip

    with transaction.atomic():  # a sync window's transaction
        upsert_cases(shop, [case("A-late", 50), case("A-soon", 3.5, tracking_number="YT777")], actor=ACTOR, now=NOW)
    return shop


def test_the_list_shows_the_nearest_deadline_first_with_the_time_left(kuaifa, cases):
    out = kuaifa("aftersales", "list").output.splitlines()
    data = json.loads(kuaifa("aftersales", "list", "--json").output)

    assert [line.split()[0] for line in out[:2]] == ["A-soon", "A-late"]
    assert "3h 30m left" in out[0] and "2d 2h left" in out[1]
    assert [r["time_left_minutes"] for r in data] == [210, 3000]


def test_a_scanned_return_is_inspected_back_to_stock_once(kuaifa, cases):
    first = kuaifa("aftersales", "receive", "yt777").output
    again = kuaifa("aftersales", "receive", "YT777").output
    kuaifa("aftersales", "inspect", "A-soon", "ok")
    refused = kuaifa("aftersales", "inspect", "A-soon", "ok", ok=False).output
    unknown = kuaifa("aftersales", "receive", "SF404", ok=False).output

    assert "Parcel YT777 received: case A-soon, order o1" in first
    assert "received already" in again
    assert "inspected already" in refused
    assert "SF404" in unknown
    assert list(StockMove.objects.filter(kind="return").values_list("quantity", flat=True)) == [1]


def test_a_complaint_is_opened_moved_and_closed_with_its_cases_and_trail(kuaifa, cases):
    opened = json.loads(kuaifa("complaint", "open", "o1", "--reason", "物流太慢", "--note", "买家电话投诉",
                               "--json").output)  # fmt: skip
    tid = opened["id"]
    kuaifa("complaint", "progress", tid)
    no_note = kuaifa("complaint", "close", tid, "--note", " ", ok=False).output
    kuaifa("complaint", "close", tid, "--note", "补偿5元")
    reopened = kuaifa("complaint", "progress", tid, ok=False).output
    listed = kuaifa("complaint", "list", "--status", "closed").output

    assert opened["cases"] == ["A-late", "A-soon"] and opened["status"] == "open"
    assert "needs a word" in no_note and "cannot become in_progress" in reopened
    assert "物流太慢" in listed and "1 ticket(s)." in listed
    ticket = ComplaintTicket.objects.get()
    assert (ticket.status, ticket.resolution, ticket.closed_at) == ("closed", "补偿5元", NOW)
    trail = list(OrderEvent.objects.filter(kind__startswith="complaint").order_by("id").values_list("kind", flat=True))
    assert trail == ["complaint_opened", "complaint_progress", "complaint_closed"]
    assert "order" in kuaifa("complaint", "open", "nope", "--reason", "x", ok=False).output.lower()
