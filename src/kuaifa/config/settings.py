"""Settings for Kuaifa.

The embedded default keeps everything in one data directory (``./kuaifa-data``, or ``$KUAIFA_HOME``, mode 0700): a
SQLite database in WAL mode with durable commits (files mode 0600). ``DATABASE_URL`` selects PostgreSQL for
production. Storage is UTC; people see Asia/Shanghai; the interface speaks Chinese by default.

The secret key is ``KUAIFA_SECRET_KEY`` or the key file ``$KUAIFA_HOME/secret.key`` that ``kuaifa init`` creates;
there is no built-in one. Reading the settings never fails: a problem (an unusable ``DATABASE_URL``) is kept in
``KUAIFA_CONFIG_ERROR`` and the command line reports it as a sentence.
"""

import contextlib
import logging.config
import os
from pathlib import Path

import dj_database_url

KUAIFA_HOME = Path(os.environ.get("KUAIFA_HOME", "kuaifa-data")).resolve()
SECRET_KEY_FILE = KUAIFA_HOME / "secret.key"
KUAIFA_CONFIG_ERROR: dict[str, str] | None = None


def _key_from_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


# Empty when none is configured: Django then refuses to use it, and sealing a credential asks for `kuaifa init`.
SECRET_KEY = os.environ.get("KUAIFA_SECRET_KEY", "").strip() or _key_from_file(SECRET_KEY_FILE)
DEBUG = os.environ.get("KUAIFA_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

#: the apps of the background-work queue: the command line leaves them out for the commands that queue no work
#: (``kuaifa.cli.main.QUEUE_FREE_MODULES``)
QUEUE_APPS = ["django_tasks", "django_tasks_db"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    *QUEUE_APPS,
    "kuaifa.persistence",
    "kuaifa.tasks",  # provides the services' platform factory (services.platform_port) at start-up
]

# Background work (outbox deliveries, sync) through the Tasks API with the database queue: no extra server,
# and on PostgreSQL many workers on many machines share it. `kuaifa worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

if os.environ.get("DATABASE_URL"):
    try:
        DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=0)}
        if not DATABASES["default"].get("ENGINE") or not DATABASES["default"].get("NAME"):
            raise ValueError("no database engine or name in it")
    except (ValueError, KeyError) as error:
        DATABASES = {}
        KUAIFA_CONFIG_ERROR = {"setting": "DATABASE_URL", "reason": str(error) or type(error).__name__}
else:
    with contextlib.suppress(OSError):  # reported, naming the folder, when the database cannot be opened
        KUAIFA_HOME.mkdir(mode=0o700, parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": KUAIFA_HOME / "kuaifa.sqlite3",
            "OPTIONS": {
                # Writers take the lock when the transaction starts, so a read-then-write on stock is serialised.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                # prepared statements kept per connection (Python's default 128): a statement with an IN list of
                # thousands of ids holds ~160 bytes per id, and review's id lists differ in length every chunk, so
                # the default cache grew by up to ~40 MiB over a large review (docs/performance.md)
                "cached_statements": 32,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                    # page cache 16 MiB (default 2 MiB), no memory-mapped file (mapped pages count in the process's
                    # resident memory), large sorts spill to files: see docs/performance.md for what this costs
                    "PRAGMA cache_size=-16384; PRAGMA mmap_size=0; PRAGMA temp_store=FILE;"
                ),
            },
            "TEST": {"NAME": str(KUAIFA_HOME / "test-kuaifa.sqlite3")},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
DISPLAY_TIME_ZONE = "Asia/Shanghai"

USE_I18N = True
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [Path(__file__).resolve().parent.parent / "locale"]

#: Every record, Django's included, to the console from WARNING (``KUAIFA_LOG_LEVEL``). Applied here, not by Django
#: (``LOGGING_CONFIG = None``, as Django's logging docs allow): Django would first apply its own defaults, whose
#: e-mail handler for server errors loads the debug views and the template engine in every process, 4–6 % of a
#: command's start-up (docs/performance.md, "Start-up"). Kuaifa sends no e-mail and serves with waitress, not
#: runserver, so those defaults had nothing to do here.
LOGGING_CONFIG = None
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KUAIFA_LOG_LEVEL", "WARNING")},
}
logging.config.dictConfig(LOGGING)

# --- The web workbench (kuaifa.web) and the JSON API (kuaifa.api) ----------------------------------------------
#: the apps only the workbench and the API use: the command line leaves them out of Django's start-up for every
#: command but those that serve, migrate or manage who signs in (``kuaifa.cli.main.WORKBENCH_COMMANDS``)
WORKBENCH_APPS = [
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "ninja",  # the API's docs page served from its own static files, not a CDN
    "kuaifa.web",
]
INSTALLED_APPS += WORKBENCH_APPS
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files from the app itself: no extra server needed
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kuaifa.web.language.UserLanguageMiddleware",
    "kuaifa.api.nul.RefuseNulMiddleware",  # PostgreSQL cannot store NUL, SQLite can: refused alike for the API
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]
ROOT_URLCONF = "kuaifa.config.urls"
WSGI_APPLICATION = "kuaifa.config.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kuaifa.web.context.workbench",
            ]
        },
    }
]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
STATIC_URL = "/static/"
STATIC_ROOT = KUAIFA_HOME / "static"  # collectstatic's target in production; whitenoise serves from the package
with contextlib.suppress(OSError):  # a home that is a file is reported by the CLI, naming the folder
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True  # serve the vendored files straight from the package, no collectstatic step
# Failed logins: five in a row lock the account and, separately, the address, for an hour.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600  # one working day
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and os.environ.get("KUAIFA_HTTPS") == "1":  # behind TLS: cookies only over HTTPS
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
# The PDD app this installation is registered as (开放平台应用): shops are connected by authorising it (授权).
PDD_APP = {
    "client_id": os.environ.get("KUAIFA_PDD_CLIENT_ID", ""),
    "client_secret": os.environ.get("KUAIFA_PDD_CLIENT_SECRET", ""),
    "gateway_url": os.environ.get("KUAIFA_PDD_GATEWAY", "https://gw-api.pinduoduo.com/api/router"),
    "authorize_url": os.environ.get("KUAIFA_PDD_AUTHORIZE_URL", "https://fuwu.pinduoduo.com/service-market/auth"),
}
