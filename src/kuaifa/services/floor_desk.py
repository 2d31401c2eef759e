"""The warehouse floor's desk actions that combine other services: a wave's pick list as a PDF, closing a wave, taking
the e-waybills of a wave or of some orders (取号), and the merchant's own labels as one PDF.

Business rules:

- A pick list is printed only for a wave with orders left to pick (orders cancelled or held meanwhile are dropped
  first, :func:`kuaifa.services.waves.ready_for_pick_list`); every print is logged, a second one as a reprint.
- A wave is closed by hand only when none of its orders is left to pack; otherwise the refusal names them. Orders
  that left the flow (cancelled, held) are dropped first, as before a pick list.
- Taking waybills uses each order's own carrier (the one the buyer's order names) and the shop's stored sender;
  an order holding a live waybill of that carrier keeps it. Orders without a carrier, and shops without a stored
  sender, are refused by name before the platform is asked for anything.
- Kuaifa's own PDF label is for the merchant's own orders (manual, reissue): a platform order's label is the
  platform's e-waybill, printed by its print component.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from django.db import transaction

from kuaifa.domain.carriers.catalog import carrier_by_code, carrier_by_id
from kuaifa.domain.carriers.waybills import WaybillProvider, WaybillSender
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.bulk import insert_rows
from kuaifa.persistence.models import Order, OrderEvent, Shop, Wave, WaveOrder, Waybill
from kuaifa.services.audit import EVENT_COLUMNS
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.labels import LabelBatch, PickListInfo, label_data, log_print, pick_list_data
from kuaifa.services.printing import OWN_SOURCES, PRINTABLE
from kuaifa.services.waves import TO_PACK, _drop_stale, ready_for_pick_list

if TYPE_CHECKING:
    from kuaifa.services.station import StationView


class _Closable(Protocol):
    def close(self) -> None: ...


class ClosableWaybillProvider(WaybillProvider, Protocol):
    """A shop's e-waybill provider over a platform client that is closed once the provider has been used."""

    @property
    def client(self) -> _Closable: ...


class WaveStillToPack(DomainError):
    code = "wave.still_to_pack"
    template = "Wave %(wave)s still has orders to pack (%(orders)s): pack them or take them out first."


class NoWaybillPossible(DomainError):
    code = "waybill.not_possible"
    template = "No waybill was taken: %(reason)s"


@dataclass(frozen=True)
class PickListPdf:
    wave_code: str
    pdf: bytes
    orders: int
    units: int
    reprint: bool
    dropped: tuple[str, ...]  # order numbers that left the wave before printing


def pick_list_pdf(
    wave_code: str, *, render: Callable[[PickListInfo], bytes], actor: Actor, now: datetime
) -> PickListPdf:
    """The wave's pick list (拣货单) as a PDF (``render`` lays out the rows, in bin order), logged as printed."""
    found, dropped = ready_for_pick_list(wave_code, actor=actor, now=now)
    info = pick_list_data(found.code)
    pdf = render(info)
    printed = log_print("pick_list", wave_id=info.wave_id, actor=actor, now=now)
    return PickListPdf(
        info.wave_code,
        pdf,
        info.order_count,
        sum(r.quantity for r in info.rows),
        bool(printed.reprints),
        tuple(d.order_sn for d in dropped),
    )


