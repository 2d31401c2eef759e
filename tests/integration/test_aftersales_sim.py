"""Every after-sales path to its end against the simulated PDD gateway over real HTTP — refund only before
shipment, return + refund (sound and damaged), exchange, resend — with every platform change arriving again: a
full re-sync from scratch, a push's detail fetch, and an older copy after a newer one. At the end each refund is
recorded once (the money ledger) and on_hand = Σ moves with every return counted once (the stock ledger)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count

from kuaifa.domain.aftersales.canonical import CanonicalCase
from kuaifa.domain.aftersales.cases import Decision
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import AfterSalesCase, Order, Reservation, Shop, StockMove, SyncCursor
from kuaifa.persistence.queries import ledger_problems
from kuaifa.platforms.sim import ShopConfig, SimGatewayServer
from kuaifa.platforms.sim.shop import EXCHANGE, HOUR, REFUND_ONLY, RESEND, RETURN_REFUND, RefundCase
from kuaifa.services.aftersales import CaseReport, decide_case, sync_cases, upsert_cases
from kuaifa.services.aftersales_end import inspect, receive_return, send_replacement
from kuaifa.services.inventory import receive_stock
from kuaifa.services.outbox import deliver
from kuaifa.services.review import review_orders
from kuaifa.services.shipping import ship_order
from kuaifa.services.sync import SyncSettings, sync_orders
from kuaifa.tasks.platforms import platform_for
from tests.integration.platform_fixtures import (
    ACTOR,
    SimSleeps,
    Sleeps,
    connect_sim_shop,
    create_skus,
    lookback_from,
    pdd_gateway,
    quiet_moment,
    running_sim,
    sim_now,
    sku_codes,
)

CONFIG = ShopConfig(seed=20261202, days=1, orders_per_day=120, after_sales_share=0.0)
YTO = 85
STOCK = 50


@pytest.fixture
def sim():
    moment = lambda shop: quiet_moment(shop, shop.start_ts + 18 * HOUR, after_s=20 * 60)  # noqa: E731
    with running_sim(CONFIG, now=moment) as server:
        yield server


class Desk:
    """The merchant's side of the scenario: the shop, its sync, its outbox, and every case report it saw."""

    def __init__(self, sim: SimGatewayServer) -> None:
        self.sim, self.state = sim, sim.state
        self.shop: Shop = connect_sim_shop(sim)
        self.gateway = pdd_gateway(sim, SimSleeps(sim.state))
        self.settings = SyncSettings(first_lookback=lookback_from(self.state, self.state.shop.start_ts))
        self.reports: list[CaseReport] = []
        self.copies: list[CanonicalCase] = []  # every detail fetched, oldest first

    def now(self):
        return sim_now(self.state)

    def later(self, minutes: int = 15) -> None:
        self.state.advance(minutes * 60)

    def sync(self) -> None:
        clock = self.now
        sync_orders(self.shop, self.gateway, actor=ACTOR, clock=clock, settings=self.settings)
        self.reports.append(sync_cases(self.shop, self.gateway, actor=ACTOR, clock=clock, settings=self.settings))

    def replay(self, case_id: int) -> None:
        """The same changes again: a re-sync from scratch, a push's detail fetch twice, the oldest copy last."""
        SyncCursor.objects.filter(shop=self.shop, stream="refunds").delete()
        self.reports.append(sync_cases(self.shop, self.gateway, actor=ACTOR, clock=self.now, settings=self.settings))
        order_sn = AfterSalesCase.objects.get(after_sales_id=str(case_id)).order_sn
        fresh = self.gateway.case(order_sn, str(case_id))
        assert fresh is not None
        self.copies.append(fresh)
        oldest = next(c for c in self.copies if c.after_sales_id == str(case_id))
        for copy in (fresh, fresh, oldest):
            with transaction.atomic():
                self.reports.append(upsert_cases(self.shop, [copy], actor=ACTOR, now=self.now()))

    def decide(self, case_id: int, decision: Decision, **options) -> None:
        row = AfterSalesCase.objects.get(after_sales_id=str(case_id))
        done = decide_case(row.id, decision, actor=ACTOR, now=self.now(), **options)
        if done.outbox_entry_id:
            platforms = lambda shop: platform_for(shop, clock=self.state.now, sleep=Sleeps())  # noqa: E731
            assert deliver(done.outbox_entry_id, platforms, now=self.now()).outcome == "done"

    def case(self, case_id: int) -> AfterSalesCase:
        return AfterSalesCase.objects.get(after_sales_id=str(case_id))


