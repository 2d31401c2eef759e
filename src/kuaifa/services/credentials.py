"""A shop's open-platform credentials: stored sealed, read back for the edge that builds the platform client."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kuaifa.domain.shared.errors import DomainError, Text
from kuaifa.persistence.models import Shop, ShopCredential
from kuaifa.persistence.secrets import SecretUnreadable, current_key, seal, unseal
from kuaifa.services.catalog import add_shop
from kuaifa.services.errors import InvalidInput, NotFound


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
    access_expires_at: datetime | None = None, now: datetime,
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
            updated_at=now, **sealed,
        )  # fmt: skip
    return shop


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


@transaction.atomic(durable=False)
def mark_needs_authorization(shop: Shop, *, now: datetime) -> None:
    """The tokens no longer work and cannot be refreshed: a person must authorise the app again."""
    ShopCredential.objects.filter(shop=shop).update(needs_authorization=True, updated_at=now)


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
