"""A deterministic simulated PDD shop: the same seed gives the same orders, versions and after-sales cases.

What it reproduces, with the platform rules behind each (pdd-reference §2, §4, §7):

- arrivals by hour of day, quiet at night and ``peak_multiplier`` times busier in the peak hours;
- a catalog of SKUs with merchant codes (outer_id), one bundle SKU, 48 h and 24 h shipping promises
  (``last_ship_time`` = created + promise) and a pre-sale item (``last_ship_time`` = the pre-sale day 23:59:59);
- risk-review orders (``risk_control_status`` 1, receiver ciphertext ``""`` until the review clears), ``ship_hold``
  tags, buyer memos, merchant remarks, address changes; every later change is a new version with a later
  ``updated_at``;
- cancellations before shipment (after-sales 仅退款 → ``refund_status`` 4 while still 待发货), orders the merchant
  shipped earlier (``order_status`` 2, then 3 on receipt), and after-sales cases after shipment;
- receiver name/phone/address as deterministic ``~AgAAAA…~`` ciphertext only while 待发货 and not under review,
  their masks always; province/city/town plaintext; ``open_address_id`` equal for the same buyer and address.

Orders are full PDD order objects (the field names of ``pdd-order-object.txt``), times as Beijing strings, money
as yuan floats. After-sales cases are kept in one internal shape; the gateway renders them in the list coding
(types 2..6, yuan strings) or the detail coding (types 1..5, fen).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from kuaifa.platforms.sim.catalog import (
    CATALOG,
    GIVEN,
    MEMOS,
    REGION_WEIGHTS,
    REGIONS,
    REMARKS,
    RETURN_REASONS,
    STREETS,
    SURNAMES,
    TAG_NAMES,
    SimSku,
)
from kuaifa.platforms.sim.clock import beijing
from kuaifa.platforms.sim.receivers import Buyer, open_address_id, published, set_receiver
from kuaifa.platforms.sim.shop import (
    DAY,
    EXCHANGE,
    HOUR,
    MERCHANT_RESPONSE_S,
    REFUND_ONLY,
    RESEND,
    RETURN_REFUND,
    WAITING_ON_MERCHANT,
    OrderVersion,
    RefundCase,
    ShopConfig,
    SimShop,
    copy_order,
)

#: relative arrivals by Beijing hour; the peak hours are multiplied by ``peak_multiplier``
HOURLY_PROFILE = (3, 2, 1, 1, 1, 1, 3, 6, 9, 11, 12, 12, 10, 10, 10, 10, 9, 9, 10, 12, 14, 15, 11, 6)


def generate_shop(config: ShopConfig | None = None) -> SimShop:
    """Generate the shop for ``config`` (deterministic: one ``random.Random(config.seed)`` drives everything)."""
    config = config or ShopConfig()
    rng = random.Random(config.seed)
    shop = SimShop(config=config, catalog=CATALOG)
    builder = _OrderBuilder(config, rng, shop)
    for arrival in _arrivals(config, rng, shop.start_ts):
        builder.build(arrival)
    return shop


def _arrivals(config: ShopConfig, rng: random.Random, start_ts: int) -> list[int]:
    """``orders_per_day`` creation times per day, spread over the hours by the profile and the peak multiplier."""
    weights = [
        weight * (config.peak_multiplier if hour in config.peak_hours else 1.0)
        for hour, weight in enumerate(HOURLY_PROFILE)
    ]
    times: list[int] = []
    for day in range(config.days):
        hours = rng.choices(range(24), weights=weights, k=config.orders_per_day)
        times.extend(start_ts + day * DAY + hour * HOUR + rng.randrange(HOUR) for hour in hours)
    return sorted(times)


class _OrderBuilder:
    """Plans one order's life (a list of timed changes) and records a version after each change."""

    def __init__(self, config: ShopConfig, rng: random.Random, shop: SimShop) -> None:
        self.config = config
        self.rng = rng
        self.shop = shop
        self.regular = [sku for sku in CATALOG if sku.pre_sale_after_days is None]
        self.pre_sale = [sku for sku in CATALOG if sku.pre_sale_after_days is not None]
        self.buyers: list[Buyer] = []
        self.refund_seq = 0

    # --- the order's first version ----------------------------------------------------------------------------

    def build(self, created: int) -> None:
        rng, config = self.rng, self.config
        pay = created + rng.randint(3, 90)
        confirm = pay + rng.randint(0, 600)
        order_sn = self._order_sn(created)
        lines = self._lines()
        buyer = self._buyer()
        goods_fen = sum(sku.price_fen * count for sku, count in lines)
        seller_fen = rng.choice((300, 500)) if goods_fen >= 3000 and rng.random() < 0.3 else 0
        platform_fen = rng.choice((100, 200, 300)) if rng.random() < 0.25 else 0
        if seller_fen + platform_fen >= goods_fen:
            seller_fen = platform_fen = 0
        discount_fen = seller_fen + platform_fen
        postage_fen = buyer.region.postage_fen
        pay_fen = goods_fen - discount_fen + postage_fen
        pre_sale_sku = next((sku for sku, _ in lines if sku.pre_sale_after_days is not None), None)
        if pre_sale_sku is not None:
            assert pre_sale_sku.pre_sale_after_days is not None
            pre_sale_ts = self.shop.start_ts + pre_sale_sku.pre_sale_after_days * DAY + DAY - 1  # that day 23:59:59
            last_ship = pre_sale_ts
        else:
            pre_sale_ts = None
            last_ship = created + min(sku.ship_hours for sku, _ in lines) * HOUR
        risk = rng.random() < config.risk_share
        hold = rng.random() < config.ship_hold_share
        memo = rng.choice(MEMOS) if rng.random() < config.memo_share else ""
        region = buyer.region
        order: dict[str, Any] = {
            "order_sn": order_sn,
            "order_status": 1,
            "refund_status": 1,
            "after_sales_status": 0,
            "confirm_status": 1,
            "group_status": 1,
            "group_order_id": rng.randrange(10**9, 10**10),
            "group_role": rng.choice((0, 1)),
            "risk_control_status": 1 if risk else 0,
            "trade_type": 0,
            "is_lucky_flag": 1,
            "mkt_biz_type": 0,
            "is_pre_sale": 1 if pre_sale_ts is not None else 0,
            "pre_sale_time": beijing(pre_sale_ts) if pre_sale_ts is not None else "",
            "created_time": beijing(created),
            "pay_time": beijing(pay),
            "confirm_time": beijing(confirm),
            "last_ship_time": beijing(last_ship),
            "shipping_time": "",
            "receive_time": "",
            "updated_at": beijing(confirm),
            "urge_shipping_time": "",
            "promise_delivery_time": "",
            "goods_amount": self._goods_amount(lines, goods_fen),
            "discount_amount": _yuan(discount_fen),
            "platform_discount": _yuan(platform_fen),
            "seller_discount": _yuan(seller_fen),
            "capital_free_discount": 0.0,
            "order_change_amount": 0.0,
            "postage": _yuan(postage_fen),
            "pay_amount": self._pay_amount(lines, pay_fen, discount_fen, postage_fen),
            "duo_duo_pay_reduction": 0.0,
            "pay_type": "",
            "pay_no": "",
            "inner_transaction_id": "",
            "item_list": [
                {
                    "goods_id": sku.goods_id,
                    "sku_id": sku.sku_id,
                    "goods_name": sku.goods_name,
                    "goods_spec": sku.goods_spec,
                    "goods_count": count,
                    "goods_price": _yuan(sku.price_fen),
                    "goods_img": f"https://img.sim.invalid/goods/{sku.goods_id}.jpg",
                    "outer_id": sku.outer_id,
                    "outer_goods_id": sku.outer_goods_id,
                }
                for sku, count in lines
            ],
            "country": "中国",
            "country_id": 0,
            "province": region.province,
            "province_id": region.province_id,
            "city": region.city,
            "city_id": region.city_id,
            "town": region.town,
            "town_id": region.town_id,
            "open_address_id": open_address_id(config.seed, buyer),
            "logistics_id": 0,
            "tracking_number": "",
            "extra_delivery_list": [],
            "resend_delivery_list": [],
            "gift_delivery_list": [],
            "buyer_memo": memo,
            "remark": "",
            "remark_tag": None,
            "remark_tag_name": "",
            "is_stock_out": 0,
            "stock_out_handle_status": -1,
            "free_sf": 0,
            "return_freight_payer": 0,
            "only_support_replace": 0,
            "support_nationwide_warranty": 0,
            "delivery_one_day": 0,
            "self_contained": 0,
            "invoice_status": 0,
            "duoduo_wholesale": 0,
            "step_order_info": None,
            "order_tag_list": [{"name": name, "value": 1 if name == "ship_hold" and hold else 0} for name in TAG_NAMES],
        }
        set_receiver(order, buyer, config.seed, 0)
        if config.poison_share and rng.random() < config.poison_share:
            poison(order)
        timeline = _Timeline(order, confirm)
        self._plan(timeline, order_sn, confirm, lines, buyer, risk, hold, pre_sale_ts, pay_fen, discount_fen)
        self.shop.orders[order_sn] = timeline.versions()

    def _goods_amount(self, lines: list[tuple[SimSku, int]], goods_fen: int) -> float:
        """The goods total as the platform's doubles make it: each price × its count, summed in floating point."""
        if not self.config.computed_amounts:
            return _yuan(goods_fen)
        return sum((_yuan(sku.price_fen) * count for sku, count in lines), 0.0)

    def _pay_amount(self, lines: list[tuple[SimSku, int]], pay_fen: int, discount_fen: int, postage_fen: int) -> float:
        if not self.config.computed_amounts:
            return _yuan(pay_fen)
        return self._goods_amount(lines, 0) - _yuan(discount_fen) + _yuan(postage_fen)

    # --- later changes ----------------------------------------------------------------------------------------

    def _plan(
        self,
        timeline: _Timeline,
        order_sn: str,
        confirm: int,
        lines: list[tuple[SimSku, int]],
        buyer: Buyer,
        risk: bool,
        hold: bool,
        pre_sale_ts: int | None,
        pay_fen: int,
        discount_fen: int,
    ) -> None:
        rng, config = self.rng, self.config
        ready = confirm  # earliest moment the merchant could ship
        blocked = False
        if risk:
            if rng.random() < 0.75:
                cleared = confirm + rng.randint(1 * HOUR, 8 * HOUR)
                timeline.at(cleared, lambda o: o.update(risk_control_status=0))
                ready = max(ready, cleared)
            else:
                blocked = True
        if hold:
            if rng.random() < 0.5:
                released = confirm + rng.randint(2 * HOUR, 24 * HOUR)
                timeline.at(released, lambda o: _set_tag(o, "ship_hold", 0))
                ready = max(ready, released)
            else:
                blocked = True
        if rng.random() < config.update_share:
            self._plan_update(timeline, confirm, buyer)
        first_sku, first_count = lines[0]
        if rng.random() < config.cancel_share:
            applied = confirm + rng.randint(5 * 60, 10 * HOUR)
            refunded = applied + rng.randint(60, 30 * 60)
            case = self._case(
                order_sn, REFUND_ONLY, 2, applied, first_sku, first_count, pay_fen, discount_fen, shipped=False
            )
            case = replace(case, refund_fen=pay_fen, reason="不想要了", speed_refund=True)
            self._record_case(case, [(refunded, {"status": 10, "confirm_at": refunded})])
            timeline.at(applied, lambda o: o.update(refund_status=2, after_sales_status=2))
            timeline.at(refunded, lambda o: o.update(refund_status=4, after_sales_status=10))
            return
        if blocked or pre_sale_ts is not None or rng.random() >= config.ship_share:
            return
        shipped = ready + rng.randint(1 * HOUR, 30 * HOUR)
        logistics_id, tracking = rng.choice(((85, "YT"), (115, "7"), (121, "43"), (44, "SF")))
        tracking_number = f"{tracking}{rng.randrange(10**11, 10**12)}"
        timeline.at(
            shipped,
            lambda o: o.update(
                order_status=2,
                shipping_time=beijing(shipped),
                logistics_id=logistics_id,
                tracking_number=tracking_number,
            ),
        )
        if rng.random() < 0.5:
            received = shipped + rng.randint(2 * DAY, 4 * DAY)
            timeline.at(received, lambda o: o.update(order_status=3, receive_time=beijing(received)))
        if rng.random() < config.after_sales_share:
            self._plan_after_sales(timeline, order_sn, shipped, first_sku, first_count, pay_fen, discount_fen)

    def _plan_update(self, timeline: _Timeline, confirm: int, buyer: Buyer) -> None:
        rng = self.rng
        moment = confirm + rng.randint(10 * 60, 20 * HOUR)
        change = rng.choice(("remark", "buyer_memo", "address"))
        if change == "remark":
            remark, tag = rng.choice(REMARKS), rng.randint(1, 5)
            timeline.at(moment, lambda o: o.update(remark=remark, remark_tag=tag, remark_tag_name=""))
        elif change == "buyer_memo":
            memo = rng.choice(MEMOS)
            timeline.at(moment, lambda o: o.update(buyer_memo=memo))
        else:
            moved = Buyer(buyer.name, buyer.phone, f"{rng.choice(STREETS)}{rng.randint(1, 300)}号", buyer.region)
            seed = self.config.seed

            def change_address(order: dict[str, Any]) -> None:
                if order["order_status"] == 1:  # the address can only change before shipment
                    set_receiver(order, moved, seed, 1)
                    order["open_address_id"] = open_address_id(seed, moved)

            timeline.at(moment, change_address)

    def _plan_after_sales(
        self,
        timeline: _Timeline,
        order_sn: str,
        shipped: int,
        sku: SimSku,
        count: int,
        pay_fen: int,
        discount_fen: int,
    ) -> None:
        rng = self.rng
        opened = shipped + rng.randint(1 * DAY, 3 * DAY)
        kind = rng.choices((RETURN_REFUND, REFUND_ONLY, EXCHANGE, RESEND), weights=(55, 25, 15, 5))[0]
        status = {RETURN_REFUND: 3, REFUND_ONLY: 2, EXCHANGE: 14, RESEND: 14}[kind]
        number = rng.randint(1, count)
        case = self._case(order_sn, kind, status, opened, sku, number, pay_fen, discount_fen, shipped=True)
        changes: list[tuple[int, dict[str, Any]]] = []
        timeline.at(opened, lambda o: o.update(refund_status=2, after_sales_status=status))
        if rng.random() < 0.6:
            resolved = opened + rng.randint(1 * HOUR, 2 * DAY)
            final = 10 if kind in (RETURN_REFUND, REFUND_ONLY) else 16
            summary = 4 if final == 10 else 1
            change: dict[str, Any] = {"status": final}
            if final == 10:
                change["confirm_at"] = resolved
            if kind == RETURN_REFUND:
                change["return_tracking_number"] = f"YT{rng.randrange(10**11, 10**12)}"
                change["return_shipping_name"] = "圆通快递"
            changes.append((resolved, change))
            timeline.at(resolved, lambda o: o.update(refund_status=summary, after_sales_status=final))
        self._record_case(case, changes)

    def _case(
        self,
        order_sn: str,
        kind: str,
        status: int,
        opened: int,
        sku: SimSku,
        number: int,
        pay_fen: int,
        discount_fen: int,
        *,
        shipped: bool,
    ) -> RefundCase:
        self.refund_seq += 1
        return RefundCase(
            id=9_000_000_000 + self.config.seed * 100_000 + self.refund_seq,
            order_sn=order_sn,
            kind=kind,
            status=status,
            reason=self.rng.choice(RETURN_REASONS),
            refund_fen=min(pay_fen, sku.price_fen * number),
            order_fen=pay_fen,
            discount_fen=discount_fen,
            goods_price_fen=sku.price_fen,
            goods_number=number,
            goods_id=sku.goods_id,
            goods_name=sku.goods_name,
            sku_id=sku.sku_id,
            outer_id=sku.outer_id,
            outer_goods_id=sku.outer_goods_id,
            created_at=opened,
            updated_at=opened,
            order_shipped=shipped,
        )

    def _record_case(self, case: RefundCase, changes: list[tuple[int, dict[str, Any]]]) -> None:
        """Store the case's versions: opened, then each change; ``expire_at`` only while waiting on the merchant."""
        versions = [_with_deadline(case)]
        for moment, change in sorted(changes, key=lambda item: item[0]):
            versions.append(_with_deadline(replace(versions[-1], updated_at=moment, **change)))
        self.shop.refunds[case.id] = versions

    # --- random parts -----------------------------------------------------------------------------------------

    def _order_sn(self, created: int) -> str:
        prefix = beijing(created)[2:10].replace("-", "")
        while True:
            order_sn = f"{prefix}-{self.rng.randrange(10**14, 10**15)}"
            if order_sn not in self.shop.orders:
                return order_sn

    def _lines(self) -> list[tuple[SimSku, int]]:
        rng = self.rng
        if self.pre_sale and rng.random() < self.config.pre_sale_share:
            return [(rng.choice(self.pre_sale), 1)]
        kinds = 1 if rng.random() < 0.85 else 2
        chosen: list[SimSku] = []
        while len(chosen) < kinds:
            sku = rng.choices(self.regular, weights=[sku.weight for sku in self.regular])[0]
            if sku not in chosen:
                chosen.append(sku)
        return [(sku, rng.choices((1, 2, 3), weights=(70, 22, 8))[0]) for sku in chosen]

    def _buyer(self) -> Buyer:
        rng = self.rng
        if self.buyers and rng.random() < self.config.repeat_buyer_share:
            return rng.choice(self.buyers)  # same buyer, same address: a merge-ship (合单) candidate
        buyer = Buyer(
            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            phone=f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}",
            address=f"{rng.choice(STREETS)}{rng.randint(1, 300)}号{rng.randint(1, 30)}栋{rng.randint(101, 2808)}室",
            region=rng.choices(REGIONS, weights=REGION_WEIGHTS)[0],
        )
        self.buyers.append(buyer)
        return buyer


