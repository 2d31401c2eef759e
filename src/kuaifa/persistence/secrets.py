"""Platform credentials are stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256) under the install's secret key.

The key is ``KUAIFA_SECRET_KEY`` when set, otherwise the key file ``$KUAIFA_HOME/secret.key`` that ``kuaifa init``
creates (random, mode 0600). There is no built-in key: without one, sealing and unsealing refuse with
:class:`SecretKeyMissing`. Losing or changing the key makes stored tokens unreadable; ``unseal`` reports that as
:class:`SecretUnreadable` rather than returning garbage, and ``kuaifa rotate-key`` re-seals them under a new key.
"""

import base64
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from kuaifa.domain.shared.errors import DomainError

KEY_FILE_MODE = 0o600


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the current key."""


class SecretKeyMissing(DomainError):
    code = "secret_key.missing"
    template = (
        "No secret key is configured: run `kuaifa init` to create the key file %(path)s, or set KUAIFA_SECRET_KEY."
    )


def current_key() -> str:
    """The configured secret key; refuses when there is none rather than falling back to a public one."""
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:
        key = ""
    if not key:
        raise SecretKeyMissing(path=str(settings.SECRET_KEY_FILE))
    return key


def new_key() -> str:
    """A fresh random key: 48 bytes from the operating system's generator, URL-safe text."""
    return secrets.token_urlsafe(48)


def stage_key_file(path: Path, key: str) -> Path:
    """Write ``key`` beside ``path`` (``secret.key.new``, mode 0600, synced to disk); ``os.replace`` installs it."""
    staging = path.with_name(path.name + ".new")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_FILE_MODE)
    try:
        os.write(fd, (key + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(staging, KEY_FILE_MODE)
    return staging


def write_key_file(path: Path, key: str) -> None:
    """Write ``key`` to ``path`` with mode 0600, replacing any file there in one rename (never half-written)."""
    os.replace(stage_key_file(path, key), path)


def _fernet(key: str | None = None) -> Fernet:
    material = key if key is not None else current_key()
    digest = hashlib.sha256(b"kuaifa-credentials:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(plaintext: str, *, key: str | None = None) -> str:
    return _fernet(key).encrypt(plaintext.encode()).decode() if plaintext else ""


def unseal(token: str, *, key: str | None = None) -> str:
    if not token:
        return ""
    try:
        return _fernet(key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("stored credential cannot be decrypted with the current secret key") from None


def ensure_key_file() -> Path | None:
    """Create the key file with a random key when no key is configured; returns its path when it was created.

    ``KUAIFA_SECRET_KEY`` or an existing key file wins: an install keeps its key for as long as it lives.
    """
    try:
        current_key()
    except SecretKeyMissing:
        pass
    else:
        return None
    path = Path(settings.SECRET_KEY_FILE)
    write_key_file(path, new_key())
    settings.SECRET_KEY = path.read_text(encoding="utf-8").strip()
    return path
