"""Tracking-number checks before a number is uploaded to the platform (pdd-reference §3.3).

Business rule: a wrong tracking number on PDD is a "fake trace" (虚假轨迹) risk and a buyer who cannot follow the
parcel, so numbers are checked when entered. Only impossible numbers are errors: empty, any whitespace, a character
outside ASCII letters, digits and ``-``, fewer than 6 or more than 40 characters. The per-carrier shapes are
third-party heuristics (PDD publishes none; some are known to be stale, e.g. 中通), so a number that does not match
its carrier's shape is only a WARNING a person may override, never an error. A carrier with no known shape — or a
code not in the table — gets no shape check at all (OK, code ``tracking.no_pattern``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from kuaifa.domain.carriers.catalog import canonical_code
from kuaifa.domain.shared.errors import Text

MIN_LENGTH = 6
MAX_LENGTH = 40
_CHARSET = re.compile(r"[A-Za-z0-9-]+")


class Level(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


class TrackingCode(StrEnum):
    OK = "tracking.ok"
    NO_PATTERN = "tracking.no_pattern"
    PATTERN_MISMATCH = "tracking.pattern_mismatch"
    EMPTY = "tracking.empty"
    WHITESPACE = "tracking.whitespace"
    CHARSET = "tracking.charset"
    TOO_SHORT = "tracking.too_short"
    TOO_LONG = "tracking.too_long"


@dataclass(frozen=True, slots=True)
class TrackingCheck:
    level: Level
    code: TrackingCode
    reason: Text  # a sentence for a person, translated at the edge (str() is the English)

    @property
    def ok(self) -> bool:
        return self.level is Level.OK

    @property
    def blocks(self) -> bool:
        """An ERROR must stop the upload; a WARNING needs a person's confirmation."""
        return self.level is Level.ERROR


def _shapes(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


_EMS = (r"[A-Z]{2}\d{9}[A-Z]{2}", r"(?:10|11|12|50|51|52|95|97|98|99)\d{11}")
_STO_PREFIX = r"(?:268|888|588|688|368|468|568|668|768|868|968|773)"

#: carrier code → accepted shapes (full match). Heuristics from a public UDF (2022-11), see pdd-reference §3.3.
PATTERNS: Mapping[str, tuple[re.Pattern[str], ...]] = MappingProxyType(
    {
        # the UDF's 12-digit prefix list is stale (its own 15-digit sample fails it): length only
        "ZTO": _shapes(r"\d{12}", r"\d{14}", r"\d{15}"),
        "YTO": _shapes(r"[A-Za-z0-9]{2}\d{10,13}", r"[6-9]\d{17}", r"Y\d{12}"),
        "YUNDA": _shapes(r"\d{13}", r"\d{15}"),
        "STO": _shapes(_STO_PREFIX + r"\d{9,13}", r"77\d{13}", r"STO\d{10}"),
        "JTSD": _shapes(r"JT\d{12,13}"),
        "JD": _shapes(r"JD[XK]\d{12}", r"JDV[A-Z]\d{11}"),
        "EMS": _shapes(*_EMS),
        "YZXB": _shapes(*_EMS, r"\d{13}"),
        "POSTBBZ": _shapes(*_EMS, r"\d{13}"),
        # the UDF accepts almost anything for 顺丰; real numbers are SF + 13 digits
        "SF": _shapes(r"SF\d{13}"),
        "DB": _shapes(r"\d{8,10}", r"DPK\d{11,}"),
        "ANNENG": _shapes(r"\d{12}"),
        "YMDD": _shapes(r"\d{12}"),
        "ZTOKY": _shapes(r"\d{12}"),
    }
)


def check_tracking_number(carrier_code: str, number: str) -> TrackingCheck:
    """OK, WARNING (shape not matched: check it) or ERROR (impossible: do not upload), with a code and a reason."""
    if number == "":
        return TrackingCheck(Level.ERROR, TrackingCode.EMPTY, Text("The tracking number is empty."))
    if any(ch.isspace() for ch in number):
        return TrackingCheck(Level.ERROR, TrackingCode.WHITESPACE, Text("The tracking number contains spaces."))
    if not _CHARSET.fullmatch(number):
        return TrackingCheck(
            Level.ERROR, TrackingCode.CHARSET, Text("A tracking number has only ASCII letters, digits and hyphens.")
        )
    if len(number) < MIN_LENGTH:
        reason = Text(
            "%(length)s characters is too short (at least %(minimum)s).", length=len(number), minimum=MIN_LENGTH
        )
        return TrackingCheck(Level.ERROR, TrackingCode.TOO_SHORT, reason)
    if len(number) > MAX_LENGTH:
        reason = Text(
            "%(length)s characters is too long (at most %(maximum)s).", length=len(number), maximum=MAX_LENGTH
        )
        return TrackingCheck(Level.ERROR, TrackingCode.TOO_LONG, reason)
    code = canonical_code(carrier_code)
    shapes = PATTERNS.get(code)
    if not shapes:
        reason = Text("No known number shape for carrier %(carrier)s.", carrier=code or "?")
        return TrackingCheck(Level.OK, TrackingCode.NO_PATTERN, reason)
    if any(shape.fullmatch(number) for shape in shapes):
        return TrackingCheck(
            Level.OK, TrackingCode.OK, Text("Matches the usual %(carrier)s number shape.", carrier=code)
        )
    return TrackingCheck(
        Level.WARNING,
        TrackingCode.PATTERN_MISMATCH,
        Text(
            "Does not look like a %(carrier)s number (the shape check is a heuristic): check the carrier and the "
            "number.",
            carrier=code,
        ),
    )
