"""Production settings: the defaults plus HTTPS-only cookies, HSTS and a secret that must come from the environment.

Run behind a TLS-terminating proxy (see docs/deploy.md) with ``DJANGO_SETTINGS_MODULE=kuaifa.config.production``,
``KUAIFA_SECRET_KEY`` (at least 50 random characters) and ``KUAIFA_ALLOWED_HOSTS`` (comma separated).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from kuaifa.config.settings import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("KUAIFA_SECRET_KEY", "")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("kuaifa-embedded-default"):
    raise ImproperlyConfigured("KUAIFA_SECRET_KEY must be set to at least 50 random characters in production.")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("KUAIFA_ALLOWED_HOSTS", "").split(",") if h.strip()]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("KUAIFA_PROXY_COUNT", "1"))
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
