"""The stock ledger under random sequences of every command that touches it (a Hypothesis state machine).

Each example starts from an empty database with one shop, one warehouse and the conftest catalogue (TEA-001, CUP-002
and GIFT-SET = 2 × TEA-001 + 1 × CUP-002), then runs random steps: new platform orders, platform updates (refund,
risk review), review, cancel, hold, release, receipts, adjustments and stocktakes. After every step the ledger must
balance (architecture §4) and every order must hold exactly the stock its status allows. A small model of what we
did (on hand per SKU, orders we cancelled or held by hand, the platform flags we sent) is checked beside it.

Runs against the real services in real transactions (``transaction=True``), so the on-commit re-review after a
receipt runs too.
"""

import os
from collections import defaultdict
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from kuaifa.domain.inventory.catalog import SkuSpec, StockCount
from kuaifa.domain.orders.canonical import PlatformRefundStatus
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.persistence.models import Order, OrderLine, Reservation, StockLevel
from kuaifa.persistence.queries import ledger_problems
from kuaifa.services.catalog import add_shop, ensure_warehouse, upsert_skus
from kuaifa.services.intake import ingest_orders
from kuaifa.services.inventory import adjust_stock, receive_stock, stocktake
from kuaifa.services.orders import cancel_order, hold_order, release_order
from kuaifa.services.review import review_orders
from tests.factories import ACTOR, NOW, make_order

S = OrderStatus
STOCKED = ("TEA-001", "CUP-002")
SOLD = ("TEA-001", "CUP-002", "GIFT-SET")
#: what one unit of each sellable code takes from the shelf (written here, not read from the code under test)
COMPONENTS = {"TEA-001": {"TEA-001": 1}, "CUP-002": {"CUP-002": 1}, "GIFT-SET": {"TEA-001": 2, "CUP-002": 1}}
PLATFORM_REASONS = ("platform_risk", "ship_hold", "after_sales_open")
PRE_SHIPMENT = (S.NEW, S.ON_HOLD, S.ACCEPTED, S.PICKING, S.PACKED)

#: an order's items: lines of (code, quantity), the bundle among them
ORDER_LINES = st.lists(st.tuples(st.sampled_from(SOLD), st.integers(1, 3)), min_size=1, max_size=3)
#: one platform order: its items, hours to the deadline, minutes since payment, risk flag
ORDER = st.tuples(
    ORDER_LINES,
    st.integers(1, 72),
    st.integers(1, 600),
    st.sampled_from([0, 0, 0, 1]),
)


