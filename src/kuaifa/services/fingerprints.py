"""Digests of what a platform said about a record (an order, an after-sales case): equal digests mean nothing
changed, so an unchanged copy fetched again is neither written nor logged.

A digest covers every field of the frozen dataclass, nested ones too, by position: orjson writes the values as a
JSON array (a dataclass as the array of its fields, times as ISO 8601 with their offset, enums as their values),
hashed with BLAKE2b, about ten times cheaper than the ``repr`` the first digests were taken of. The version prefix
tells the two apart: a stored digest without it (32 hex digits, written before) is compared by the old recipe,
so an order that did not change does not look changed after an upgrade.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields, is_dataclass
from operator import attrgetter
from typing import Any

import orjson

VERSION = "v2"
_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS  # dataclasses go through _values: positions, not names
_VALUES: dict[type, Any] = {}  # dataclass type → its fields' values as a tuple


def _values(record: object) -> tuple[Any, ...]:
    """orjson's ``default``: a dataclass's field values, in declaration order."""
    getter = _VALUES.get(record.__class__)
    if getter is None:
        if not is_dataclass(record) or isinstance(record, type):
            raise TypeError(f"no digest for {type(record).__name__}")
        names = [f.name for f in fields(record)]
        several = attrgetter(*names)
        getter = several if len(names) > 1 else (lambda value: (several(value),))
        _VALUES[record.__class__] = getter
    values: tuple[Any, ...] = getter(record)
    return values


def fingerprint(record: object, stored: str = "") -> str:
    """The digest of ``record``; ``stored`` is the digest held for it, if any. A digest stored before the version
    prefix that still matches by the old recipe is returned as it is (the record did not change)."""
    if stored and not stored.startswith(VERSION) and stored == _repr_digest(record):
        return stored
    text = orjson.dumps(record, default=_values, option=_OPTIONS)
    return VERSION + hashlib.blake2b(text, digest_size=15).hexdigest()


def _repr_digest(record: object) -> str:
    """The first recipe: a digest of the dataclass ``repr`` (every field, nested ones too, in a fixed order)."""
    return hashlib.blake2b(repr(record).encode(), digest_size=16).hexdigest()
