"""E-waybills (电子面单) against the simulated PDD gateway over real HTTP on 127.0.0.1: numbers shaped like the
carrier's and unique, asked again → the same number without a second platform record, intercepted orders refused,
cancel then issue → a new number, and shipping with the waybill uploads that number to the platform exactly once."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest
from django.db.models import Q

from kuaifa.domain.carriers.tracking import Level, TrackingCode, check_tracking_number
from kuaifa.domain.carriers.waybills import WaybillItem, WaybillRequest, WaybillSender
from kuaifa.domain.orders.canonical import Receiver
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.platform import PlatformError
from kuaifa.persistence.models import Order, OrderEvent, Shipment, Shop, Waybill
from kuaifa.platforms.pdd.client import PddClient
from kuaifa.platforms.pdd.errors import PddError
from kuaifa.platforms.pdd.waybill import PddWaybills
from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, ShopConfig, SimGatewayServer
from kuaifa.platforms.sim.shop import HOUR
from kuaifa.platforms.sim.waybill_api import REQUEST_PARAM, waybills
from kuaifa.services.inventory import receive_stock
from kuaifa.services.outbox import deliver
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ShipRefused
from kuaifa.services.sync import SyncSettings, sync_orders
from kuaifa.services.waybills import WaybillRefused, cancel_waybill, issue_waybills, ship_with_waybill
from kuaifa.tasks.platforms import platform_for, waybill_provider_for
from tests.integration.platform_fixtures import (
    ACTOR,
    Sleeps,
    connect_sim_shop,
    create_skus,
    lookback_from,
    quiet_moment,
    running_sim,
    sim_now,
    sku_codes,
)

CONFIG = ShopConfig(seed=20260311, days=1, orders_per_day=80)
GET = "pdd.waybill.get"
CANCEL = "pdd.waybill.cancel"
SENDER = WaybillSender("快发测试仓", "13800000000", "浙江省", "杭州市", "余杭区", "文一西路1号")
ZTO, YTO = 115, 85


@pytest.fixture
def sim():
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment) as server:
        yield server


def _provider(shop: Shop, sim: SimGatewayServer) -> PddWaybills:
    return waybill_provider_for(shop, SENDER, clock=sim.state.now, sleep=Sleeps(), rng=random.Random(3))


def _accepted(sim: SimGatewayServer) -> tuple[Shop, list[Order]]:
    """A connected shop, its orders synced and reviewed, SKUs in stock: the accepted orders, most urgent first."""
    state = sim.state
    shop = connect_sim_shop(sim)
    now = sim_now(state)
    codes = sku_codes(state)
    create_skus(codes, now=now)
    for code in codes:
        receive_stock(code, 1000, actor=ACTOR, now=now)
    settings = SyncSettings(first_lookback=lookback_from(state, state.shop.start_ts))
    gateway = platform_for(shop, clock=state.now, sleep=Sleeps())
    assert sync_orders(shop, gateway, actor=ACTOR, clock=lambda: sim_now(state), settings=settings).caught_up
    review_orders(actor=ACTOR, now=now, shop_id=shop.id)
    accepted = list(Order.objects.filter(shop=shop, status=OrderStatus.ACCEPTED).order_by("ship_by", "order_sn"))
    assert len(accepted) > 12, Counter(Order.objects.filter(shop=shop).values_list("status", flat=True))
    return shop, accepted


def _live_records(sim: SimGatewayServer, order_sn: str) -> list:
    return [r for r in waybills(sim.state).records if r.order_sn == order_sn and r.cancelled_at is None]


def test_numbers_are_shaped_like_the_carrier_unique_and_asking_again_reuses_them(db, sim):
    shop, accepted = _accepted(sim)
    orders, now = accepted[:12], sim_now(sim.state)
    ids = [o.id for o in orders]

    first = issue_waybills(ids, "zto", _provider(shop, sim), actor=ACTOR, now=now)

    assert [w.order_sn for w in first] == [o.order_sn for o in orders]
    assert len(sim.state.calls_of(GET)) == 2  # 12 orders: batches of 10 and 2
    numbers = [w.waybill_code for w in first]
    assert len(set(numbers)) == 12
    for number in numbers:
        check = check_tracking_number("ZTO", number)
        assert (check.level, check.code) == (Level.OK, TrackingCode.OK), number
    assert {(w.carrier_code, w.logistics_id, w.reused) for w in first} == {("ZTO", ZTO, False)}
    assert Waybill.objects.filter(order_id__in=ids, state=Waybill.State.ISSUED).count() == 12
    assert OrderEvent.objects.filter(order_id__in=ids, kind="waybill_issued").count() == 12

    extra = accepted[12]
    again = issue_waybills([*ids, extra.id], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)

    assert [w.waybill_code for w in again[:12]] == numbers
    assert all(w.reused for w in again[:12]) and not again[12].reused
    assert len(sim.state.calls_of(GET)) == 3  # only the new order was asked for
    assert len(waybills(sim.state).records) == 13
    assert all(len(_live_records(sim, o.order_sn)) == 1 for o in [*orders, extra])
    assert Waybill.objects.count() == 13

    # the platform itself is idempotent: asked directly again, it answers the number it gave
    direct = _provider(shop, sim).issue("ZTO", [_request(orders[0])])
    assert [w.waybill_code for w in direct] == [numbers[0]]
    assert len(waybills(sim.state).records) == 13


def _request(order: Order) -> WaybillRequest:
    receiver = Receiver(order.province, order.city, order.town, order.receiver_name, order.receiver_phone,
                        order.receiver_address)  # fmt: skip
    return WaybillRequest(order.order_sn, receiver, (WaybillItem("商品", 1),))


def test_yto_numbers_are_yt_and_13_digits_and_another_carrier_needs_a_cancel_first(db, sim):
    shop, accepted = _accepted(sim)
    now = sim_now(sim.state)
    issued = issue_waybills([o.id for o in accepted[:3]], "YTO", _provider(shop, sim), actor=ACTOR, now=now)
    for waybill in issued:
        assert waybill.logistics_id == YTO
        assert waybill.waybill_code.startswith("YT") and len(waybill.waybill_code) == 15
        assert waybill.waybill_code[2:].isdigit()
    with pytest.raises(WaybillRefused, match="cancel that one first"):
        issue_waybills([accepted[0].id], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)


def test_intercepted_or_unready_orders_are_refused_and_nothing_is_taken(db, sim):
    shop, accepted = _accepted(sim)
    now = sim_now(sim.state)
    held, risky, fine = accepted[0], accepted[1], accepted[2]
    Order.objects.filter(id=held.id).update(ship_hold=True)
    Order.objects.filter(id=risky.id).update(risk_control_status=1)

    with pytest.raises(WaybillRefused) as refused:
        issue_waybills([fine.id, held.id, risky.id], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)

    assert held.order_sn in refused.value.message and risky.order_sn in refused.value.message
    assert fine.order_sn not in refused.value.message
    assert sim.state.calls_of(GET) == [] and Waybill.objects.count() == 0

    # the platform refuses on its own too: an order under risk review there, an unknown or unavailable carrier
    sim.state.update_order(fine.order_sn, risk_control_status=1)
    provider = _provider(shop, sim)
    for code, request in (("ZTO", _request(fine)), ("NOPE", _request(accepted[3])), ("BSKD", _request(accepted[3]))):
        with pytest.raises(PlatformError) as error:
            provider.issue(code, [request])
        assert error.value.code == "platform.refused" and not error.value.retryable
    assert waybills(sim.state).records == []


def test_the_simulator_takes_at_most_ten_orders_and_only_shippable_ones(db, sim):
    _, accepted = _accepted(sim)
    client = PddClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, sim.state.default_token.access_token,
                       base_url=sim.base_url, clock=sim.state.now, sleep=Sleeps())  # fmt: skip
    sender = {"address": {"province": "浙江省", "city": "杭州市", "district": "", "detail": "1号"},
              "name": "仓", "mobile": "13800000000"}  # fmt: skip

    def dto(order_sn: str) -> dict:
        return {"object_id": order_sn, "order_info": {"order_channels_type": "PDD", "trade_order_list": [order_sn]},
                "package_info": {"items": [{"name": "x", "count": 1}]}, "recipient": {}}  # fmt: skip

    with pytest.raises(PddError) as too_many:
        eleven = [dto(o.order_sn) for o in accepted[:11]]
        client.call(GET, **{REQUEST_PARAM: {"wp_code": "ZTO", "sender": sender, "trade_order_info_dtos": eleven}})
    assert too_many.value.code == 21002
    shipped = next(sn for sn in sim.state.visible_order_sns() if sim.state.order(sn)["order_status"] == 2)  # type: ignore[index]
    for order_sn, code in ((shipped, 21001), ("000000-000000000000000", 45001)):
        with pytest.raises(PddError) as refused:
            client.call(GET, **{REQUEST_PARAM: {"wp_code": "ZTO", "sender": sender,
                                                "trade_order_info_dtos": [dto(order_sn)]}})  # fmt: skip
        assert refused.value.code == code
    assert waybills(sim.state).records == []
    client.close()


def test_cancel_frees_the_number_and_issuing_again_gives_a_new_one(db, sim):
    shop, accepted = _accepted(sim)
    order, now = accepted[0], sim_now(sim.state)
    (first,) = issue_waybills([order.id], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)

    cancelled = cancel_waybill(order.id, _provider(shop, sim), actor=ACTOR, now=now)

    assert cancelled.state == Waybill.State.CANCELLED and cancelled.waybill_code == first.waybill_code
    assert len(sim.state.calls_of(CANCEL)) == 1 and _live_records(sim, order.order_sn) == []
    (second,) = issue_waybills([order.id], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)
    assert second.waybill_code != first.waybill_code and not second.reused
    assert [r.waybill_code for r in _live_records(sim, order.order_sn)] == [second.waybill_code]
    assert list(Waybill.objects.filter(order=order).order_by("id").values_list("state", flat=True)) == [
        Waybill.State.CANCELLED,
        Waybill.State.ISSUED,
    ]
    # a second cancel of the same number on the platform is answered the same (a retry after a lost answer)
    _provider(shop, sim).cancel("ZTO", first.waybill_code)
    with pytest.raises(WaybillRefused):
        cancel_waybill(accepted[1].id, _provider(shop, sim), actor=ACTOR, now=now)  # holds none


def test_shipping_with_the_waybill_uploads_that_number_once(db, sim):
    shop, accepted = _accepted(sim)
    order, now = accepted[0], sim_now(sim.state)
    (issued,) = issue_waybills([order.id], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)

    shipped = ship_with_waybill(order.id, actor=ACTOR, now=now)

    shipment = Shipment.objects.get(order=order)
    assert (shipment.logistics_id, shipment.tracking_number) == (ZTO, issued.waybill_code)
    assert shipped.shipment.id == shipment.id and shipped.outbox_entry_id is not None
    assert Waybill.objects.get(order=order).state == Waybill.State.USED
    assert Order.objects.get(id=order.id).status == OrderStatus.SHIPPED
    assert OrderEvent.objects.filter(order=order, kind="waybill_used").count() == 1

    factory = lambda s: platform_for(s, clock=sim.state.now, sleep=Sleeps(), rng=random.Random(5))  # noqa: E731
    assert deliver(shipped.outbox_entry_id, factory, now=now).outcome == "done"
    assert deliver(shipped.outbox_entry_id, factory, now=now).outcome == "skipped"
    assert [(s.order_sn, s.logistics_id, s.tracking_number) for s in sim.state.shipments] == [
        (order.order_sn, ZTO, issued.waybill_code)
    ]
    assert sim.state.order(order.order_sn)["tracking_number"] == issued.waybill_code  # type: ignore[index]

    with pytest.raises(WaybillRefused):  # used: neither shipped again nor cancelled
        ship_with_waybill(order.id, actor=ACTOR, now=now)
    with pytest.raises(WaybillRefused):
        cancel_waybill(order.id, _provider(shop, sim), actor=ACTOR, now=now)
    with pytest.raises(PlatformError) as used:  # nor on the platform
        _provider(shop, sim).cancel("ZTO", issued.waybill_code)
    assert used.value.platform_code == "21001"
    assert Shipment.objects.filter(Q(order=order) | Q(tracking_number=issued.waybill_code)).count() == 1


def test_an_order_intercepted_after_issue_does_not_ship_and_keeps_its_waybill(db, sim):
    shop, accepted = _accepted(sim)
    order, now = accepted[0], sim_now(sim.state)
    issue_waybills([order.id], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)
    Order.objects.filter(id=order.id).update(refund_status=2)

    with pytest.raises(ShipRefused):
        ship_with_waybill(order.id, actor=ACTOR, now=now)

    assert Waybill.objects.get(order=order).state == Waybill.State.ISSUED
    assert not Shipment.objects.filter(order=order).exists()
    assert cancel_waybill(order.id, _provider(shop, sim), actor=ACTOR, now=now).state == Waybill.State.CANCELLED


@pytest.fixture
def lax_sim():
    """The same shop, its gateway not checking timestamps: the CLI's client runs on the real clock."""
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment, check_timestamp=False) as server:
        yield server