def _reset_database() -> None:
    """Empty every Kuaifa table. One transaction, so the (deferred) foreign keys are checked only once all are empty;
    DELETE rather than the TRUNCATE of ``flush``, which costs far more on PostgreSQL for a handful of rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        for model in apps.get_app_config("kuaifa").get_models():
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def _needs(lines) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for code, quantity in lines:
        for component, per_unit in COMPONENTS[code].items():
            totals[component] += per_unit * quantity
    return dict(totals)


def _priority(order: Order) -> tuple:
    return (order.ship_by is None, order.ship_by, order.paid_at, order.order_sn)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        _reset_database()
        ensure_warehouse()
        self.shop = add_shop("测试店", now=NOW)
        upsert_skus(
            [
                SkuSpec("TEA-001", name="绿茶", bin_location="A-01"),
                SkuSpec("CUP-002", name="茶杯", bin_location="B-02"),
                SkuSpec("GIFT-SET", name="礼盒", components=(("TEA-001", 2), ("CUP-002", 1))),
            ],
            now=NOW,
        )
        self.ticks = 0
        # the model: what the platform last told us about each order, and what we did by hand
        self.platform: dict[str, dict] = {}  # order_sn → {"lines", "hours", "paid", "risk", "refund"}
        self.cancelled: set[str] = set()
        self.held_by_hand: set[str] = set()
        self.on_hand = {code: 0 for code in STOCKED}

    # ---------------------------------------------------------------- helpers

    def _tick(self):
        self.ticks += 1
        return NOW + timedelta(seconds=self.ticks)

    def _send(self, *order_sns: str) -> None:
        """What the platform says now about these orders (a newer ``updated_at`` each time), ingested as one batch."""
        batch = []
        for order_sn in order_sns:
            p = self.platform[order_sn]
            batch.append(
                make_order(
                    order_sn,
                    *p["lines"],
                    ship_in_hours=p["hours"],
                    paid_minutes_ago=p["paid"],
                    updated_at=self._tick(),
                    risk_control_status=p["risk"],
                    refund_status=p["refund"],
                )
            )
        ingest_orders(self.shop, batch, source=Order.Source.API, actor=ACTOR, now=NOW)

    def _order(self, order_sn: str) -> Order:
        return Order.objects.get(shop=self.shop, order_sn=order_sn)

    def _pick(self, data, statuses) -> Order | None:
        choices = sorted(Order.objects.filter(status__in=list(statuses)).values_list("order_sn", flat=True))
        if not choices:
            return None
        return self._order(data.draw(st.sampled_from(choices), label="order"))

    def _available(self) -> dict[str, int]:
        out = {code: 0 for code in STOCKED}
        for code, on_hand, reserved in StockLevel.objects.values_list("sku__code", "on_hand", "reserved"):
            out[code] += on_hand - reserved
        return out

    def _open_by_order_on(self, code: str) -> dict[int, int]:
        return dict(
            Reservation.objects.filter(state=Reservation.State.OPEN, sku__code=code)
            .values_list("order_id")
            .annotate(q=Sum("quantity"))
            .order_by()
        )

    # ---------------------------------------------------------------- rules: platform

    @initialize(tea=st.integers(8, 40), cups=st.integers(4, 20))
    def opening_stock(self, tea, cups):
        for code, quantity in (("TEA-001", tea), ("CUP-002", cups)):
            receive_stock(code, quantity, actor=ACTOR, now=NOW, note="期初")
            self.on_hand[code] += quantity

    @initialize(orders=st.lists(ORDER, min_size=1, max_size=6))
    def opening_orders(self, orders):
        self.ingest_new_orders(orders)

    @rule(orders=st.lists(ORDER, min_size=1, max_size=3))
    def ingest_new_orders(self, orders):
        """New platform orders, in one batch: NEW whatever the flags (review decides)."""
        sns = []
        for lines, hours, paid, risk in orders:
            order_sn = f"SN{len(self.platform) + 1:04d}"
            self.platform[order_sn] = {
                "lines": tuple(lines),
                "hours": hours,
                "paid": paid,
                "risk": risk,
                "refund": PlatformRefundStatus.NONE,
            }
            sns.append(order_sn)
        self._send(*sns)
        assert dict(Order.objects.filter(order_sn__in=sns).values_list("order_sn", "status")) == dict.fromkeys(
            sns, S.NEW
        )

    @precondition(lambda self: self.platform)
    @rule(data=st.data(), change=st.sampled_from(["refund_success", "refund_open", "refund_closed", "risk", "clear"]))
    def platform_update(self, data, change):
        live = sorted(set(self.platform) - self.cancelled)
        if not live or data.draw(st.integers(0, 3), label="to a cancelled order") == 0:
            live = sorted(self.platform)  # now and then an update to an order we already cancelled
        order_sn = data.draw(st.sampled_from(live), label="order")
        before = self._order(order_sn)
        p = self.platform[order_sn]
        if change == "refund_success":
            p["refund"] = PlatformRefundStatus.REFUNDED
        elif change == "refund_open":
            p["refund"] = PlatformRefundStatus.IN_PROGRESS
        elif change == "refund_closed":
            p["refund"] = PlatformRefundStatus.NONE
        elif change == "risk":
            p["risk"] = 1
        else:
            p["risk"] = 0
        self._send(order_sn)
        after = self._order(order_sn)
        event(f"platform {change}: {before.status} → {after.status}")

        reasons = [
            r for r, on in (("platform_risk", p["risk"] == 1), ("after_sales_open", p["refund"] in (2, 3))) if on
        ]
        if before.status == S.CANCELLED or p["refund"] == PlatformRefundStatus.REFUNDED:
            assert after.status == S.CANCELLED  # a refund before shipping cancels; a cancelled order stays so
            self.cancelled.add(order_sn)
            self.held_by_hand.discard(order_sn)
        elif before.status == S.ACCEPTED:
            if reasons:
                assert (after.status, after.hold_reasons) == (S.ON_HOLD, reasons)
            else:
                assert after.status == S.ACCEPTED
        elif before.status == S.NEW:
            assert after.status == S.NEW  # review decides; intake does not hold a NEW order
        else:
            kept = [r for r in before.hold_reasons if r not in PLATFORM_REASONS]
            expected = set(reasons) | set(kept)
            if expected:
                assert (after.status, set(after.hold_reasons)) == (S.ON_HOLD, expected)
            else:
                assert after.status == S.NEW

    @precondition(lambda self: self.platform)
    @rule(data=st.data(), lines=ORDER_LINES)
    def platform_changes_items(self, data, lines):
        """The buyer changed the items (or the platform corrected them): an order that never reserved stock takes the
        new items; one that did keeps its lines (its reservation history points at them)."""
        order_sn = data.draw(st.sampled_from(sorted(set(self.platform) - self.cancelled) or sorted(self.platform)))
        before = self._order(order_sn)
        had_stock = Reservation.objects.filter(order=before).exists()
        old_lines = sorted(OrderLine.objects.filter(order=before).values_list("sku__code", "quantity"))
        self.platform[order_sn]["lines"] = tuple(lines)
        self._send(order_sn)
        after = self._order(order_sn)
        assert after.status == before.status
        stored = sorted(OrderLine.objects.filter(order=before).values_list("sku__code", "quantity"))
        if before.status in (S.NEW, S.ON_HOLD) and not had_stock:
            assert stored == sorted(lines)
        else:
            assert stored == old_lines

    # ---------------------------------------------------------------- rules: review and people

    @rule()
    def review(self):
        report = review_orders(actor=ACTOR, now=NOW)
        event(f"review accepted any: {report.accepted > 0}, held any for stock: {bool(report.short_units)}")
        self._check_after_review(include_new=True)

    @rule(data=st.data())
    def cancel(self, data):
        order = self._pick(data, PRE_SHIPMENT)
        if order is None:
            return
        event(f"cancel {order.status}")
        cancel_order(order.id, actor=ACTOR, now=NOW)
        self.cancelled.add(order.order_sn)
        self.held_by_hand.discard(order.order_sn)
        assert self._order(order.order_sn).status == S.CANCELLED

    @rule(data=st.data())
    def hold(self, data):
        order = self._pick(data, PRE_SHIPMENT)
        if order is None:
            return
        event(f"hold {order.status}")
        hold_order(order.id, actor=ACTOR, now=NOW, note="拦截")
        self.held_by_hand.add(order.order_sn)
        after = self._order(order.order_sn)
        assert after.status == S.ON_HOLD and "manual" in after.hold_reasons

    @rule(data=st.data())
    def release(self, data):
        order = self._pick(data, [S.ON_HOLD])
        if order is None:
            return
        release_order(order.id, actor=ACTOR, now=NOW)
        self.held_by_hand.discard(order.order_sn)
        after = self._order(order.order_sn)
        assert (after.status, after.hold_reasons) == (S.NEW, [])

    # ---------------------------------------------------------------- rules: stock

    @rule(code=st.sampled_from(STOCKED), quantity=st.integers(1, 20))
    def receive(self, code, quantity):
        receive_stock(code, quantity, actor=ACTOR, now=NOW)
        self.on_hand[code] += quantity
        # held-for-stock orders were reviewed again after the commit
        self._check_after_review(include_new=False)

    @precondition(lambda self: any(self.on_hand.values()))
    @rule(data=st.data())
    def adjust_down(self, data):
        code = data.draw(st.sampled_from([c for c in STOCKED if self.on_hand[c] > 0]), label="sku")
        delta = -data.draw(st.integers(1, self.on_hand[code]), label="units")
        self._shrink(
            code, lambda: adjust_stock(code, delta, actor=ACTOR, now=NOW, note="破损"), self.on_hand[code] + delta
        )

    @rule(code=st.sampled_from(STOCKED), quantity=st.integers(1, 5))
    def adjust_up(self, code, quantity):
        adjust_stock(code, quantity, actor=ACTOR, now=NOW, note="找到")
        self.on_hand[code] += quantity
        self._check_after_review(include_new=False)

    @rule(counts=st.dictionaries(st.sampled_from(STOCKED), st.integers(0, 30), min_size=1))
    def count_stock(self, counts):
        if len(counts) == 1:
            [(code, quantity)] = counts.items()
            self._shrink(code, lambda: stocktake([StockCount(code, "MAIN", quantity)], actor=ACTOR, now=NOW), quantity)
            return
        grew = any(quantity > self.on_hand[code] for code, quantity in counts.items())
        stocktake([StockCount(code, "MAIN", q) for code, q in sorted(counts.items())], actor=ACTOR, now=NOW)
        self.on_hand.update(counts)
        if grew:
            self._check_after_review(include_new=False)

    def _shrink(self, code: str, apply, after: int) -> None:
        """Set one SKU's count to ``after`` via ``apply``. Below what is reserved, the latest-deadline holders lose
        their reservations (as few orders as needed, whole orders) and are held for stock; otherwise nobody does."""
        holders_before = self._open_by_order_on(code)
        orders = {o.id: o for o in Order.objects.filter(id__in=list(holders_before))}
        reserved_before = sum(holders_before.values())
        grew = after > self.on_hand[code]
        apply()
        self.on_hand[code] = after
        holders_after = self._open_by_order_on(code)
        lost = set(holders_before) - set(holders_after)
        if reserved_before <= after:
            assert not lost, "units were taken back although the new count covers every reservation"
        else:
            assert lost, "reserved exceeded the new count but nothing was taken back"
            event("count below reserved: reservations taken back")
            for order_id in lost:
                now_held = self._order(orders[order_id].order_sn)
                assert (orders[order_id].status, now_held.status, now_held.hold_reasons) == (
                    S.ACCEPTED,
                    S.ON_HOLD,
                    ["stock_insufficient"],
                )
            kept = [_priority(orders[i]) for i in holders_after]
            taken = sorted(_priority(orders[i]) for i in lost)
            assert not kept or max(kept) < taken[0], "an earlier deadline lost its units before a later one"
            freed = sum(holders_before[i] for i in lost)
            earliest_lost = next(i for i in lost if _priority(orders[i]) == taken[0])
            assert freed >= reserved_before - after
            assert freed - holders_before[earliest_lost] < reserved_before - after, "more orders lost than needed"
        if grew:
            self._check_after_review(include_new=False)

    # ---------------------------------------------------------------- checks

    def _check_after_review(self, *, include_new: bool) -> None:
        """After review (or the re-review that follows new stock) no order held only for stock could be served by
        what is left: allocation is all-or-nothing in deadline order, and availability only fell during the run."""
        available = self._available()
        if include_new:
            assert not Order.objects.filter(status=S.NEW).exists(), "review left NEW orders behind"
        for order in Order.objects.filter(status=S.ON_HOLD):
            if order.hold_reasons != ["stock_insufficient"]:
                continue
            needs = _needs(OrderLine.objects.filter(order=order).values_list("sku__code", "quantity"))
            assert any(needs[code] > available[code] for code in needs), (
                f"{order.order_sn} is held for stock but {needs} fits in {available}"
            )

    @invariant()
    def ledger_balances(self):
        assert ledger_problems() == []
        on_hand: dict[str, int] = defaultdict(int)
        for code, level_on_hand, reserved in StockLevel.objects.values_list("sku__code", "on_hand", "reserved"):
            assert 0 <= reserved <= level_on_hand
            on_hand[code] += level_on_hand
        assert {code: on_hand[code] for code in STOCKED} == self.on_hand
        open_units = dict(
            Reservation.objects.filter(state=Reservation.State.OPEN)
            .values_list("sku__code")
            .annotate(q=Sum("quantity"))
            .order_by()
        )
        for code, units in open_units.items():
            assert units <= on_hand[code], f"{code}: {units} units promised, {on_hand[code]} on the shelf"

    @invariant()
    def reservations_match_status(self):
        open_rows: dict[int, dict[tuple[int, str], int]] = defaultdict(lambda: defaultdict(int))
        for order_id, line_id, code, quantity in Reservation.objects.filter(state=Reservation.State.OPEN).values_list(
            "order_id", "line_id", "sku__code", "quantity"
        ):
            open_rows[order_id][(line_id, code)] += quantity
        lines: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
        for order_id, line_id, code, quantity in OrderLine.objects.values_list(
            "order_id", "id", "sku__code", "quantity"
        ):
            lines[order_id].append((line_id, code, quantity))
        for order in Order.objects.all():
            have = dict(open_rows.get(order.id, {}))
            if order.status == S.ACCEPTED:
                want: dict[tuple[int, str], int] = defaultdict(int)
                for line_id, code, quantity in lines[order.id]:
                    for component, per_unit in COMPONENTS[code].items():
                        want[(line_id, component)] += per_unit * quantity
                assert have == dict(want), f"{order.order_sn} ACCEPTED holds {have}, needs {dict(want)}"
            else:
                assert order.status in (S.NEW, S.ON_HOLD, S.CANCELLED), order.status
                assert not have, f"{order.order_sn} is {order.status} but holds {have}"

    @invariant()
    def model_agrees(self):
        stored = {o.order_sn: o for o in Order.objects.filter(shop=self.shop)}
        assert set(stored) == set(self.platform)
        for order_sn, order in stored.items():
            p = self.platform[order_sn]
            if order_sn in self.cancelled:
                assert order.status == S.CANCELLED
                continue
            assert order.status != S.CANCELLED, f"{order_sn} cancelled though nobody cancelled it"
            if order_sn in self.held_by_hand:
                assert order.status == S.ON_HOLD and "manual" in order.hold_reasons
            if p["risk"] == 1 or p["refund"] in (2, 3):
                assert order.status != S.ACCEPTED, f"{order_sn} accepted while the platform says not to ship"


@pytest.mark.django_db(transaction=True)
def test_ledger_survives_random_command_sequences():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=1000 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
