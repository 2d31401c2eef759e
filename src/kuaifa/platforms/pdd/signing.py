"""Request signing for the PDD open-platform gateway (pdd-reference §1.3).

The platform rule: take every request parameter except ``sign``, sort the keys by ASCII, concatenate
``key1value1key2value2…`` with no separators, wrap the string in ``client_secret`` on both sides, and send the
upper-case hex MD5. The values signed must be exactly the strings sent, so the same normalisation
(:func:`encode_params`) produces both: empty values are left out, booleans are ``true``/``false``, objects and
arrays are compact JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal

SIGN_KEY = "sign"


def encode_value(value: object) -> str | None:
    """The wire string of one parameter value, or None when the SDK practice is to leave it out.

    None and ``""`` are left out; booleans are lowercase ``true``/``false``; a dict or list is serialised as compact
    JSON with ``ensure_ascii=False`` (the gateway hashes the UTF-8 characters, not ``\\u`` escapes).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    raise TypeError(f"cannot send a {type(value).__name__} as a PDD parameter: {value!r}")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise a {type(value).__name__} into a PDD JSON parameter: {value!r}")


def encode_params(params: Mapping[str, object]) -> dict[str, str]:
    """The parameters as they are signed and sent: every value a string, empty ones and ``sign`` dropped."""
    encoded: dict[str, str] = {}
    for key, value in params.items():
        if key == SIGN_KEY:
            continue
        text = encode_value(value)
        if text is not None:
            encoded[key] = text
    return encoded


def sign(params: Mapping[str, object], client_secret: str) -> str:
    """The ``sign`` parameter for ``params``: upper-case MD5 of ``secret + sorted(key+value) + secret``."""
    encoded = encode_params(params)
    body = "".join(key + encoded[key] for key in sorted(encoded))
    return hashlib.md5(f"{client_secret}{body}{client_secret}".encode()).hexdigest().upper()
