"""Settings for Kuaifa.

The embedded default keeps everything in one data directory (``./kuaifa-data``, or ``$KUAIFA_HOME``): a SQLite
database in WAL mode with durable commits. ``DATABASE_URL`` selects PostgreSQL for production.
Storage is UTC; people see Asia/Shanghai; the interface speaks Chinese by default.
"""

import os
from pathlib import Path

import dj_database_url

KUAIFA_HOME = Path(os.environ.get("KUAIFA_HOME", "kuaifa-data")).resolve()

SECRET_KEY = os.environ.get("KUAIFA_SECRET_KEY", "kuaifa-embedded-default-change-me-in-production")
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
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=0)}
else:
    KUAIFA_HOME.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": KUAIFA_HOME / "kuaifa.sqlite3",
            "OPTIONS": {
                # Writers take the lock when the transaction starts, so a read-then-write on stock is serialised.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                    # page cache 16 MiB (default 2 MiB), 32 MiB of the file memory-mapped, large sorts spill to files:
                    # see docs/performance.md for what this costs
                    "PRAGMA cache_size=-16384; PRAGMA mmap_size=33554432; PRAGMA temp_store=FILE;"
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("KUAIFA_LOG_LEVEL", "WARNING")},
}
