"""Printing parcels' labels through the platform's print component (pdd-reference §3.4), and its print log.

Business rules:

- A platform order's label is the platform's e-waybill: the browser hands the waybill's encrypted ``print_data``
  (kept from ``pdd.waybill.get``) plus Kuaifa's custom area — order number, items, enclosures — to the print
  component, which alone can read the receiver. The merchant's own orders (manual, reissue) have no platform
  waybill: they get Kuaifa's own PDF label (:mod:`kuaifa.services.labels`) with the full address.
- :func:`print_jobs_for` lists the documents of some orders (in the order given) or of a wave (in slot order, the
  pick and pack sequence). It refuses, naming them, platform orders that hold no waybill yet (取号 first) and orders
  that left the flow (cancelled, held); nothing is half-listed.
- :func:`record_print_result` records what the component reported for one document (``notifyPrintResult``):
  success or failure, the printer, the station. A success for an order printed successfully before is a reprint
  (补打) and is logged as such; a failure is logged but prints nothing, so it never makes a reprint of the next
  try. The same (task, document) reported twice is recorded once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from kuaifa.domain.orders.status import OrderStatus
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import Order, OrderEvent, PrintLog, Waybill
from kuaifa.persistence.queries import OrderContents, order_contents, wave_by_code, wave_members
from kuaifa.services.audit import event
from kuaifa.services.errors import InvalidInput, NotFound

E_WAYBILL = "e_waybill"  # printed by the platform's component from its print_data
KUAIFA_LABEL = "kuaifa_label"  # printed by Kuaifa itself (merchant's own orders)
OWN_SOURCES = (Order.Source.MANUAL, Order.Source.REISSUE)
PRINTABLE = (OrderStatus.ACCEPTED, OrderStatus.PICKING, OrderStatus.PACKED, OrderStatus.SHIPPED)


class PrintRefused(DomainError):
    code = "print.refused"
    template = "Nothing to print yet: %(reason)s"


@dataclass(frozen=True)
class PrintJob:
    """One document to print for one order: an e-waybill (``print_data`` for the component) or Kuaifa's label."""

    order_id: int
    order_sn: str
    slot: int | None
    kind: str  # E_WAYBILL or KUAIFA_LABEL
    document_id: str  # the waybill number for an e-waybill, else the order number
    carrier_code: str
    waybill_code: str
    print_data: str
    custom: dict[str, Any] = field(default_factory=dict)  # {orderSn, items[{sku, name, count}], enclosures[]}
    printed_before: bool = False  # a print now would be a reprint


@dataclass(frozen=True)
class PrintResultRecorded:
    order_sn: str
    document_id: str
    status: str
    reprint: bool
    duplicate: bool  # this (task, document) was already recorded; nothing new was written


def _targets(order_ids: Sequence[int], wave: str | None) -> list[tuple[int, int | None]]:
    if wave is not None:
        found = wave_by_code(wave)
        if found is None:
            raise NotFound(kind="wave", key=wave)
        return [(m.order_id, m.slot) for m in wave_members(found.id) if m.status in PRINTABLE]
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        raise InvalidInput(field="orders", reason=Text("name some orders or a wave to print"))
    return [(order_id, None) for order_id in ids]


def print_jobs_for(*, orders: Sequence[int] = (), wave: str | None = None, station: str) -> list[PrintJob]:
    """The label of each order (or each order of ``wave`` in slot order) as the station should print it."""
    if not station.strip():
        raise InvalidInput(field="station", reason=Text("say which station prints"))
    targets = _targets(orders, wave)
    ids = [order_id for order_id, _ in targets]
    rows = {o["id"]: o for o in Order.objects.filter(id__in=ids).values("id", "order_sn", "source", "status")}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFound(kind="order", key=missing[0])
    live = {w.order_id: w for w in Waybill.objects.filter(order_id__in=ids).exclude(state=Waybill.State.CANCELLED)}
    contents = order_contents(ids)
    printed = set(
        PrintLog.objects.filter(order_id__in=ids, kind__in=[PrintLog.Kind.E_WAYBILL, PrintLog.Kind.LABEL])
        .exclude(status=PrintLog.Status.FAILED)
        .values_list("order_id", flat=True)
    )
    problems: list[Text] = []
    for order_id in ids:
        row = rows[order_id]
        if row["status"] not in PRINTABLE:
            problems.append(Text("%(order_sn)s is %(status)s", order_sn=row["order_sn"], status=Text(row["status"])))
        elif row["source"] not in OWN_SOURCES and order_id not in live:
            problems.append(Text("%(order_sn)s has no e-waybill yet (take one first)", order_sn=row["order_sn"]))
        elif row["source"] not in OWN_SOURCES and not live[order_id].print_data:
            problems.append(
                Text(
                    "%(order_sn)s: the platform gave no print data for %(waybill_code)s",
                    order_sn=row["order_sn"],
                    waybill_code=live[order_id].waybill_code,
                )
            )
    if problems:
        raise PrintRefused(reason=Text.joined(problems))
    jobs = []
    for order_id, slot in targets:
        row, waybill, found = rows[order_id], live.get(order_id), contents.get(order_id)
        custom = {
            "orderSn": row["order_sn"],
            "items": [{"sku": u.sku_code, "name": u.name, "count": u.quantity} for u in (found.units if found else ())],
            "enclosures": _enclosures(found),
        }
        own = row["source"] in OWN_SOURCES
        jobs.append(PrintJob(
            order_id=order_id, order_sn=row["order_sn"], slot=slot, kind=KUAIFA_LABEL if own else E_WAYBILL,
            document_id=row["order_sn"] if own or waybill is None else waybill.waybill_code,
            carrier_code=waybill.carrier_code if waybill else "", waybill_code=waybill.waybill_code if waybill else "",
            print_data="" if own or waybill is None else waybill.print_data, custom=custom,
            printed_before=order_id in printed,
        ))  # fmt: skip
    return jobs


