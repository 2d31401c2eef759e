"""Use cases the workbench adds: mapping a listing with the person recorded, and revealing a receiver.

Kept apart from the CLI's services so both edges share one rule each and the audit names the person.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kuaifa.domain.orders.canonical import Receiver
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import AccessEvent, Order, PlatformSku, Sku
from kuaifa.services.audit import event
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.orders import cancel_order, hold_order, release_order
from kuaifa.services.review import candidate_ids, review_orders


class NotWaiting(DomainError):
    code = "order.not_waiting_for_review"
    template = "Order %(order_id)s is not waiting for review (only new orders and stock or mapping holds are)."


@transaction.atomic(durable=True)
def map_listing(
    shop_id: int, goods_id: str, platform_sku_id: str, sku_code: str, *, actor: Actor, now: datetime
) -> int:
    """Say which SKU a platform listing is; held orders pick it up on the next review. Returns the mapping id."""
    sku = Sku.objects.filter(code=sku_code.strip()).first()
    if sku is None:
        raise NotFound(kind="SKU", key=sku_code)
    if not goods_id:
        raise InvalidInput(field="goods_id", reason=Text("a listing needs its goods id"))
    mapping, _ = PlatformSku.objects.update_or_create(
        shop_id=shop_id, goods_id=goods_id, platform_sku_id=platform_sku_id, defaults={"sku": sku}
    )
    AccessEvent.objects.create(
        kind="listing_mapped",
        actor=actor.stored,
        details={"shop_id": shop_id, "goods_id": goods_id, "platform_sku_id": platform_sku_id, "sku": sku.code},
        created_at=now,
    )
    return mapping.id


@transaction.atomic(durable=True)
def reveal_receiver(order_id: int, *, shop_scope: frozenset[int], actor: Actor, now: datetime) -> Receiver:
    """The full receiver of one of the merchant's own orders (manual and reissued ones, stored in plain text).

    Platform orders hold only the platform's ciphertext and masks, so there is nothing to reveal for them.
    Each reveal leaves an ``address_revealed`` event on the order.
    """
    order = Order.objects.filter(id=order_id).first()
    if order is None or (shop_scope and order.shop_id not in shop_scope):
        raise NotFound(kind="order", key=order_id)
    if not order.receiver_is_plaintext:
        raise InvalidInput(
            field="receiver",
            reason=Text("order %(order_sn)s has only the platform's encrypted receiver", order_sn=order.order_sn),
        )
    event(order.id, "address_revealed", actor=actor, now=now).save()
    return order.receiver()


@dataclass(frozen=True)
class BulkOutcome:
    """What a bulk action did: orders it changed, and each refusal with the order and its reason."""

    done: list[int]
    refused: list[tuple[int, DomainError]]


BULK_ACTIONS = ("review", "hold", "release", "cancel")


def apply_to_orders(
    action: str, order_ids: Sequence[int], *, note: str = "", actor: Actor, now: datetime
) -> BulkOutcome:
    """Review, hold, release or cancel the chosen orders. Each order is its own use case (its own transaction and
    audit event): one order refused (changed meanwhile, already shipped) never stops or undoes the others."""
    if action not in BULK_ACTIONS:
        raise InvalidInput(
            field="action",
            reason=Text("%(action)r is not one of %(names)s", action=action, names=", ".join(BULK_ACTIONS)),
        )
    if not order_ids:
        raise InvalidInput(field="orders", reason=Text("choose at least one order"))
    if action == "review":
        waiting = set(candidate_ids(order_ids=order_ids))
        review_orders(actor=actor, now=now, order_ids=sorted(waiting))
        return BulkOutcome(
            done=[i for i in order_ids if i in waiting],
            refused=[(i, NotWaiting(order_id=i)) for i in order_ids if i not in waiting],
        )
    done, refused = [], []
    for order_id in order_ids:
        try:
            if action == "hold":
                hold_order(order_id, note=note, actor=actor, now=now)
            elif action == "release":
                release_order(order_id, actor=actor, now=now)
            else:
                cancel_order(order_id, note=note, actor=actor, now=now)
            done.append(order_id)
        except DomainError as err:
            refused.append((order_id, err))
    return BulkOutcome(done, refused)