def test_the_waybill_commands_issue_cancel_and_ship_with_json_and_refuse_with_exit_1(db, lax_sim, monkeypatch):
    from click.testing import CliRunner

    from kuaifa.cli.main import cli

    sim = lax_sim
    _, accepted = _accepted(sim)
    for key, value in (("NAME", "快发仓"), ("MOBILE", "13800000000"), ("PROVINCE", "浙江省"), ("CITY", "杭州市"),
                       ("ADDRESS", "文一西路1号"), ):  # fmt: skip
        monkeypatch.setenv(f"KUAIFA_SENDER_{key}", value)
    monkeypatch.setenv("KUAIFA_LANG", "en")
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(cli, ["waybill", *args, "--json"], catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return json.loads(result.output)

    first, second = accepted[0].order_sn, accepted[1].order_sn
    rows = run("issue", "--carrier", "YTO", first, second)
    assert [(r["order_sn"], r["logistics_id"], r["reused"]) for r in rows] == [
        (first, YTO, False),
        (second, YTO, False),
    ]
    assert all(r["waybill_code"].startswith("YT") for r in rows)
    assert run("issue", "--carrier", "YTO", first)[0]["reused"] is True

    assert run("cancel", second)["state"] == "cancelled"
    assert run("cancel", second, ok=False)["error"] == "waybill.refused"

    Order.objects.filter(id=accepted[2].id).update(risk_control_status=1)
    assert run("issue", "--carrier", "YTO", accepted[2].order_sn, ok=False)["error"] == "waybill.refused"
    assert run("issue", "--carrier", "XX", first, ok=False)["error"] == "carrier.unknown"

    shipped = run("ship", first)
    assert (shipped["logistics_id"], shipped["tracking_number"]) == (YTO, rows[0]["waybill_code"])
    assert Waybill.objects.get(order=accepted[0]).state == Waybill.State.USED


def test_a_label_prints_with_the_waybill_number_before_the_parcel_ships(db, sim):
    from kuaifa.services.labels import label_data

    shop, accepted = _accepted(sim)
    order, now = accepted[0], sim_now(sim.state)
    (issued,) = issue_waybills([order.id], "ZTO", _provider(shop, sim), actor=ACTOR, now=now)

    before = label_data([order.id]).labels[0]
    ship_with_waybill(order.id, actor=ACTOR, now=now)
    after = label_data([order.id]).labels[0]

    assert before.tracking_number == after.tracking_number == issued.waybill_code
    assert "中通" in before.carrier_name


def test_waybills_ship_from_the_shops_stored_sender(db, lax_sim, monkeypatch):
    from click.testing import CliRunner

    from kuaifa.cli.main import cli

    shop, accepted = _accepted(lax_sim)
    monkeypatch.setenv("KUAIFA_LANG", "en")
    for key in ("NAME", "MOBILE", "PROVINCE", "CITY", "DISTRICT", "ADDRESS"):
        monkeypatch.delenv(f"KUAIFA_SENDER_{key}", raising=False)
    runner = CliRunner()
    issue = ["waybill", "issue", "--carrier", "YTO", accepted[0].order_sn, "--json"]

    without = runner.invoke(cli, issue)
    stored = runner.invoke(cli, ["shop", "set-sender", shop.name, "--name", "快发仓", "--mobile", "13800000000",
                                 "--province", "浙江省", "--city", "杭州市", "--detail", "文一西路1号"])  # fmt: skip
    issued = runner.invoke(cli, issue)

    assert without.exit_code == 1 and "set-sender" in json.loads(without.output)["message"]
    assert stored.exit_code == 0, stored.output
    assert issued.exit_code == 0, issued.output
    assert json.loads(issued.output)[0]["waybill_code"].startswith("YT")
