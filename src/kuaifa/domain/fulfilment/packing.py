"""Scan verification at the pack station (验货): every unit scanned, every enclosure confirmed, before sealing.

Business rules:

- Each expected unit is scanned once. A scan is refused — and changes nothing — when the barcode is empty, when no
  SKU has it, when its SKU is not in this parcel, or when that SKU's quantity is already complete.
- A SKU is recognised by the barcode on its order line, else by any barcode the catalogue gives it (a second
  barcode, a new packaging). A SKU with no barcode at all is recognised by its SKU code, which merchants print
  on their own stickers.
- Enclosures (发票 invoice, 说明书 manual, 赠品 gift, protective material such as 气泡膜) are required per SKU, or
  for the whole parcel (``sku_code`` ""). A name required by several SKUs — two different manuals — is confirmed
  per SKU; confirming it by name alone is refused as ambiguous. Confirming twice is harmless.
- The parcel may be closed only when every unit is scanned and every enclosure confirmed; ``can_close`` lists
  what is missing.

The session is immutable: ``scan`` and ``confirm_enclosure`` return a result holding the next session, which the
caller keeps (and persists) in place of the old one. ``history`` records every scan, refused ones included.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType

from kuaifa.domain.shared.errors import DomainError, Text

PARCEL = ""  # the sku_code of an enclosure required for the whole parcel rather than for one SKU


class InvalidPackingSession(DomainError):
    code = "pack.invalid_session"
    template = "Packing session: %(reason)s"


class Outcome(StrEnum):
    ACCEPTED = "pack.accepted"
    EMPTY_BARCODE = "pack.empty_barcode"
    UNKNOWN_BARCODE = "pack.unknown_barcode"
    SKU_NOT_IN_ORDER = "pack.sku_not_in_order"
    QUANTITY_COMPLETE = "pack.quantity_complete"
    ENCLOSURE_CONFIRMED = "pack.enclosure_confirmed"
    ENCLOSURE_NOT_REQUIRED = "pack.enclosure_not_required"
    ENCLOSURE_AMBIGUOUS = "pack.enclosure_ambiguous"


TEMPLATES: Mapping[Outcome, str] = {
    Outcome.ACCEPTED: "%(sku_code)s: %(scanned)s of %(expected)s scanned.",
    Outcome.EMPTY_BARCODE: "Nothing was scanned.",
    Outcome.UNKNOWN_BARCODE: "Barcode %(barcode)s belongs to no SKU.",
    Outcome.SKU_NOT_IN_ORDER: "Barcode %(barcode)s is %(sku_code)s, which is not in this parcel. Put it back.",
    Outcome.QUANTITY_COMPLETE: "%(sku_code)s is complete: all %(expected)s already scanned. Put this one back.",
    Outcome.ENCLOSURE_CONFIRMED: "%(name)s confirmed.",
    Outcome.ENCLOSURE_NOT_REQUIRED: "%(name)s is not required in this parcel.",
    Outcome.ENCLOSURE_AMBIGUOUS: "%(name)s is required for several SKUs (%(sku_codes)s): say which one.",
}


@dataclass(frozen=True, slots=True)
class ExpectedItem:
    sku_code: str
    barcode: str
    quantity: int
    enclosures: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True, slots=True)
class EnclosureRequirement:
    sku_code: str  # PARCEL ("") for the whole parcel
    name: str


@dataclass(frozen=True, slots=True)
class ScanRecord:
    barcode: str
    outcome: Outcome
    sku_code: str


@dataclass(frozen=True, slots=True)
class CloseCheck:
    missing_items: tuple[tuple[str, int], ...]  # (sku_code, units still to scan)
    missing_enclosures: tuple[EnclosureRequirement, ...]

    @property
    def ok(self) -> bool:
        return not self.missing_items and not self.missing_enclosures

    def __bool__(self) -> bool:
        return self.ok


def clean_barcode(raw: str) -> str:
    """Scanners add line ends; an IME may send full-width digits."""
    return unicodedata.normalize("NFKC", raw).strip()


@dataclass(frozen=True, slots=True)
class PackingSession:
    expected: Mapping[str, int]  # sku_code → units
    barcodes: Mapping[str, str]  # barcode → sku_code: this parcel's lines first, then the catalogue
    requirements: tuple[EnclosureRequirement, ...]
    scanned: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    confirmed: frozenset[EnclosureRequirement] = frozenset()
    history: tuple[ScanRecord, ...] = ()

    @classmethod
    def start(
        cls,
        items: Iterable[ExpectedItem],
        *,
        parcel_enclosures: Iterable[str] = (),
        catalogue_barcodes: Mapping[str, str] | None = None,
    ) -> PackingSession:
        """A fresh session for one parcel; ``catalogue_barcodes`` maps every known barcode to its SKU code."""
        expected: dict[str, int] = {}
        own: dict[str, str] = {}
        requirements: list[EnclosureRequirement] = []
        for item in items:
            if item.quantity <= 0:
                raise InvalidPackingSession(
                    reason=Text("%(sku_code)s needs a quantity of at least 1", sku_code=item.sku_code)
                )
            expected[item.sku_code] = expected.get(item.sku_code, 0) + item.quantity
            barcode = clean_barcode(item.barcode) or clean_barcode(item.sku_code)
            if own.setdefault(barcode, item.sku_code) != item.sku_code:
                raise InvalidPackingSession(
                    reason=Text(
                        "barcode %(barcode)s is given to %(own)s and %(sku_code)s",
                        barcode=barcode,
                        own=own[barcode],
                        sku_code=item.sku_code,
                    )
                )
            for name in item.enclosures:
                requirement = EnclosureRequirement(item.sku_code, name.strip())
                if requirement.name and requirement not in requirements:
                    requirements.append(requirement)
        for name in parcel_enclosures:
            requirement = EnclosureRequirement(PARCEL, name.strip())
            if requirement.name and requirement not in requirements:
                requirements.append(requirement)
        if not expected:
            raise InvalidPackingSession(reason=Text("a parcel needs at least one item"))
        barcodes = {clean_barcode(b): sku for b, sku in (catalogue_barcodes or {}).items() if clean_barcode(b)}
        barcodes.update(own)  # this parcel's own barcodes win over the catalogue
        return cls(MappingProxyType(expected), MappingProxyType(barcodes), tuple(requirements))

    def scan(self, raw_barcode: str) -> ScanResult:
        """Count one unit, or refuse the scan with a code; a refusal leaves the counts unchanged."""
        barcode = clean_barcode(raw_barcode)
        sku = self.barcodes.get(barcode, "") if barcode else ""
        done = self.scanned.get(sku, 0)
        if not barcode:
            outcome = Outcome.EMPTY_BARCODE
        elif not sku:
            outcome = Outcome.UNKNOWN_BARCODE
        elif sku not in self.expected:
            outcome = Outcome.SKU_NOT_IN_ORDER
        elif done >= self.expected[sku]:
            outcome = Outcome.QUANTITY_COMPLETE
        else:
            outcome = Outcome.ACCEPTED
        scanned = self.scanned
        if outcome is Outcome.ACCEPTED:
            done += 1
            scanned = MappingProxyType({**self.scanned, sku: done})
        after = replace(self, scanned=scanned, history=(*self.history, ScanRecord(barcode, outcome, sku)))
        params = {"barcode": barcode, "sku_code": sku, "scanned": done, "expected": self.expected.get(sku, 0)}
        return ScanResult(after, outcome, sku, MappingProxyType(params))

    def confirm_enclosure(self, name: str, sku_code: str | None = None) -> EnclosureResult:
        """Tick an enclosure off; name the SKU when several SKUs require the same name."""
        wanted = name.strip()
        matches = [r for r in self.requirements if r.name == wanted and (sku_code is None or r.sku_code == sku_code)]
        params: dict[str, object] = {"name": wanted, "sku_codes": ", ".join(r.sku_code or "parcel" for r in matches)}
        if not matches:
            return EnclosureResult(self, Outcome.ENCLOSURE_NOT_REQUIRED, None, MappingProxyType(params))
        if len(matches) > 1:
            return EnclosureResult(self, Outcome.ENCLOSURE_AMBIGUOUS, None, MappingProxyType(params))
        after = replace(self, confirmed=self.confirmed | {matches[0]})
        return EnclosureResult(after, Outcome.ENCLOSURE_CONFIRMED, matches[0], MappingProxyType(params))

    def can_close(self) -> CloseCheck:
        """What is still missing before the parcel may be sealed (nothing: ``ok``)."""
        missing = tuple(
            (sku, qty - self.scanned.get(sku, 0))
            for sku, qty in self.expected.items()
            if self.scanned.get(sku, 0) < qty
        )
        return CloseCheck(missing, tuple(r for r in self.requirements if r not in self.confirmed))


@dataclass(frozen=True, slots=True)
class ScanResult:
    session: PackingSession  # the next state; unchanged counts when refused
    outcome: Outcome
    sku_code: str
    params: Mapping[str, object]

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    @property
    def code(self) -> str:
        return self.outcome.value

    @property
    def message(self) -> str:
        return TEMPLATES[self.outcome] % self.params


@dataclass(frozen=True, slots=True)
class EnclosureResult:
    session: PackingSession
    outcome: Outcome
    requirement: EnclosureRequirement | None
    params: Mapping[str, object]

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ENCLOSURE_CONFIRMED

    @property
    def code(self) -> str:
        return self.outcome.value

    @property
    def message(self) -> str:
        return TEMPLATES[self.outcome] % self.params