@transaction.atomic(durable=True)
def close_wave(wave_code: str, *, actor: Actor, now: datetime) -> Wave:
    """Close a wave none of whose orders is left to pack; each of its orders gets a ``wave_closed`` event."""
    wave = Wave.objects.select_for_update().filter(code=wave_code.strip()).first()
    if wave is None:
        raise NotFound(kind="wave", key=wave_code)
    if wave.state == Wave.State.CLOSED:
        raise InvalidInput(field="wave", reason=Text("wave %(code)s is closed already", code=wave.code))
    _drop_stale(WaveOrder.objects.filter(active=True, wave=wave), actor=actor, now=now)
    waiting = list(
        WaveOrder.objects.filter(wave=wave, order__status__in=list(TO_PACK))
        .order_by("slot")
        .values_list("order__order_sn", flat=True)
    )
    if waiting:
        raise WaveStillToPack(wave=wave.code, orders=", ".join(waiting))
    members = list(WaveOrder.objects.filter(wave=wave).values_list("order_id", flat=True))
    Wave.objects.filter(id=wave.id).update(state=Wave.State.CLOSED)
    WaveOrder.objects.filter(wave=wave, active=True).update(active=False)
    insert_rows(
        OrderEvent,
        EVENT_COLUMNS,
        [(order_id, "wave_closed", "", "", actor.stored, {"wave": wave.code}, now) for order_id in members],
    )
    wave.refresh_from_db()
    return wave


@dataclass(frozen=True)
class WaybillsTaken:
    taken: tuple[str, ...]  # order numbers that got a new number
    reused: tuple[str, ...]  # order numbers that held one already


def _to_take(order_ids: Sequence[int], wave_code: str | None) -> list[int]:
    if wave_code:
        wave = Wave.objects.filter(code=wave_code.strip()).first()
        if wave is None:
            raise NotFound(kind="wave", key=wave_code)
        return list(
            WaveOrder.objects.filter(wave=wave, active=True).order_by("slot").values_list("order_id", flat=True)
        )
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        raise InvalidInput(field="orders", reason=Text("name some orders or a wave to take waybills for"))
    return ids


def take_waybills(
    *,
    orders: Sequence[int] = (),
    wave: str | None = None,
    carrier: str = "",
    provider_for: Callable[[Shop, WaybillSender], ClosableWaybillProvider],
    actor: Actor,
    now: datetime,
) -> WaybillsTaken:
    """取号: an e-waybill for each platform order of the wave (in slot order) or of ``orders``, per shop and carrier
    — the order's own carrier, else ``carrier`` (the one the desk chose); ``provider_for(shop, sender)`` gives the
    shop's e-waybill provider (whose ``client`` is closed after use)."""
    from kuaifa.services.senders import sender_of
    from kuaifa.services.waybills import issue_waybills

    ids = _to_take(orders, wave)
    rows = {
        o["id"]: o
        for o in Order.objects.filter(id__in=ids).values(
            "id", "order_sn", "shop_id", "source", "status", "logistics_id"
        )
    }
    platform = [i for i in ids if i in rows and rows[i]["source"] not in OWN_SOURCES and rows[i]["status"] in PRINTABLE]
    held = live_waybill_codes(platform)  # an order holding a live waybill keeps it, whatever its carrier
    wanted = [i for i in platform if i not in held]
    problems: list[str] = []
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for order_id in wanted:
        row = rows[order_id]
        chosen = carrier_by_id(row["logistics_id"]) if row["logistics_id"] else carrier_by_code(carrier or "")
        if chosen is None:
            problems.append(f"{row['order_sn']} names no carrier: choose one")
        else:
            groups[(row["shop_id"], chosen.code)].append(order_id)
    shops = {s.id: s for s in Shop.objects.filter(id__in={shop for shop, _ in groups})}
    senders = {shop_id: sender_of(shop) for shop_id, shop in shops.items()}
    problems += [f"shop {shops[s].name} has no sender address" for s, sender in senders.items() if sender is None]
    if problems:
        raise NoWaybillPossible(reason="; ".join(problems))
    if not groups and not held:
        raise NoWaybillPossible(reason=Text("none of these orders is a platform order waiting to ship"))
    taken: list[str] = []
    reused = [rows[i]["order_sn"] for i in platform if i in held]
    for (shop_id, carrier_code), group in groups.items():
        sender = senders[shop_id]
        assert sender is not None  # a shop without one was refused above
        provider = provider_for(shops[shop_id], sender.for_waybill())
        try:
            for issued in issue_waybills(group, carrier_code, provider, actor=actor, now=now):
                (reused if issued.reused else taken).append(issued.order_sn)
        finally:
            provider.client.close()
    return WaybillsTaken(tuple(taken), tuple(reused))


