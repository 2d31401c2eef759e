"""The platform's carrier catalogue, cached: shipping must name an available carrier id (pdd.logistics.companies.get).

Ids are stable; codes and availability change, so the catalogue is fetched at run time and replaced whole. Offline,
the built-in table (``domain.carriers.catalog``) is the catalogue; every command names a carrier by id or code and
an unknown one is refused (``resolve_carrier``).

``parcel_number`` is the one place the services that ship (``shipping``, ``parcels``) turn what a person gave — a
carrier id or code and a tracking number — into a carrier id and a checked number: an impossible number is refused,
one the carrier's rules only weakly match is taken only when the person confirmed it."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kuaifa.domain.carriers.catalog import CARRIERS, carrier_by_code, carrier_by_id
from kuaifa.domain.carriers.tracking import Level, TrackingCheck, check_tracking_number
from kuaifa.domain.platform import Carrier
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import LogisticsCompany
from kuaifa.services.errors import InvalidInput


@transaction.atomic(durable=True)
def store_carriers(carriers: Sequence[Carrier], *, platform: str = "pdd", now: datetime) -> int:
    known = set(LogisticsCompany.objects.filter(platform=platform).values_list("platform_id", flat=True))
    for c in carriers:
        values = {"name": c.name, "code": c.code, "available": c.available, "fetched_at": now}
        if c.platform_id in known:
            LogisticsCompany.objects.filter(platform=platform, platform_id=c.platform_id).update(**values)
        else:
            LogisticsCompany.objects.create(platform=platform, platform_id=c.platform_id, **values)
    gone = known - {c.platform_id for c in carriers}
    LogisticsCompany.objects.filter(platform=platform, platform_id__in=gone).update(available=False, fetched_at=now)
    return len(carriers)


class UnknownCarrier(DomainError):
    code = "carrier.unknown"
    template = "%(carrier)s is not a carrier id or code in the catalogue (kuaifa carriers lists them)."


class WeakTrackingNumber(DomainError):
    code = "carrier.weak_tracking"
    template = (
        "%(tracking)s for %(carrier)s: %(reason)s Check it; if it is right, ship it again confirmed "
        "(--confirm-weak-tracking; confirm_weak_tracking in the API)."
    )


@dataclass(frozen=True)
class CarrierRow:
    """One carrier as Kuaifa knows it: the built-in table, overlaid by the list fetched from the platform."""

    platform_id: int
    code: str
    name: str
    available: bool
    source: str  # "built-in" or "platform"


def carrier_catalogue(*, platform: str = "pdd") -> list[CarrierRow]:
    """Every known carrier by id, offline: the built-in table, with the fetched list's names, codes and
    availability where it has them (the live list wins), plus fetched carriers the table does not know."""
    rows = {c.id: CarrierRow(c.id, c.code, c.name, c.active, "built-in") for c in CARRIERS}
    for platform_id, code, name, available in LogisticsCompany.objects.filter(platform=platform).values_list(
        "platform_id", "code", "name", "available"
    ):
        builtin = rows.get(platform_id)
        code = code or (builtin.code if builtin else "")
        rows[platform_id] = CarrierRow(
            platform_id, code, name or (builtin.name if builtin else ""), available, "platform"
        )
    return [rows[key] for key in sorted(rows)]


def resolve_carrier(ref: str | int, *, platform: str = "pdd") -> CarrierRow:
    """The carrier a person named by id (85) or code (YTO, a former code, any case); refused when neither the
    built-in table nor the fetched list knows it, or it is listed as unavailable."""
    text = str(ref).strip()
    catalogue = carrier_catalogue(platform=platform)
    if text.isascii() and text.isdigit():
        found = next((row for row in catalogue if row.platform_id == int(text)), None)
    else:
        builtin = carrier_by_code(text)
        wanted = {text.upper(), *([builtin.code.upper()] if builtin else [])}
        found = next((row for row in catalogue if builtin and row.platform_id == builtin.id), None) or next(
            (row for row in catalogue if row.code.upper() in wanted), None
        )
    if found is None or not found.available:
        raise UnknownCarrier(carrier=repr(text))
    return found


def check_tracking(logistics_id: int, tracking_number: str) -> TrackingCheck:
    """The tracking-number check for the carrier PDD knows as ``logistics_id`` (its code from the built-in table,
    else from the carrier list fetched from the platform; an unknown carrier gets the format checks only)."""
    carrier = carrier_by_id(logistics_id)
    code = carrier.code if carrier else ""
    if not code:
        code = (
            LogisticsCompany.objects.filter(platform="pdd", platform_id=logistics_id)
            .values_list("code", flat=True)
            .first()
            or ""
        )
    return check_tracking_number(code, tracking_number)


@dataclass(frozen=True)
class ParcelNumber:
    logistics_id: int
    tracking_number: str  # stripped
    check: TrackingCheck


def parcel_number(
    carrier: str | int, tracking_number: str, *, confirm_weak_tracking: bool, field: str = "tracking_number"
) -> ParcelNumber:
    """The carrier a person named (id or code) and the tracking number they gave, as a parcel may leave with them:
    the carrier known and available (else :class:`UnknownCarrier`), the number not impossible for it (else
    ``InvalidInput`` on ``field``), and a number its rules only weakly match confirmed by that person (else
    :class:`WeakTrackingNumber`)."""
    logistics_id = resolve_carrier(carrier).platform_id
    number = tracking_number.strip()
    check = check_tracking(logistics_id, number)
    if check.blocks:
        raise InvalidInput(
            field=field, reason=Text("%(tracking_number)s: %(reason)s", tracking_number=number, reason=check.reason)
        )
    if check.level is Level.WARNING and not confirm_weak_tracking:
        known = carrier_by_id(logistics_id)
        raise WeakTrackingNumber(tracking=number, carrier=known.code if known else logistics_id, reason=check.reason)
    return ParcelNumber(logistics_id, number, check)
