"""A shop's sender (寄件人): the ship-from contact and address printed on its e-waybills and labels.

Validated when stored, so a waybill request never carries a half address: name, a mobile (11 digits starting
with 1) or landline (area code, number) phone, province, city and street are required; the district may be empty
(some cities have none); no field may exceed its column or hold control characters.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from kuaifa.domain.carriers.waybills import WaybillSender
from kuaifa.persistence.models import Shop
from kuaifa.services.errors import InvalidInput, NotFound

PHONE = re.compile(r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?")
LIMITS = {"name": 64, "mobile": 20, "province": 32, "city": 32, "district": 32, "detail": 200}
REQUIRED = ("name", "mobile", "province", "city", "detail")


@dataclass(frozen=True)
class SenderAddress:
    name: str
    mobile: str
    province: str
    city: str
    district: str
    detail: str

    def for_waybill(self) -> WaybillSender:
        return WaybillSender(self.name, self.mobile, self.province, self.city, self.district, self.detail)

    @property
    def address(self) -> str:
        """Province, city, district and street as one line, as a label prints it."""
        return "".join(p for p in (self.province, self.city, self.district, self.detail) if p)


def validate_sender(**fields: str) -> SenderAddress:
    """The sender with every field trimmed and checked; the first problem is refused naming its option."""
    clean = {key: (fields.get(key) or "").strip() for key in LIMITS}
    for key, value in clean.items():
        option = f"--{key}"
        if key in REQUIRED and not value:
            raise InvalidInput(field=option, reason=_("required"))
        if len(value) > LIMITS[key]:
            raise InvalidInput(
                field=option,
                reason=_("at most %(limit)s characters, not %(length)s") % {"limit": LIMITS[key], "length": len(value)},
            )
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise InvalidInput(field=option, reason=_("control characters are not allowed"))
    if not PHONE.fullmatch(clean["mobile"]):
        raise InvalidInput(
            field="--mobile",
            reason=_("%(value)r is not a mobile (11 digits) or landline number") % {"value": clean["mobile"]},
        )
    return SenderAddress(**clean)


@transaction.atomic(durable=True)
def set_sender(shop_name: str, *, now: datetime, **fields: str) -> SenderAddress:
    """Store a shop's sender after validating it; e-waybills and labels use it from then on."""
    sender = validate_sender(**fields)
    shop = Shop.objects.select_for_update().filter(name=shop_name).first()
    if shop is None:
        raise NotFound(kind="shop", key=shop_name)
    Shop.objects.filter(id=shop.id).update(**{f"sender_{key}": getattr(sender, key) for key in LIMITS})
    return sender


def sender_of(shop: Shop) -> SenderAddress | None:
    """The shop's stored sender, or None when none was set."""
    if not shop.sender_name:
        return None
    return SenderAddress(*(getattr(shop, f"sender_{key}") for key in LIMITS))
