"""A shop's open-platform credentials: stored sealed, read back for the edge that builds the platform client."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kuaifa.domain.shared.actor import Actor
from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import AccessEvent, Shop, ShopCredential
from kuaifa.persistence.secrets import SecretUnreadable, current_key, seal, unseal
from kuaifa.services.catalog import add_shop
from kuaifa.services.errors import InvalidInput, NotFound
from kuaifa.services.outbox import retry_refused_authorization


class OtherPlatformShop(DomainError):
    code = "credentials.other_shop"
    template = (
        "Shop %(shop)s is platform shop %(stored)s, but this authorisation is for platform shop %(granted)s: "
        "authorise with the account of %(shop)s, or name the new shop differently."
    )


class NotAPlatformShop(DomainError):
    code = "credentials.not_connected"
    template = (
        "Shop %(shop)s exists but was never connected to a platform (file imports only): name the platform shop "
        "differently."
    )


class CredentialUnreadable(DomainError):
    code = "credentials.unreadable"
    template = (
        "The stored platform credentials of shop %(shop)s cannot be read with the current secret key. Restore the "
        "key file this install used (or KUAIFA_SECRET_KEY), or authorise the shop again."
    )


def _unseal(row: ShopCredential, token: str, *, key: str | None = None) -> str:
    try:
        return unseal(token, key=key)
    except SecretUnreadable:
        raise CredentialUnreadable(shop=row.shop.name) from None


@dataclass(frozen=True)
class Credentials:
    gateway_url: str
    client_id: str
    client_secret: str
    access_token: str
    refresh_token: str
    access_expires_at: datetime | None
    needs_authorization: bool


def connect_pdd_shop(
    name: str, *, gateway_url: str, client_id: str, client_secret: str, access_token: str, refresh_token: str = "",
    access_expires_at: datetime | None = None, owner_id: str = "", now: datetime,
) -> Shop:  # fmt: skip
    """Register a PDD shop with its app credentials and the merchant's authorisation tokens."""
    for field, value in (("--client-id", client_id), ("--client-secret", client_secret),
                         ("--access-token", access_token), ("--gateway", gateway_url)):  # fmt: skip
        if not value.strip():
            raise InvalidInput(field=field, reason=Text("required"))
    # sealed before the shop is created: without a key there is no shop either
    sealed = {"client_secret": seal(client_secret), "access_token": seal(access_token),
              "refresh_token": seal(refresh_token)}  # fmt: skip
    shop = add_shop(name, platform=Shop.Platform.PDD, now=now)
    with transaction.atomic(durable=True):
        ShopCredential.objects.create(
            shop=shop, gateway_url=gateway_url, client_id=client_id, access_expires_at=access_expires_at,
            owner_id=owner_id, updated_at=now, **sealed,
        )  # fmt: skip
    return shop


@dataclass(frozen=True)
class Authorised:
    shop: Shop
    again: bool  # True: an existing shop's tokens were replaced; False: a new shop was connected


@dataclass(frozen=True)
class Grant:
    """What the platform gave for the merchant's consent (``pdd.pop.auth.token.create``)."""

    access_token: str
    refresh_token: str
    access_expires_at: datetime | None
    owner_id: str


def authorise_pdd_shop(
    name: str, grant: Grant, *, gateway_url: str, client_id: str, client_secret: str, actor: Actor, now: datetime
) -> Authorised:
    """The owner agreed on the platform's page for the shop ``name``: connect it, or, when a shop of that name is
    connected already, replace its tokens (authorising again after the platform revoked or expired them).

    Authorising again replaces the sealed token pair, the app and gateway, and clears "needs authorisation", so the
    next sync runs with the new token; the platform invalidates the old pair at once, so nothing may keep it. It is
    refused, changing nothing, when the grant is for another platform shop than the one stored (its orders would
    mix with this shop's) or when the name belongs to a shop without platform credentials. Both are audited.
    """
    existing = Shop.objects.filter(name=name.strip()).first()
    if existing is None:
        shop = connect_pdd_shop(
            name, gateway_url=gateway_url, client_id=client_id, client_secret=client_secret,
            access_token=grant.access_token, refresh_token=grant.refresh_token,
            access_expires_at=grant.access_expires_at, owner_id=grant.owner_id, now=now,
        )  # fmt: skip
        _audit("shop_authorised", shop, grant, actor=actor, now=now)
        return Authorised(shop, again=False)
    if not grant.access_token.strip():
        raise InvalidInput(field="access_token", reason=Text("required"))
    sealed = {"client_secret": seal(client_secret), "access_token": seal(grant.access_token),
              "refresh_token": seal(grant.refresh_token)}  # fmt: skip
    with transaction.atomic(durable=True):
        row = ShopCredential.objects.select_for_update().filter(shop=existing).first()
        if row is None:
            raise NotAPlatformShop(shop=existing.name)
        if row.owner_id and grant.owner_id and row.owner_id != grant.owner_id:
            raise OtherPlatformShop(shop=existing.name, stored=row.owner_id, granted=grant.owner_id)
        ShopCredential.objects.filter(id=row.id).update(
            gateway_url=gateway_url, client_id=client_id, access_expires_at=grant.access_expires_at,
            owner_id=grant.owner_id or row.owner_id, needs_authorization=False, updated_at=now, **sealed,
        )  # fmt: skip
        retried = retry_refused_authorization(existing.id, now=now)
        _audit("shop_authorised_again", existing, grant, actor=actor, now=now, was_flagged=row.needs_authorization,
               uploads_retried=retried)  # fmt: skip
    return Authorised(existing, again=True)


