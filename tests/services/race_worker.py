"""Child process for ``test_race.py``: one concurrent reviewer against the test database.

Run as ``python tests/services/race_worker.py``. Configured entirely by the environment the test passes:

- ``KUAIFA_RACE_DB_ENGINE`` / ``KUAIFA_RACE_DB_NAME``: the test database (the engine must match what the settings
  select, so the child never opens the development database by mistake);
- ``KUAIFA_RACE_WORKER``: this worker's number (its actor is ``worker:race-<n>``);
- ``KUAIFA_RACE_DIR``: where it writes ``ready-<n>`` once connected, and waits for ``go`` (the start barrier);
- ``KUAIFA_RACE_NOW``: the clock, ISO 8601;
- ``KUAIFA_RACE_CHUNK`` (optional): orders per review transaction, else the service's default;
- ``KUAIFA_HOME`` and ``DATABASE_URL`` as for the test itself.

Prints one JSON line (the review report) on stdout; any exception prints its traceback and exits 1.
"""

import json
import os
import sys
import time
import traceback
from datetime import datetime
from pathlib import Path

BARRIER_TIMEOUT_S = 60


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
    from django.conf import settings

    database = settings.DATABASES["default"]  # loads the settings module; no connection yet
    if database["ENGINE"] != os.environ["KUAIFA_RACE_DB_ENGINE"]:
        raise RuntimeError(f"engine {database['ENGINE']} is not the test's {os.environ['KUAIFA_RACE_DB_ENGINE']}")
    if not Path(os.environ["KUAIFA_RACE_DB_NAME"]).name.startswith("test"):
        raise RuntimeError(f"refusing to review orders in {os.environ['KUAIFA_RACE_DB_NAME']}: not a test database")
    database["NAME"] = os.environ["KUAIFA_RACE_DB_NAME"]

    import django

    django.setup()
    from django.db import connection

    from kuaifa.domain.shared.actor import Actor
    from kuaifa.services.review import review_orders

    worker = int(os.environ["KUAIFA_RACE_WORKER"])
    folder = Path(os.environ["KUAIFA_RACE_DIR"])
    now = datetime.fromisoformat(os.environ["KUAIFA_RACE_NOW"])

    connection.ensure_connection()
    assert str(connection.settings_dict["NAME"]) == os.environ["KUAIFA_RACE_DB_NAME"]
    (folder / f"ready-{worker}").touch()
    deadline = time.monotonic() + BARRIER_TIMEOUT_S
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"worker {worker}: no start signal within {BARRIER_TIMEOUT_S} s")
        time.sleep(0.001)

    started, started_at = time.monotonic(), time.time()
    chunk = {"chunk": int(os.environ["KUAIFA_RACE_CHUNK"])} if os.environ.get("KUAIFA_RACE_CHUNK") else {}
    report = review_orders(actor=Actor.worker(f"race-{worker}"), now=now, **chunk)
    print(
        json.dumps(
            {
                "worker": worker,
                "reviewed": report.reviewed,
                "accepted": report.accepted,
                "held": report.held,
                "seconds": round(time.monotonic() - started, 3),
                "started_at": started_at,
            }
        )
    )
    connection.close()
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except BaseException:  # anything at all, KeyboardInterrupt too: say what and fail
        traceback.print_exc()
        code = 1
    sys.exit(code)
