"""Receiver privacy as PDD applies it (pdd-reference §0.4, §2.2): name, phone and address are ciphertext, and only
while the order is 待发货 and not under risk review; otherwise they are empty strings. Masked values are always
there for display, province/city/town are plaintext, and ``open_address_id`` is the same for the same buyer and
address (the merge-ship key). The simulator's ciphertext is a deterministic, undecryptable stand-in shaped like
PDD's ``~AgAAAA…~…~1~~``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from kuaifa.platforms.sim.catalog import Region
from kuaifa.platforms.sim.shop import copy_order

CIPHER_FIELDS = ("receiver_name", "receiver_phone", "receiver_address", "address")


@dataclass
class Buyer:
    """A buyer and the address an order goes to (plaintext only inside the simulator)."""

    name: str
    phone: str
    address: str
    region: Region


def published(order: dict[str, Any], hidden: dict[str, str]) -> dict[str, Any]:
    """The order as the API shows it: receiver ciphertext only while 待发货 and not under review (§2.2)."""
    shown = copy_order(order)
    visible = order["order_status"] == 1 and order["risk_control_status"] == 0
    for key in ("receiver_name", "receiver_phone", "receiver_address", "address"):
        shown[key] = hidden[key] if visible else ""
    return shown


def set_receiver(order: dict[str, Any], buyer: Buyer, seed: int, revision: int) -> None:
    region = buyer.region
    full = f"{region.province}{region.city}{region.town}{buyer.address}"
    order["_receiver"] = {
        "receiver_name": cipher(seed, buyer.name, revision, "n"),
        "receiver_phone": cipher(seed, buyer.phone, revision, "p"),
        "receiver_address": cipher(seed, buyer.address, revision, "a"),
        "address": cipher(seed, full, revision, "a"),
    }
    order["receiver_name_mask"] = buyer.name[0] + "*" * (len(buyer.name) - 1)
    order["receiver_phone_mask"] = f"{buyer.phone[:3]}****{buyer.phone[-4:]}"
    order["receiver_address_mask"] = buyer.address[:3] + "*" * 6
    order["address_mask"] = f"{region.province}{region.city}{region.town}{buyer.address[:3]}******"


def cipher(seed: int, plaintext: str, revision: int, kind: str) -> str:
    """Deterministic stand-in for PDD's ``~AgAAAA…~…~`` receiver ciphertext (not decryptable, by design)."""
    digest = hashlib.sha256(f"{seed}|{revision}|{kind}|{plaintext}".encode()).digest()
    body = base64.b64encode(digest).decode().rstrip("=").replace("+", "/")
    return f"~AgAAAA{body[:36]}~{kind}{body[36:40]}~1~~"


def open_address_id(seed: int, buyer: Buyer) -> str:
    return hashlib.sha256(f"{seed}|{buyer.name}|{buyer.phone}|{buyer.address}".encode()).hexdigest()[:24]
