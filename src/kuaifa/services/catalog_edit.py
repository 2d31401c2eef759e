"""Editing one SKU from the workbench: the fields a warehouse keeps up to date, audited with the person.

A bundle's composition is not edited here (the SKU master sheet owns it, checked as a whole for cycles); the
fields below never change what a SKU is made of or its stock.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import AccessEvent, Sku
from kuaifa.services.errors import InvalidInput, NotFound

LIMITS = {"name": 200, "spec": 200, "barcode": 64, "bin_location": 32}
MAX_WEIGHT_G = 1_000_000  # a tonne: more is a typing slip, not a parcel


@dataclass(frozen=True)
class SkuEdit:
    name: str
    spec: str
    barcode: str
    weight_g: int
    bin_location: str
    enclosures: tuple[str, ...]  # what goes in the parcel with each unit (说明书, 赠品卡), by name


def _checked(edit: SkuEdit, sku: Sku) -> dict[str, Any]:
    values = {"name": edit.name.strip(), "spec": edit.spec.strip(), "barcode": edit.barcode.strip(),
              "bin_location": edit.bin_location.strip()}  # fmt: skip
    for field, value in values.items():
        if len(value) > LIMITS[field]:
            raise InvalidInput(
                field=field,
                reason=Text("at most %(value)s characters, not %(length)s", value=LIMITS[field], length=len(value)),
            )
    if not 0 <= edit.weight_g <= MAX_WEIGHT_G:
        raise InvalidInput(
            field="weight_g",
            reason=Text(
                "between 0 and %(max_weight_g)s grams, not %(weight_g)s",
                max_weight_g=MAX_WEIGHT_G,
                weight_g=edit.weight_g,
            ),
        )
    if values["barcode"]:
        other = Sku.objects.filter(barcode=values["barcode"]).exclude(id=sku.id).values_list("code", flat=True).first()
        if other:
            raise InvalidInput(
                field="barcode",
                reason=Text("%(barcode)s is already the barcode of %(other)s", barcode=values["barcode"], other=other),
            )
    enclosures = [e.strip() for e in edit.enclosures if e.strip()]
    if len(set(enclosures)) != len(enclosures):
        raise InvalidInput(field="enclosures", reason=Text("an enclosure is listed twice"))
    return {**values, "weight_g": edit.weight_g, "enclosures": enclosures}


@transaction.atomic(durable=True)
def edit_sku(code: str, edit: SkuEdit, *, actor: Actor, now: datetime) -> Sku:
    """Store the edited fields of SKU ``code`` (all or none); the change is audited with before and after."""
    sku = Sku.objects.select_for_update().filter(code=code).first()
    if sku is None:
        raise NotFound(kind="SKU", key=code)
    after = _checked(edit, sku)
    before = {field: getattr(sku, field) for field in after}
    Sku.objects.filter(id=sku.id).update(**after, incomplete=False)
    AccessEvent.objects.create(kind="sku_edited", actor=actor.stored, created_at=now,
                               details={"sku": code, "before": before, "after": after})  # fmt: skip
    sku.refresh_from_db()
    return sku


def enclosure_list(text: str | Sequence[str]) -> tuple[str, ...]:
    """Enclosures typed one per line or separated by ``/``, as in the SKU master sheet."""
    raw = text if not isinstance(text, str) else text.replace("\n", "/").split("/")
    return tuple(x.strip() for x in raw if x.strip())
