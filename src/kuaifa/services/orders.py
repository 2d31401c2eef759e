"""Commands on one order that a person gives: hold, release, cancel, and orders that never came from a platform
(manual orders 手工单, reissues 补发单). Each is one transaction with an audit event.

Hold, release and cancel are decided by ``domain.orders.person`` and run on named statements
(``persistence.statements``): the workbench's single and bulk actions, the API and the command line all come here,
one order per transaction."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from kuaifa.domain.fulfilment.masking import mask_address, mask_name, mask_phone
from kuaifa.domain.orders import person
from kuaifa.domain.orders.canonical import CanonicalLine, CanonicalOrder, Receiver
from kuaifa.domain.orders.review import HoldReason
from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.domain.sla.deadlines import CHINA
from kuaifa.persistence import review_rows as store
from kuaifa.persistence.models import Order, OrderLine, Shop, Sku
from kuaifa.persistence.statements import durable_atomic
from kuaifa.services.errors import InvalidInput, NotFound, OrderConflict
from kuaifa.services.intake import take_order
from kuaifa.services.reservations import release_for_orders
from kuaifa.services.returns import open_tasks

#: how a person's command decides: one of ``domain.orders.person``'s functions
Decide = Callable[..., person.Decision]


def _command(
    order_id: int,
    decide: Decide,
    kind: str,
    *,
    actor: Actor,
    now: datetime,
    task_reason: str | None = None,
    details: Callable[[person.Decision, int], dict[str, Any]],
) -> None:
    """One transaction on named statements: the order read and locked, the domain's decision applied (open
    reservations released, a return-to-stock task if its goods were picked), the status written if nobody changed
    the order meanwhile, and the event with the person as actor. The order counts follow by the database's
    triggers; anything refused rolls the whole command back."""
    with durable_atomic():
        order = store.order_for_action(order_id)
        if order is None:
            raise NotFound(kind="order", key=order_id)
        current = OrderStatus(order.status)
        decision = decide(current, order.hold_reasons, order.waived_reasons, order_sn=order.order_sn)
        released = release_for_orders([order.id], now=now) if decision.release_stock else 0
        if task_reason is not None:
            open_tasks([(order.id, current, decision.target)], reason=task_reason, now=now)
        target = decision.target
        if not store.set_status_if_version(
            order.id, order.version, target, decision.hold_reasons, decision.waived_reasons, now
        ):
            raise OrderConflict(order_sn=order.order_sn, reason=Text("changed by someone else meanwhile; try again"))
        store.insert_events([(order.id, kind, current, target, actor.stored, details(decision, released), now)])


def hold_order(order_id: int, *, note: str = "", actor: Actor, now: datetime) -> None:
    """A person stops an order (拦截): reservations go back to the pool until it is released."""
    _command(order_id, person.hold, "held", actor=actor, now=now, task_reason=f"held by a person: {note}",
             details=lambda decision, _: {"note": note, "reasons": decision.hold_reasons})  # fmt: skip


def release_order(order_id: int, *, actor: Actor, now: datetime) -> None:
    """A person has looked at a held order: back to review, and the judgement rules that held it are waived."""
    _command(order_id, person.release, "released", actor=actor, now=now,
             details=lambda decision, _: {"waived": decision.waived_reasons})  # fmt: skip


def cancel_order(order_id: int, *, note: str = "", actor: Actor, now: datetime) -> None:
    """Cancel before shipping; every open reservation is released in the same transaction."""
    _command(order_id, person.cancel, "cancelled", actor=actor, now=now, task_reason=f"cancelled by a person: {note}",
             details=lambda _, released: {"note": note, "units_released": released})  # fmt: skip


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
