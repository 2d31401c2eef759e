"""The edge that chooses the concrete platform for a shop: a PDD client built from its stored credentials.

The gateway URL is part of the credentials, so the same code talks to the real gateway or to the simulator.
An expired token is refreshed once through the client's hook and stored (sealed) right away, because PDD
invalidates the old pair; when refreshing fails the shop is flagged as needing authorisation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from kuaifa.domain.carriers.waybills import WaybillSender
from kuaifa.platforms.pdd.client import PddClient
from kuaifa.platforms.pdd.gateway import PddGateway
from kuaifa.platforms.pdd.waybill import PddWaybills
from kuaifa.services.credentials import TokenPair, credentials_of, refresh_tokens

if TYPE_CHECKING:
    from kuaifa.persistence.models import Shop


def pdd_client(shop: Shop, **options) -> PddClient:
    creds = credentials_of(shop)

    def refresh() -> str:
        def ask_platform(refresh_token: str) -> TokenPair:
            grant = client.refresh_access_token(refresh_token)
            expires = datetime.fromtimestamp(grant.expires_at, UTC) if grant.expires_at else None
            return TokenPair(grant.access_token, grant.refresh_token, expires)

        return refresh_tokens(shop, expired_access_token=client.access_token, refresh=ask_platform,
                              now=timezone.now())  # fmt: skip

    client = PddClient(creds.client_id, creds.client_secret, creds.access_token, base_url=creds.gateway_url,
                       token_refresher=refresh if creds.refresh_token else None, **options)  # fmt: skip
    return client


def platform_for(shop: Shop, **options) -> PddGateway:
    return PddGateway(pdd_client(shop, **options))


def waybill_provider_for(shop: Shop, sender: WaybillSender | None = None, **options) -> PddWaybills:
    """The shop's e-waybill provider (pdd.waybill.get / .cancel) over its stored credentials; taking numbers needs
    the ``sender`` (ship-from address), cancelling does not."""
    return PddWaybills(pdd_client(shop, **options), sender)
