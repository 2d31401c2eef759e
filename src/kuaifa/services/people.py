"""The merchant's team: adding a person with a role and an optional scope, and choosing their language.

Every change is one transaction with an AccessEvent naming who made it.
"""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from kuaifa.domain.access import Role
from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import Text
from kuaifa.persistence.models import AccessEvent, ApiToken, Membership, Shop, Warehouse
from kuaifa.services.errors import InvalidInput

LANGUAGES = ("zh-hans", "en")


M = TypeVar("M", Shop, Warehouse)


def _named(model: type[M], names: Sequence[str], field: str, what: str) -> list[M]:
    found = {getattr(x, field): x for x in model._default_manager.filter(**{f"{field}__in": names})}
    missing = [n for n in names if n not in found]
    if missing:
        raise InvalidInput(
            field=what, reason=Text("unknown %(what)s: %(names)s", what=Text(what), names=", ".join(missing))
        )
    return [found[n] for n in names]


@transaction.atomic(durable=True)
def add_member(
    username: str,
    role: str,
    password: str,
    *,
    shops: Sequence[str] = (),
    warehouses: Sequence[str] = (),
    language: str = "zh-hans",
    actor: Actor,
    now: datetime,
) -> Membership:
    """A new login for the team. The password must pass the password rules; the name must be new."""
    username = username.strip()
    if not username:
        raise InvalidInput(field="username", reason=Text("a name is required"))
    try:
        role = Role(role).value
    except ValueError:
        raise InvalidInput(
            field="role",
            reason=Text("%(role)r is not one of %(names)s", role=role, names=", ".join(r.value for r in Role)),
        ) from None
    if language not in LANGUAGES:
        raise InvalidInput(
            field="language",
            reason=Text("%(language)r is not one of %(names)s", language=language, names=", ".join(LANGUAGES)),
        )
    users = get_user_model()
    if users.objects.filter(username=username).exists():
        raise InvalidInput(field="username", reason=Text("%(username)s already exists", username=username))
    try:
        validate_password(password)
    except ValidationError as err:
        raise InvalidInput(field="password", reason=" ".join(err.messages)) from None
    shop_rows = _named(Shop, shops, "name", "shop")
    warehouse_rows = _named(Warehouse, warehouses, "code", "warehouse")
    user = users.objects.create_user(username=username, password=password)
    member = Membership.objects.create(user=user, role=role, language=language, created_at=now)
    member.shops.set(shop_rows)
    member.warehouses.set(warehouse_rows)
    AccessEvent.objects.create(
        kind="member_added",
        actor=actor.stored,
        details={"username": username, "role": role, "shops": list(shops), "warehouses": list(warehouses)},
        created_at=now,
    )
    return member


@transaction.atomic(durable=True)
def set_language(user_id: int, language: str, *, actor: Actor, now: datetime) -> None:
    """A person's interface language (zh-hans by default, English on request)."""
    if language not in LANGUAGES:
        raise InvalidInput(
            field="language",
            reason=Text("%(language)r is not one of %(names)s", language=language, names=", ".join(LANGUAGES)),
        )
    Membership.objects.filter(user_id=user_id).update(language=language)
    AccessEvent.objects.create(
        kind="language_set", actor=actor.stored, details={"user_id": user_id, "language": language}, created_at=now
    )


@transaction.atomic(durable=True)
def reset_password(username: str, password: str, *, actor: Actor, now: datetime) -> None:
    """A new password for an existing person (the owner's job, or the demo's); the password rules apply."""
    user = get_user_model().objects.filter(username=username, membership__isnull=False).first()
    if user is None:
        raise InvalidInput(field="username", reason=Text("no team member called %(username)s", username=username))
    try:
        validate_password(password, user)
    except ValidationError as err:
        raise InvalidInput(field="password", reason=" ".join(err.messages)) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    AccessEvent.objects.create(
        kind="password_reset", actor=actor.stored, details={"username": username}, created_at=now
    )


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic(durable=True)
def issue_api_token(username: str, *, name: str = "", actor: Actor, now: datetime) -> str:
    """A new API key for a team member, returned once; it carries that person's role and scope."""
    user = get_user_model().objects.filter(username=username, membership__isnull=False).first()
    if user is None:
        raise InvalidInput(field="username", reason=Text("no team member called %(username)s", username=username))
    key = f"kf_{secrets.token_urlsafe(32)}"
    ApiToken.objects.create(user=user, name=name[:64], key_sha256=token_hash(key), created_at=now)
    AccessEvent.objects.create(
        kind="api_token_issued", actor=actor.stored, details={"username": username, "name": name}, created_at=now
    )
    return key
