"""Masking the receiver on printed documents (labels, packing slips).

Business rule: buyer data is shown masked by default, and paper leaves the building. Whatever reaches a printed
document is masked here, even when the caller holds plaintext (manual orders, the simulator): a name keeps its first
character, a phone keeps its first three and last four digits when it is long enough to keep anything, a detailed
address keeps its first few characters. A value that already carries the platform's mask (``*``) is kept as it is,
so PDD's own ``*_mask`` fields print unchanged.
"""

from __future__ import annotations

MASK = "*"


def mask_name(name: str) -> str:
    """张三丰 → 张**; a single character → 张*."""
    name = name.strip()
    if not name or MASK in name:
        return name
    return name[0] + MASK * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; shorter numbers keep only their last four characters (if they have more)."""
    phone = phone.strip()
    if not phone or MASK in phone:
        return phone
    if len(phone) >= 11:
        return phone[:3] + MASK * (len(phone) - 7) + phone[-4:]
    if len(phone) > 4:
        return MASK * (len(phone) - 4) + phone[-4:]
    return MASK * 4


def mask_address(address: str, *, keep: int = 6) -> str:
    """The detailed address (no province/city/town) keeps at most ``keep`` leading characters and half of it."""
    address = address.strip()
    if not address or MASK in address:
        return address
    shown = min(keep, len(address) // 2)
    return address[:shown] + MASK * 4
