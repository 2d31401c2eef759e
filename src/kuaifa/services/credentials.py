"""A shop's open-platform credentials: stored sealed, read back for the edge that builds the platform client."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from kuaifa.persistence.models import Shop, ShopCredential
from kuaifa.persistence.secrets import seal, unseal
from kuaifa.services.catalog import add_shop
from kuaifa.services.errors import InvalidInput, NotFound


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
            raise InvalidInput(field=field, reason="required")
    shop = add_shop(name, platform=Shop.Platform.PDD, now=now)
    with transaction.atomic(durable=True):
        ShopCredential.objects.create(
            shop=shop, gateway_url=gateway_url, client_id=client_id, client_secret=seal(client_secret),
            access_token=seal(access_token), refresh_token=seal(refresh_token), access_expires_at=access_expires_at,
            updated_at=now,
        )  # fmt: skip
    return shop


def credentials_of(shop: Shop) -> Credentials:
    row = ShopCredential.objects.filter(shop=shop).first()
    if row is None:
        raise NotFound(kind="platform credentials for shop", key=shop.name)
    return Credentials(
        row.gateway_url, row.client_id, unseal(row.client_secret), unseal(row.access_token),
        unseal(row.refresh_token), row.access_expires_at, row.needs_authorization,
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
