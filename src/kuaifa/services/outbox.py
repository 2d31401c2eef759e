"""The outbox: calls owed to a platform, sent until acknowledged, never twice at once, never lost.

An entry is written in the same transaction as the change that owes it (e.g. a shipment), keyed so the same call
is queued once. A worker *claims* an entry with one conditional UPDATE (pending and due, or sending with an
expired lease), so two workers never send the same entry together; it then calls the platform outside any
transaction and records the outcome. A worker that dies mid-call leaves a lease that expires; the retry is safe
because each call is idempotent or recognised by the platform adapter as already done.
Retryable failures back off exponentially (capped); others stop and wait for a person (``kuaifa outbox --retry``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from kuaifa.domain.platform import PlatformError, SalesPlatform
from kuaifa.persistence.models import OutboxEntry, Shipment, Shop
from kuaifa.services.outbox_calls import Payload, read_payload, send
from kuaifa.services.shop_authorization import AUTHORIZATION, mark_needs_authorization

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 12


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at 30 min."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


def enqueue(shop: Shop, key: str, payload: Payload, *, now: datetime) -> OutboxEntry:
    """Queue a call inside the caller's transaction; the same key is queued once."""
    entry, _ = OutboxEntry.objects.get_or_create(
        key=key,
        defaults={"shop": shop, "kind": payload.kind, "payload": payload.to_json(), "next_attempt_at": now,
                  "created_at": now},
    )  # fmt: skip
    return entry


def due_ids(*, now: datetime, shop_id: int | None = None, limit: int = 100) -> list[int]:
    query = OutboxEntry.objects.filter(
        Q(state=OutboxEntry.State.PENDING, next_attempt_at__lte=now)
        | Q(state=OutboxEntry.State.SENDING, claimed_until__lt=now)
    )
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    return list(query.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])


def claim(entry_id: int, *, now: datetime) -> int | None:
    """Take the entry for sending; returns the claim's token (its attempt number), or None if the entry is not
    due or another worker holds it. Only the holder of the latest claim may record the outcome."""
    with transaction.atomic(durable=True):
        taken = (
            OutboxEntry.objects.filter(id=entry_id)
            .filter(
                Q(state=OutboxEntry.State.PENDING, next_attempt_at__lte=now)
                | Q(state=OutboxEntry.State.SENDING, claimed_until__lt=now)
            )
            .update(state=OutboxEntry.State.SENDING, claimed_until=now + LEASE, attempts=F("attempts") + 1)
        )
        if not taken:
            return None
        return OutboxEntry.objects.values_list("attempts", flat=True).get(id=entry_id)


@dataclass(frozen=True)
class Delivery:
    entry_id: int
    outcome: str  # done | retry | failed | skipped
    detail: str = ""


#: failures that pass by themselves (the platform busy or unreachable, an answer cut short or not JSON): the entry
#: stays due and is tried again; it is never parked as failed for one of these
TRANSIENT_CODES = frozenset({"platform.unavailable", "platform.rate_limited"})


def is_transient(error: PlatformError) -> bool:
    return error.retryable or error.code in TRANSIENT_CODES


def _finish(
    entry: OutboxEntry,
    token: int,
    shipment_ids: tuple[int, ...],
    *,
    now: datetime,
    result: dict[str, Any] | None = None,
    error: PlatformError | None = None,
) -> str:
    """Record the outcome of the claim ``token``. A worker whose lease expired and was taken over records nothing
    ("superseded"): the newer claim's outcome stands."""
    with transaction.atomic(durable=True):
        mine = OutboxEntry.objects.filter(id=entry.id, state=OutboxEntry.State.SENDING, attempts=token)
        if error is None:
            if not mine.update(state=OutboxEntry.State.DONE, done_at=now, result=result or {}, last_error="",
                               claimed_until=None):  # fmt: skip
                return "superseded"
            Shipment.objects.filter(id__in=shipment_ids).update(upload_state=Shipment.Upload.DONE, uploaded_at=now)
            return "done"
        reason = f"[{error.code}] {error.message}"[:2000]
        if is_transient(error) and token < MAX_ATTEMPTS:  # after a person's retry (token past the limit): one try
            moved = mine.update(state=OutboxEntry.State.PENDING, next_attempt_at=now + backoff(token),
                                claimed_until=None, last_error=reason)  # fmt: skip
            return "retry" if moved else "superseded"
        if not mine.update(state=OutboxEntry.State.FAILED, claimed_until=None, last_error=reason):
            return "superseded"
        Shipment.objects.filter(id__in=shipment_ids).update(upload_state=Shipment.Upload.FAILED)
        return "failed"


def deliver(entry_id: int, platform_for: Callable[[Shop], SalesPlatform], *, now: datetime) -> Delivery:
    """Claim one entry, make its call, record the outcome."""
    token = claim(entry_id, now=now)
    if token is None:
        return Delivery(entry_id, "skipped", "not due or held by another worker")
    entry = OutboxEntry.objects.select_related("shop").get(id=entry_id)
    shipment_ids: tuple[int, ...] = ()
    try:
        payload = read_payload(entry.kind, entry.payload, entry_id=entry.id)
        shipment_ids = payload.shipment_ids()
        result = send(payload, platform_for(entry.shop))
    except PlatformError as error:
        outcome = _finish(entry, token, shipment_ids, now=now, error=error)
        if error.code == AUTHORIZATION:  # parked until the owner authorises the shop again, which re-queues it
            mark_needs_authorization(entry.shop, now=now)
        return Delivery(entry_id, outcome, f"[{error.code}] {error.message}")
    return Delivery(entry_id, _finish(entry, token, shipment_ids, now=now, result=result))


def retry_refused_authorization(shop_id: int, *, now: datetime) -> int:
    """The shop was authorised again: what failed only because the platform refused its old token is due again.
    Runs inside the caller's transaction (the new token and the retry commit together)."""
    return OutboxEntry.objects.filter(
        shop_id=shop_id, state=OutboxEntry.State.FAILED, last_error__startswith=f"[{AUTHORIZATION}]"
    ).update(state=OutboxEntry.State.PENDING, next_attempt_at=now, claimed_until=None)


@transaction.atomic(durable=True)
def retry_failed(*, shop_id: int | None = None, now: datetime) -> int:
    """A person fixed the cause: failed entries become due again, for one more try each.

    ``attempts`` keeps counting (it is the token of each claim, see :func:`claim`): resetting it would let a worker
    that died long ago, holding an old token, record its outcome over a new claim's."""
    query = OutboxEntry.objects.filter(state=OutboxEntry.State.FAILED)
    if shop_id is not None:
        query = query.filter(shop_id=shop_id)
    return query.update(state=OutboxEntry.State.PENDING, next_attempt_at=now, claimed_until=None)
