"""A shop whose platform token no longer works: flagged "needs authorisation" until the owner authorises it again.

The platform says so with PDD 20032 (access_token 或 client_id 错误: the token was revoked, or the merchant authorised
again elsewhere) or with 10019 (expired) when refreshing cannot cure it; the adapter reports both as
:data:`AUTHORIZATION`. Sync and the outbox flag the shop; ``credentials.authorise_pdd_shop`` clears the flag.
"""

from datetime import datetime

from django.db import transaction

from kuaifa.persistence.models import Shop, ShopCredential

#: the adapter's code for a token the platform refuses for good (``platforms.pdd.gateway``)
AUTHORIZATION = "platform.authorization"


@transaction.atomic(durable=False)
def mark_needs_authorization(shop: Shop, *, now: datetime) -> None:
    """The tokens no longer work and cannot be refreshed: a person must authorise the app again. Flagged once (the
    time of the first refusal stays); the next authorisation clears it."""
    ShopCredential.objects.filter(shop=shop, needs_authorization=False).update(needs_authorization=True, updated_at=now)
