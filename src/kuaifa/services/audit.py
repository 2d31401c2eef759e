"""The audit trail: every change to an order leaves an OrderEvent in the same transaction."""

from datetime import datetime
from typing import Any

from kuaifa.domain.shared.actor import Actor
from kuaifa.persistence.models import OrderEvent

#: the columns of an OrderEvent row, for bulk inserts (persistence.bulk.insert_rows) on the hot paths
EVENT_COLUMNS = ("order_id", "kind", "from_status", "to_status", "actor", "details", "created_at")
#: one such row: order id, kind, from status, to status, actor (stored form), details, time
EventRow = tuple[int, str, str, str, str, dict[str, Any], datetime]


def event(
    order_id: int,
    kind: str,
    *,
    actor: Actor,
    now: datetime,
    from_status: str = "",
    to_status: str = "",
    **details: object,
) -> OrderEvent:
    """An unsaved event; callers ``bulk_create`` them with the change they record."""
    return OrderEvent(
        order_id=order_id,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=actor.stored,
        details=details,
        created_at=now,
    )