@dataclass(frozen=True)
class OwnLabels:
    pdf: bytes
    order_sns: tuple[str, ...]
    reprints: tuple[str, ...]


def own_labels_pdf(
    order_ids: Sequence[int], *, render: Callable[[LabelBatch, datetime], bytes], actor: Actor, now: datetime
) -> OwnLabels:
    """Kuaifa's own 100×180 mm labels for the merchant's own orders, one PDF (``render`` lays them out), logged as
    printed (reprints marked)."""
    ids = list(dict.fromkeys(order_ids))
    platform = list(Order.objects.filter(id__in=ids).exclude(source__in=OWN_SOURCES).values_list("order_sn", flat=True))
    if not ids or platform:
        raise InvalidInput(
            field="orders",
            reason="Kuaifa's own label is for the merchant's own orders only"
            + (f"; {', '.join(platform)} print through the platform's component" if platform else ""),
        )
    batch = label_data(ids)
    pdf = render(batch, now)
    report = log_print("label", order_ids=[i.order_id for i in batch.labels], actor=actor, now=now)
    return OwnLabels(pdf, tuple(i.order_sn for i in batch.labels), tuple(report.reprints))


def live_waybill_codes(order_ids: Sequence[int]) -> dict[int, str]:
    """Each order's live e-waybill number (for the page to show), read only."""
    return dict(
        Waybill.objects.filter(order_id__in=list(order_ids))
        .exclude(state=Waybill.State.CANCELLED)
        .values_list("order_id", "waybill_code")
    )


def station_scan(station: str, scanned: str, *, actor: Actor, now: datetime) -> StationView:
    """What one scan at the station means: with no parcel open it opens one (slot, order or tracking number), else
    it is the open parcel's next unit or enclosure (``SKU:name`` when an enclosure is tapped); a wave slot's tag
    always names a parcel (the open one is shown again, another is refused while this one is open), see
    :mod:`kuaifa.services.station`."""
    from kuaifa.persistence.models import StationParcel
    from kuaifa.services.station import WAVE_SLOT, confirm_enclosure, open_parcel, scan_unit

    is_open = StationParcel.objects.filter(station=station.strip()[:32], state=StationParcel.State.OPEN).exists()
    if is_open and not WAVE_SLOT.match(scanned.strip()):  # a slot tag is never a unit: it names a parcel
        if ":" in scanned:
            return confirm_enclosure(station, scanned, actor=actor, now=now)
        return scan_unit(station, scanned, actor=actor, now=now)
    return open_parcel(station, scanned, actor=actor, now=now)


def open_next_parcel(station: str, *, after_order_id: int, actor: Actor, now: datetime) -> StationView | None:
    """After a parcel is sealed, the next one opens by itself: the next slot of the same wave (after this one, then
    from the start) that still waits to be packed, is not intercepted and is open at no other station. None when
    the wave has nothing left to pack here."""
    from kuaifa.persistence.models import StationParcel
    from kuaifa.services.shipping import interception_reason
    from kuaifa.services.station import WAITING, open_parcel

    member = WaveOrder.objects.filter(order_id=after_order_id).select_related("wave").order_by("-id").first()
    if member is None or StationParcel.objects.filter(station=station.strip()[:32], state="open").exists():
        return None
    busy = StationParcel.objects.filter(state=StationParcel.State.OPEN).values("order_id")
    waiting = list(
        WaveOrder.objects.filter(wave_id=member.wave_id, active=True, order__status__in=list(WAITING))
        .exclude(order_id__in=busy)
        .select_related("order")
        .order_by("slot")
    )
    ordered = [m for m in waiting if m.slot > member.slot] + [m for m in waiting if m.slot <= member.slot]
    for candidate in ordered:
        if interception_reason(candidate.order) is None:
            return open_parcel(station, f"{member.wave.code}/{candidate.slot}", actor=actor, now=now)
    return None
