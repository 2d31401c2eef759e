"""Settings for Kuaifa.

The embedded default keeps everything in one data directory (``./kuaifa-data``, or ``$KUAIFA_HOME``, mode 0700): a
SQLite database in WAL mode with durable commits (files mode 0600). ``DATABASE_URL`` selects PostgreSQL for
production. Storage is UTC; people see Asia/Shanghai; the interface speaks Chinese by default.

The secret key is ``KUAIFA_SECRET_KEY`` or the key file ``$KUAIFA_HOME/secret.key`` that ``kuaifa init`` creates;
there is no built-in one. Reading the settings never fails: a problem (an unusable ``DATABASE_URL``) is kept in
``KUAIFA_CONFIG_ERROR`` and the command line reports it as a sentence.
"""

import contextlib
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

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_tasks",
    "django_tasks_db",
    "kuaifa.persistence",
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
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KUAIFA_LOG_LEVEL", "WARNING")},
}