class _Timeline:
    """Applies timed changes to an order in time order and keeps a version after each."""

    def __init__(self, first: dict[str, Any], first_at: int) -> None:
        self.first = first
        self.first_at = first_at
        self.changes: list[tuple[int, int, Callable[[dict[str, Any]], None]]] = []

    def at(self, moment: int, change: Callable[[dict[str, Any]], None]) -> None:
        self.changes.append((moment, len(self.changes), change))

    def versions(self) -> list[OrderVersion]:
        current = copy_order(self.first)
        hidden = current.pop("_receiver")
        result = [OrderVersion(self.first_at, published(current, hidden))]
        for moment, _, change in sorted(self.changes, key=lambda item: (item[0], item[1])):
            current["_receiver"] = hidden
            change(current)
            hidden = current.pop("_receiver")
            current["updated_at"] = beijing(moment)
            version = OrderVersion(moment, published(current, hidden))
            if result[-1].updated_at == moment:
                result[-1] = version  # two changes in the same second are one version
            else:
                result.append(version)
        return result


def _set_tag(order: dict[str, Any], name: str, value: int) -> None:
    for tag in order["order_tag_list"]:
        if tag["name"] == name:
            tag["value"] = value


def _with_deadline(case: RefundCase) -> RefundCase:
    deadline = case.updated_at + MERCHANT_RESPONSE_S if case.status in WAITING_ON_MERCHANT else None
    return replace(case, expire_at=deadline)


def poison(order: dict[str, Any]) -> None:
    """Make ``order`` unmappable the way an odd gateway does: its first line's goods_count is not a number."""
    order["item_list"][0]["goods_count"] = "三件"


def _yuan(fen: int) -> float:
    """Fen as PDD's yuan float; ``fen / 100`` is the double nearest the two-decimal value, e.g. 1.15."""
    return fen / 100