def _enclosures(found: OrderContents | None) -> list[str]:
    if found is None:
        return []
    names = [name for unit in found.units for name in unit.enclosures]
    return list(dict.fromkeys([*names, *found.parcel_enclosures]))


@dataclass(frozen=True)
class DocumentResult:
    """One document's status in a ``notifyPrintResult``."""

    document_id: str
    status: str
    message: str = ""


@transaction.atomic(durable=True)
def record_print_result(
    *,
    document_id: str,
    task_id: str,
    status: str,
    printer: str,
    station: str,
    message: str = "",
    wave: str | None = None,
    actor: Actor,
    now: datetime,
) -> PrintResultRecorded:
    """Record the component's result for one e-waybill document (its waybill number); see the module rules."""
    (recorded,) = _record([DocumentResult(document_id, status, message)], task_id=task_id, printer=printer,
                          station=station, wave=wave, actor=actor, now=now)  # fmt: skip
    return recorded


@transaction.atomic(durable=True)
def record_print_results(
    results: Sequence[DocumentResult],
    *,
    task_id: str,
    printer: str,
    station: str,
    wave: str | None = None,
    actor: Actor,
    now: datetime,
) -> list[PrintResultRecorded]:
    """Record a whole task's results at once (all or nothing), as :func:`record_print_result` would one by one."""
    return _record(results, task_id=task_id, printer=printer, station=station, wave=wave, actor=actor, now=now)


def _clean(results: Sequence[DocumentResult], task_id: str) -> list[DocumentResult]:
    if not task_id:
        raise InvalidInput(field="task_id", reason=Text("a print result names its task"))
    if not results:
        raise InvalidInput(field="results", reason=Text("no document result to record"))
    cleaned = []
    for result in results:
        if result.status not in (PrintLog.Status.SUCCESS, PrintLog.Status.FAILED):
            raise InvalidInput(
                field="status", reason=Text("a print result is success or failed, not %(status)r", status=result.status)
            )
        if not result.document_id.strip():
            raise InvalidInput(field="document_id", reason=Text("a print result names its document"))
        cleaned.append(DocumentResult(result.document_id.strip(), result.status, result.message))
    return cleaned


def _record(
    results: Sequence[DocumentResult],
    *,
    task_id: str,
    printer: str,
    station: str,
    wave: str | None,
    actor: Actor,
    now: datetime,
) -> list[PrintResultRecorded]:
    task_id = task_id.strip()
    cleaned = _clean(results, task_id)
    documents = list(dict.fromkeys(r.document_id for r in cleaned))
    waybills = {w.waybill_code: w for w in Waybill.objects.filter(waybill_code__in=documents).exclude(
        state=Waybill.State.CANCELLED)}  # fmt: skip
    missing = [d for d in documents if d not in waybills]
    if missing:
        raise NotFound(kind="e-waybill", key=missing[0])
    order_ids = sorted({w.order_id for w in waybills.values()})
    orders = {o.id: o for o in Order.objects.select_for_update().filter(id__in=order_ids).order_by("id")}
    wave_id = None
    if wave:
        found = wave_by_code(wave)
        if found is None:
            raise NotFound(kind="wave", key=wave)
        wave_id = found.id
    seen = {d: (st, rp) for d, st, rp in PrintLog.objects.filter(
        kind=PrintLog.Kind.E_WAYBILL, task_id=task_id, document_id__in=documents).values_list(
        "document_id", "status", "reprint")}  # fmt: skip
    printed = set(PrintLog.objects.filter(order_id__in=order_ids, kind__in=[PrintLog.Kind.E_WAYBILL,
        PrintLog.Kind.LABEL], status__in=[PrintLog.Status.SUCCESS, PrintLog.Status.PRINTED]).values_list(
        "order_id", flat=True))  # fmt: skip
    logs, events, out = [], [], []
    for result in cleaned:
        waybill = waybills[result.document_id]
        order = orders[waybill.order_id]
        if result.document_id in seen:  # the same notification again
            status, reprint = seen[result.document_id]
            out.append(PrintResultRecorded(order.order_sn, result.document_id, status, reprint, duplicate=True))
            continue
        reprint = result.status == PrintLog.Status.SUCCESS and order.id in printed
        if result.status == PrintLog.Status.SUCCESS:
            printed.add(order.id)
        seen[result.document_id] = (result.status, reprint)
        logs.append(PrintLog(
            kind=PrintLog.Kind.E_WAYBILL, order=order, wave_id=wave_id, reprint=reprint, actor=actor.stored, at=now,
            status=result.status, printer=printer[:128], station=station[:32], task_id=task_id[:64],
            document_id=result.document_id, waybill_code=waybill.waybill_code, message=result.message[:200],
        ))  # fmt: skip
        events.append(event(order.id, "e_waybill_reprinted" if reprint else f"e_waybill_print_{result.status}",
                            actor=actor, now=now, waybill_code=waybill.waybill_code, printer=printer,
                            station=station, task_id=task_id, message=result.message))  # fmt: skip
        out.append(PrintResultRecorded(order.order_sn, result.document_id, result.status, reprint, duplicate=False))
    PrintLog.objects.bulk_create(logs)
    OrderEvent.objects.bulk_create(events)
    return out
