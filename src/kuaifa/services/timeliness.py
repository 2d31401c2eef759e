"""Carrier × province timeliness from the parcel traces we polled (``domain.carriers.timeliness``): the share
signed within the promised days and the median pickup→delivery hours, over the shipments of a recent period."""

from datetime import datetime, timedelta
from typing import Any

from kuaifa.domain.carriers.catalog import canonical_code, carrier_by_id
from kuaifa.domain.carriers.timeliness import DEFAULT_PROMISE, Journey, Promise, Timeliness, measure
from kuaifa.domain.carriers.traces import Stage
from kuaifa.domain.orders.status import AFTER_SHIPMENT
from kuaifa.persistence.models import Shipment

PERIOD = timedelta(days=60)


def journeys(*, now: datetime, period: timedelta = PERIOD, province: str | None = None) -> list[Journey]:
    """The journeys of primary shipments sent in the period (to one province when named)."""
    rows = Shipment.objects.filter(is_primary=True, shipped_at__gte=now - period,
                                   order__status__in=list(AFTER_SHIPMENT))  # fmt: skip
    if province is not None:
        rows = rows.filter(order__province=province)
    found = []
    for logistics_id, shipped_at, to, events in rows.values_list(
        "logistics_id", "shipped_at", "order__province", "trace__events"
    ).iterator(chunk_size=2000):
        carrier = carrier_by_id(logistics_id)
        code = canonical_code(carrier.code) if carrier else str(logistics_id)
        found.append(Journey(code, to, shipped_at, _first(events, Stage.PICKED_UP), _first(events, Stage.SIGNED),
                             _first(events, Stage.RETURNED) is not None))  # fmt: skip
    return found


def _first(events: list[dict[str, Any]] | None, stage: Stage) -> datetime | None:
    return next((datetime.fromisoformat(e["at"]) for e in events or () if e["stage"] == stage.value), None)


def carrier_timeliness(
    *, now: datetime, period: timedelta = PERIOD, province: str | None = None, promise: Promise = DEFAULT_PROMISE
) -> list[Timeliness]:
    return measure(journeys(now=now, period=period, province=province), now=now, promise=promise)
