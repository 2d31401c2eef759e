"""Platform credentials are stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256), keyed from KUAIFA_SECRET_KEY.

Losing or changing the secret key makes stored tokens unreadable; the shop then needs to be authorised again,
which ``unseal`` reports as :class:`SecretUnreadable` rather than returning garbage.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the current key."""


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"kuaifa-credentials:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode() if plaintext else ""


def unseal(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("stored credential cannot be decrypted with the current KUAIFA_SECRET_KEY") from None