def open_case(desk: Desk, case_id: int, order: Order, kind: str, status: int, *, shipped: bool) -> RefundCase:
    """The buyer opens a case on the platform for the order's first line."""
    state = desk.state
    platform_order = state.order(order.order_sn)
    assert platform_order is not None
    item = platform_order["item_list"][0]
    price = round(float(item["goods_price"]) * 100)
    now = int(state.now())
    case = RefundCase(
        id=case_id, order_sn=order.order_sn, kind=kind, status=status, reason="质量问题",
        refund_fen=0 if kind in (EXCHANGE, RESEND) else price, order_fen=order.pay_amount, discount_fen=0,
        goods_price_fen=price, goods_number=1, goods_id=int(item["goods_id"]), goods_name=item["goods_name"],
        sku_id=int(item["sku_id"]), outer_id=item["outer_id"], outer_goods_id="", created_at=now, updated_at=now,
        order_shipped=shipped, expire_at=now + 48 * 3600,
    )  # fmt: skip
    state.add_refund_case(case)
    state.update_order(order.order_sn, refund_status=2, after_sales_status=status)
    return case


@pytest.mark.django_db
def test_every_after_sales_path_ends_with_both_ledgers_balanced_through_replays(sim):
    desk = Desk(sim)
    now = desk.now()
    for code in sku_codes(desk.state):
        create_skus([code], now=now)
        receive_stock(code, STOCK, actor=ACTOR, now=now)
    desk.sync()
    review_orders(actor=ACTOR, now=now, shop_id=desk.shop.id)
    single = (Order.objects.filter(shop=desk.shop, status=OrderStatus.ACCEPTED).annotate(n=Count("lines"))
              .filter(n=1, lines__quantity=1, lines__sku__components__isnull=True))  # fmt: skip
    accepted = list(single.order_by("order_sn")[:5])
    assert len(accepted) == 5
    unshipped, sound, damaged, exchanged, resent = accepted
    for order in (sound, damaged, exchanged, resent):
        shipped = ship_order(order.id, carrier=YTO, tracking_number=f"YT{order.id:012d}", actor=ACTOR,
                             now=desk.now())  # fmt: skip
        platforms = lambda shop: platform_for(shop, clock=desk.state.now, sleep=Sleeps())  # noqa: E731
        assert deliver(shipped.outbox_entry_id, platforms, now=desk.now()).outcome == "done"

    # 仅退款 before shipment: the order is intercepted, then cancelled when the refund goes through
    open_case(desk, 8001, unshipped, REFUND_ONLY, 2, shipped=False)
    desk.later()
    desk.sync()
    assert Order.objects.get(id=unshipped.id).status == OrderStatus.ON_HOLD
    assert not Reservation.objects.filter(order=unshipped, state=Reservation.State.OPEN).exists()
    desk.replay(8001)
    desk.decide(8001, Decision.AGREE_REFUND)
    desk.later()
    desk.sync()
    desk.replay(8001)
    assert (desk.case(8001).state, Order.objects.get(id=unshipped.id).status) == ("CLOSED_REFUNDED", "CANCELLED")

    # 退货退款, goods sound and damaged: agreed, sent back, scanned in, inspected, refunded
    for case_id, order, ok in ((8002, sound, True), (8003, damaged, False)):
        open_case(desk, case_id, order, RETURN_REFUND, 3, shipped=True)
        desk.later()
        desk.sync()
        desk.decide(case_id, Decision.AGREE_RETURN, return_address_id=desk.state.default_return_address().id)
        desk.later()
        number = f"YT8{case_id:011d}"
        desk.state.update_refund_case(case_id, return_tracking_number=number, return_shipping_name="圆通快递")
        desk.later()
        desk.sync()
        desk.replay(case_id)
        assert receive_return(number, actor=ACTOR, now=desk.now()).already is False
        desk.replay(case_id)
        assert receive_return(number, actor=ACTOR, now=desk.now()).already is True
        inspect(desk.case(case_id).id, ok=ok, actor=ACTOR, now=desk.now())
        desk.replay(case_id)
        desk.decide(case_id, Decision.AGREE_REFUND)
        desk.later()
        desk.sync()
        desk.replay(case_id)
        assert desk.case(case_id).state == "CLOSED_REFUNDED"

    # 换货: the buyer's parcel comes back, the replacement goes out as an order reserved like any other
    open_case(desk, 8004, exchanged, EXCHANGE, 14, shipped=True)
    desk.later()
    desk.sync()
    assert desk.case(8004).state == "EXCHANGE_REQUESTED"
    desk.state.update_refund_case(8004, return_tracking_number="YT800000008004", return_shipping_name="圆通快递")
    desk.later()
    desk.sync()
    receive_return("YT800000008004", actor=ACTOR, now=desk.now())
    inspect(desk.case(8004).id, ok=True, actor=ACTOR, now=desk.now())
    desk.replay(8004)
    first = send_replacement(desk.case(8004).id, actor=ACTOR, now=desk.now())
    again = send_replacement(desk.case(8004).id, actor=ACTOR, now=desk.now())
    desk.state.update_refund_case(8004, status=16, expire_at=None)
    desk.later()
    desk.sync()
    desk.replay(8004)

    # 补寄: nothing comes back, the replacement goes out
    open_case(desk, 8005, resent, RESEND, 14, shipped=True)
    desk.later()
    desk.sync()
    assert desk.case(8005).state == "RESEND_REQUESTED"
    resend = send_replacement(desk.case(8005).id, actor=ACTOR, now=desk.now())
    desk.replay(8005)
    desk.state.update_refund_case(8005, status=16, expire_at=None)
    desk.later()
    desk.sync()
    desk.replay(8005)

    # every case at its end
    states = {cid: desk.case(cid).state for cid in (8001, 8002, 8003, 8004, 8005)}
    assert states == {8001: "CLOSED_REFUNDED", 8002: "CLOSED_REFUNDED", 8003: "CLOSED_REFUNDED", 8004: "RESOLVED",
                      8005: "RESOLVED"}  # fmt: skip
    # money: each paid refund recorded once, as much as the platform paid
    paid = {cid: desk.state.refund_case(cid).refund_fen for cid in (8001, 8002, 8003)}
    assert {cid: desk.case(cid).refunded_amount for cid in (8001, 8002, 8003, 8004, 8005)} == {**paid, 8004: 0,
                                                                                               8005: 0}  # fmt: skip
    # … and so is every refund the generated shop paid (its own cases were replayed from scratch as well)
    refunded = {str(c.id): c.refund_fen for c in desk.state.refund_cases_updated_between(0, 2**62) if c.status == 10}
    assert sum(r.refunds_recorded for r in desk.reports) == len(refunded)
    assert dict(AfterSalesCase.objects.filter(refunded_amount__gt=0)
                .values_list("after_sales_id", "refunded_amount")) == refunded  # fmt: skip
    # stock: sound returns back once, damaged written off, replacements reserved once each
    back = StockMove.objects.filter(kind__in=["return", "damaged"]).order_by("id")
    assert list(back.values_list("order_id", "kind", "quantity")) == [
        (sound.id, "return", 1), (damaged.id, "return", 1), (damaged.id, "damaged", -1), (exchanged.id, "return", 1),
    ]  # fmt: skip
    assert (first.already, again.already, first.order_sn) == (False, True, again.order_sn)
    for replacement in (first, resend):
        order = Order.objects.get(shop=desk.shop, order_sn=replacement.order_sn)
        assert order.status == OrderStatus.ACCEPTED
        assert list(Reservation.objects.filter(order=order).values_list("quantity", "state")) == [(1, "open")]
    assert Order.objects.filter(shop=desk.shop, source=Order.Source.REISSUE).count() == 2
    assert ledger_problems() == []
    assert desk.now() - now < timedelta(days=1)
