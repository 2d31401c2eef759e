"""The ``due`` count (``0016_due_hours``) moves only when an order enters or leaves the open statuses, or an open
order's shop or ship-by changes — not on every move between two open statuses.

An open order counts under its ship-by hour whatever open status it is in, so NEW → ACCEPTED (review), ACCEPTED →
PICKING (a wave) and PICKING → PACKED (packing) leave the count where it was. The triggers of ``0016`` still ran
for those moves and wrote a -1 and a +1 that netted out: on SQLite two upserts of the same count row per order, on
PostgreSQL a query per order that found nothing to add. A wave of 10,000 orders paid that 10,000 times inside its
one UPDATE. Same counts, fewer writes.
"""

import importlib

from django.db import migrations

counts = importlib.import_module("kuaifa.persistence.migrations.0015_order_counts")
due = importlib.import_module("kuaifa.persistence.migrations.0016_due_hours")

OPEN = due.OPEN

# SQLite: the row trigger's WHEN, checked before its body runs
_SQLITE_WHEN = (
    f"WHEN (OLD.status IN {OPEN}) IS NOT (NEW.status IN {OPEN}) OR ((OLD.status IN {OPEN}) AND "
    f"({counts._changed('shop_id', 'ship_by')}))"
)
_SQLITE_BEFORE = due.SQLITE_TRIGGERS["update_due"]
SQLITE = [
    "DROP TRIGGER kuaifa_order_counts_update_due",
    counts._trigger("update_due", _SQLITE_BEFORE[0], _SQLITE_WHEN, _SQLITE_BEFORE[2]),
]
SQLITE_REVERSE = [
    "DROP TRIGGER kuaifa_order_counts_update_due",
    counts._trigger("update_due", *_SQLITE_BEFORE),
]

# PostgreSQL: the same condition inside the row trigger's function (its WHEN, on all counted columns, stays)
_PG_UPDATE_DUE = (
    f"IF (OLD.status IN {OPEN}) IS DISTINCT FROM (NEW.status IN {OPEN}) OR ((OLD.status IN {OPEN}) AND "
    f"({counts._pg_changed('shop_id', 'ship_by')})) THEN "
    + counts._pg_sum(due._DELTAS, [due._pg_due("OLD", -1), due._pg_due("NEW", 1)])
    + "; END IF"
)
POSTGRES = [due._replace("update", counts._PG_UPDATE + "; " + _PG_UPDATE_DUE)]
POSTGRES_REVERSE = [due._replace("update", counts._PG_UPDATE + "; " + due._PG_UPDATE_DUE)]


class Migration(migrations.Migration):
    dependencies = [
        ("kuaifa", "0018_credential_owner"),
    ]

    operations = [
        migrations.RunPython(
            due._run({"sqlite": SQLITE, "postgresql": POSTGRES}),  # each database's statements, as 0016 runs them
            due._run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
