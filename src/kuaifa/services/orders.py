"""Commands on one order that a person gives: hold, release, cancel, and orders that never came from a platform
(manual orders 手工单, reissues 补发单). Each is one transaction with an audit event."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.db.models import F

from kuaifa.domain.fulfilment.masking import mask_address, mask_name, mask_phone
from kuaifa.domain.orders.canonical import CanonicalLine, CanonicalOrder, Receiver
from kuaifa.domain.orders.review import WAIVABLE, HoldReason
from kuaifa.domain.orders.status import RESERVING, OrderStatus, transition
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence.models import Order, OrderLine, Shop, Sku
from kuaifa.services.audit import event
from kuaifa.services.errors import InvalidInput, NotFound, OrderConflict
from kuaifa.services.intake import take_order
from kuaifa.services.reservations import release_for_orders
from kuaifa.services.returns import open_tasks


def _locked(order_id: int) -> Order:
    order = Order.objects.select_for_update().filter(id=order_id).first()
    if order is None:
        raise NotFound(kind="order", key=order_id)
    return order


def _save_status(
    order: Order,
    target: OrderStatus,
    hold_reasons: list[str],
    *,
    kind: str,
    actor: Actor,
    now: datetime,
    **details: object,
) -> None:
    previous = order.status
    changed = Order.objects.filter(id=order.id, version=order.version).update(
        status=target,
        hold_reasons=hold_reasons,
        version=F("version") + 1,
        updated_at=now,
        waived_reasons=order.waived_reasons,
    )
    if not changed:
        raise OrderConflict(order_sn=order.order_sn, reason=Text("changed by someone else meanwhile; try again"))
    event(order.id, kind, actor=actor, now=now, from_status=previous, to_status=target, **details).save()


@transaction.atomic(durable=True)
def hold_order(order_id: int, *, note: str = "", actor: Actor, now: datetime) -> None:
    """A person stops an order (拦截): reservations go back to the pool until it is released."""
    order = _locked(order_id)
    target = transition(OrderStatus(order.status), OrderStatus.ON_HOLD, order_sn=order.order_sn)
    if order.status in RESERVING:
        release_for_orders([order.id], now=now)
    reasons = list(dict.fromkeys([*order.hold_reasons, HoldReason.MANUAL]))
    open_tasks([(order.id, order.status, target)], reason=f"held by a person: {note}", now=now)
    _save_status(order, target, reasons, kind="held", actor=actor, now=now, note=note, reasons=reasons)


@transaction.atomic(durable=True)
def release_order(order_id: int, *, actor: Actor, now: datetime) -> None:
    """A person has looked at a held order: back to review, and the judgement rules that held it are waived."""
    order = _locked(order_id)
    target = transition(OrderStatus(order.status), OrderStatus.NEW, order_sn=order.order_sn)
    order.waived_reasons = sorted({*order.waived_reasons, *(r for r in order.hold_reasons if r in WAIVABLE)})
    _save_status(order, target, [], kind="released", actor=actor, now=now, waived=order.waived_reasons)


@transaction.atomic(durable=True)
def cancel_order(order_id: int, *, note: str = "", actor: Actor, now: datetime) -> None:
    """Cancel before shipping; every open reservation is released in the same transaction."""
    order = _locked(order_id)
    target = transition(OrderStatus(order.status), OrderStatus.CANCELLED, order_sn=order.order_sn)
    released = release_for_orders([order.id], now=now)
    open_tasks([(order.id, order.status, target)], reason=f"cancelled by a person: {note}", now=now)
    _save_status(order, target, [], kind="cancelled", actor=actor, now=now, note=note, units_released=released)


@dataclass(frozen=True)
class ManualLine:
    sku_code: str
    quantity: int
    unit_price_fen: int = 0


def _manual_lines(lines: Sequence[ManualLine]) -> tuple[CanonicalLine, ...]:
    if not lines:
        raise InvalidInput(field="lines", reason=Text("an order needs at least one item"))
    known = dict(Sku.objects.filter(code__in=[line.sku_code for line in lines]).values_list("code", "name"))
    out = []
    for number, line in enumerate(lines, start=1):
        if line.sku_code not in known:
            raise InvalidInput(
                field=Text("line %(number)s", number=number),
                reason=Text("unknown SKU %(sku_code)r", sku_code=line.sku_code),
            )
        if line.quantity <= 0:
            raise InvalidInput(
                field=Text("line %(number)s", number=number),
                reason=Text("quantity must be positive, not %(quantity)s", quantity=line.quantity),
            )
        if line.unit_price_fen < 0:
            raise InvalidInput(field=Text("line %(number)s", number=number), reason=Text("a price cannot be negative"))
        out.append(
            CanonicalLine(
                quantity=line.quantity,
                unit_price_fen=line.unit_price_fen,
                outer_id=line.sku_code,
                goods_name=known[line.sku_code],
            )
        )
    return tuple(out)


def create_manual_order(
    shop: Shop,
    lines: Sequence[ManualLine],
    receiver: Receiver,
    *,
    order_sn: str = "",
    buyer_memo: str = "",
    postage_fen: int = 0,
    actor: Actor,
    now: datetime,
) -> Order:
    """An order taken by phone or chat (手工单). It follows the same review and allocation as platform orders.

    ``receiver`` holds the plaintext the merchant typed; the masks shown on screens are the domain's masking of it
    (``domain.fulfilment.masking``), the same rule as printed documents, whatever masks the caller passed.
    """
    canonical_lines = _manual_lines(lines)
    receiver = replace(receiver, name_mask=mask_name(receiver.name), phone_mask=mask_phone(receiver.phone),
                       address_mask=mask_address(receiver.address), is_plaintext=True)  # fmt: skip
    order_sn = order_sn.strip() or f"M{now.astimezone(CHINA):%y%m%d%H%M%S%f}"
    if Order.objects.filter(shop=shop, order_sn=order_sn).exists():
        raise InvalidInput(
            field="order_sn",
            reason=Text("%(order_sn)s already exists in shop %(name)s", order_sn=order_sn, name=shop.name),
        )
    goods = sum(line.quantity * line.unit_price_fen for line in canonical_lines)
    order = CanonicalOrder(
        order_sn=order_sn,
        lines=canonical_lines,
        goods_amount_fen=goods,
        postage_fen=postage_fen,
        pay_amount_fen=goods + postage_fen,
        receiver=receiver,
        buyer_memo=buyer_memo,
        created_at=now,
        paid_at=now,
        updated_at=now,
    )
    report = take_order(shop, order, source=Order.Source.MANUAL, actor=actor, now=now)
    return Order.objects.get(id=report.order_ids[0])


def create_reissue_order(
    original_id: int, *, lines: Sequence[ManualLine] | None = None, note: str = "", actor: Actor, now: datetime
) -> Order:
    """Send goods again for an order (补发单: lost or damaged parcel, a missing part), free of charge.

    Copies the receiver and, unless told which, every line of the original; it needs no payment, so the amount
    rule is waived for it, and it is reviewed and allocated like any order.
    """
    original = Order.objects.select_related("shop").filter(id=original_id).first()
    if original is None:
        raise NotFound(kind="order", key=original_id)
    if lines is None:
        lines = [
            ManualLine(code, qty)
            for code, qty in OrderLine.objects.filter(order=original, sku__isnull=False).values_list(
                "sku__code", "quantity"
            )
        ]
    canonical_lines = tuple(
        CanonicalLine(quantity=x.quantity, unit_price_fen=0, outer_id=x.outer_id, goods_name=x.goods_name)
        for x in _manual_lines([ManualLine(line.sku_code, line.quantity) for line in lines])
    )
    count = Order.objects.filter(reissue_of=original).count()
    receiver = original.receiver()
    order = CanonicalOrder(
        order_sn=f"{original.order_sn}-R{count + 1}",
        lines=canonical_lines,
        receiver=receiver,
        remark=note,
        created_at=now,
        paid_at=now,
        updated_at=now,
    )
    report = take_order(
        original.shop,
        order,
        source=Order.Source.REISSUE,
        actor=actor,
        now=now,
        waived=[HoldReason.AMOUNT_ANOMALY],
        reissue_of_id=original.id,
    )
    return Order.objects.get(id=report.order_ids[0])
