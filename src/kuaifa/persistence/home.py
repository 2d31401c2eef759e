"""The data folder: ``KUAIFA_HOME`` readable by its owner only (0700), the SQLite files too (0600).

SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file, so creating that file 0600 before the
first connection keeps every file of the database private.
"""

import os
from pathlib import Path

from django.conf import settings

HOME_MODE = 0o700
FILE_MODE = 0o600


def prepare_home() -> None:
    """Create ``KUAIFA_HOME`` (0700) and the SQLite database file (0600); tighten them when they already exist."""
    home = Path(settings.KUAIFA_HOME)
    home.mkdir(mode=HOME_MODE, parents=True, exist_ok=True)
    os.chmod(home, HOME_MODE)
    db = settings.DATABASES["default"]
    if "sqlite" not in db.get("ENGINE", ""):
        return
    path = Path(db["NAME"])
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            os.chmod(file, FILE_MODE)