def _audit(kind: str, shop: Shop, grant: Grant, *, actor: Actor, now: datetime, **more: object) -> None:
    AccessEvent.objects.create(
        kind=kind, actor=actor.stored, created_at=now,
        details={"shop_id": shop.id, "shop": shop.name, "owner_id": grant.owner_id, **more},
    )  # fmt: skip


def credentials_of(shop: Shop) -> Credentials:
    row = ShopCredential.objects.filter(shop=shop).first()
    if row is None:
        raise NotFound(kind="platform credentials for shop", key=shop.name)
    return Credentials(
        row.gateway_url, row.client_id, _unseal(row, row.client_secret), _unseal(row, row.access_token),
        _unseal(row, row.refresh_token), row.access_expires_at, row.needs_authorization,
    )  # fmt: skip


@transaction.atomic(durable=False)
def store_tokens(shop: Shop, *, access_token: str, refresh_token: str, access_expires_at: datetime | None,
                 now: datetime) -> None:  # fmt: skip
    """A refreshed token replaces the old one at once (the platform invalidates the old pair)."""
    ShopCredential.objects.filter(shop=shop).update(
        access_token=seal(access_token), refresh_token=seal(refresh_token), access_expires_at=access_expires_at,
        needs_authorization=False, updated_at=now,
    )  # fmt: skip


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime | None


def refresh_tokens(shop: Shop, *, expired_access_token: str, refresh: Callable[[str], TokenPair], now: datetime) -> str:
    """Replace an expired access token, once per shop even when several clients meet the expiry together.

    The stored pair is re-read under a row lock: if another client already refreshed (the stored access token is
    no longer the one that expired), that token is used — refreshing again with the now-invalid refresh token would
    fail and wrongly flag the shop. Otherwise ``refresh(refresh_token)`` asks the platform, and the new pair is
    stored before the lock is released. A refusal flags the shop as needing authorisation.
    """
    failure: Exception | None = None
    with transaction.atomic(durable=True):
        row = ShopCredential.objects.select_for_update().filter(shop=shop).first()
        if row is None:
            raise NotFound(kind="platform credentials for shop", key=shop.name)
        stored = _unseal(row, row.access_token)
        if stored and stored != expired_access_token:
            return stored
        try:
            pair = refresh(_unseal(row, row.refresh_token))
        except Exception as error:  # the flag must commit; the error is raised after the transaction
            failure = error
            ShopCredential.objects.filter(id=row.id).update(needs_authorization=True, updated_at=now)
        else:
            ShopCredential.objects.filter(id=row.id).update(
                access_token=seal(pair.access_token), refresh_token=seal(pair.refresh_token),
                access_expires_at=pair.access_expires_at, needs_authorization=False, updated_at=now,
            )  # fmt: skip
            return pair.access_token
    raise failure


def reseal_all(new_key: str) -> list[str]:
    """Re-seal every shop's stored credentials under ``new_key``, all or nothing; returns the shops' names.

    Every credential is read with the current key first: one that cannot be read refuses the whole rotation,
    naming its shop, so no credential is left sealed under a key that is about to be thrown away.
    """
    old_key = current_key()
    fields = ("client_secret", "access_token", "refresh_token")
    with transaction.atomic(durable=True):
        rows = list(ShopCredential.objects.select_for_update().select_related("shop").order_by("id"))
        plain = [{f: _unseal(row, getattr(row, f), key=old_key) for f in fields} for row in rows]
        for row, values in zip(rows, plain, strict=True):
            for f in fields:
                setattr(row, f, seal(values[f], key=new_key))
        ShopCredential.objects.bulk_update(rows, fields)
    return [row.shop.name for row in rows]
