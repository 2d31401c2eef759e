"""Child process for ``test_sync_service.py``: one order sync of one shop against the simulated gateway, on the
test database, meant to be killed (SIGKILL) at any moment and started again.

Run as ``python tests/integration/sync_worker.py``. Configured entirely by the environment the test passes:

- ``KUAIFA_SYNC_DB_ENGINE`` / ``KUAIFA_SYNC_DB_NAME``: the test database (the engine must match what the settings
  select, so the child never opens the development database by mistake);
- ``KUAIFA_SYNC_GATEWAY``: the simulator's router URL; ``KUAIFA_SYNC_TOKEN``: the merchant's access token (the app
  is the simulator's default one);
- ``KUAIFA_SYNC_SHOP_ID``: the shop to sync; ``KUAIFA_SYNC_LOOKBACK_S``: where its first sync starts;
- ``KUAIFA_SYNC_READY``: a file touched once connected and calibrated, just before the sync starts;
- ``KUAIFA_HOME`` and ``DATABASE_URL`` as for the test itself.

The client runs on the real clock, calibrated against the simulator's ``pdd.time.get`` (its clock stands still in
another process), so timestamps and windows are in simulator time. Prints one JSON line (the sync report) on
stdout when the sync finishes; any exception prints its traceback and exits 1.
"""

import json
import os
import sys
import traceback
from datetime import timedelta
from pathlib import Path


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kuaifa.config.settings")
    from django.conf import settings

    database = settings.DATABASES["default"]  # loads the settings module; no connection yet
    if database["ENGINE"] != os.environ["KUAIFA_SYNC_DB_ENGINE"]:
        raise RuntimeError(f"engine {database['ENGINE']} is not the test's {os.environ['KUAIFA_SYNC_DB_ENGINE']}")
    database["NAME"] = os.environ["KUAIFA_SYNC_DB_NAME"]

    import django

    django.setup()
    from django.db import connection

    from kuaifa.domain.shared.actor import Actor
    from kuaifa.persistence.models import Shop
    from kuaifa.platforms.pdd.client import PddClient
    from kuaifa.platforms.pdd.gateway import PddGateway
    from kuaifa.platforms.sim import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from kuaifa.services.sync import SyncSettings, sync_orders

    connection.ensure_connection()
    assert str(connection.settings_dict["NAME"]) == os.environ["KUAIFA_SYNC_DB_NAME"]
    shop = Shop.objects.get(id=int(os.environ["KUAIFA_SYNC_SHOP_ID"]))
    client = PddClient(
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        os.environ["KUAIFA_SYNC_TOKEN"],
        base_url=os.environ["KUAIFA_SYNC_GATEWAY"],
    )
    gateway = PddGateway(client)
    gateway.calibrate()
    settings_ = SyncSettings(first_lookback=timedelta(seconds=float(os.environ["KUAIFA_SYNC_LOOKBACK_S"])))
    Path(os.environ["KUAIFA_SYNC_READY"]).touch()

    report = sync_orders(shop, gateway, actor=Actor.worker("sync"), clock=client.platform_datetime, settings=settings_)
    print(
        json.dumps(
            {
                "windows": report.windows,
                "fetched": report.fetched,
                "created": report.ingest.created,
                "updated": report.ingest.updated,
                "caught_up": report.caught_up,
                "position": report.position.isoformat() if report.position else None,
            }
        )
    )
    client.close()
    connection.close()
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except BaseException:  # anything at all, KeyboardInterrupt too: say what and fail
        traceback.print_exc()
        code = 1
    sys.exit(code)
