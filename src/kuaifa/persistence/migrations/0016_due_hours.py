"""Open orders per ship-by hour in the kept counts (kind ``due``), so the dashboard's ship-by risk reads the counts
and counts live only the three hours that hold its edges (now, now + 6 h, now + 24 h) — not every open order due
within 24 hours (60,000 of a large backlog).

A ``due`` count: ``day`` and ``key`` are the China day and hour (``"00"``–``"23"``) that the ship-by falls in, ``n``
the open orders (NEW, ON_HOLD, ACCEPTED, PICKING, PACKED) with a ship-by in that hour. The triggers of
``0015_order_counts`` gain the ``due`` count (the same design: row triggers adding to the counts on SQLite, deltas
on PostgreSQL that the worker folds); the counts are filled once from the open orders already stored.
"""

import importlib
from collections.abc import Callable
from typing import Any

from django.db import migrations

counts = importlib.import_module("kuaifa.persistence.migrations.0015_order_counts")

OPEN = "('NEW', 'ON_HOLD', 'ACCEPTED', 'PICKING', 'PACKED')"  # kuaifa.persistence.order_counts.OPEN_STATUSES


# SQLite: datetimes are stored as UTC text; China is UTC+8 all year, so its hours start on UTC hours.
def _due(row: str, sign: int) -> str:
    return (
        f"{counts._INTO} SELECT {row}.shop_id, date({row}.ship_by, '+8 hours'), 'due', "
        f"strftime('%H', {row}.ship_by, '+8 hours'), {sign} "
        f"WHERE {row}.ship_by IS NOT NULL AND {row}.status IN {OPEN} {counts._UPSERT}"
    )


SQLITE_TRIGGERS = {
    "insert_due": ("INSERT", f"WHEN NEW.ship_by IS NOT NULL AND NEW.status IN {OPEN}", _due("NEW", 1)),
    "update_due": (
        "UPDATE OF shop_id, status, ship_by",
        f"WHEN (OLD.status IN {OPEN} OR NEW.status IN {OPEN}) AND ({counts._changed('shop_id', 'status', 'ship_by')})",
        _due("OLD", -1) + _due("NEW", 1),
    ),
}
_DELETE = counts.SQLITE_TRIGGERS["delete"]  # replaced: its last step empties the counts when no order is left
_DELETE_WITH_DUE = (_DELETE[0], _DELETE[1], _due("OLD", -1) + _DELETE[2])

SQLITE = [
    *(counts._trigger(name, event, when, body) for name, (event, when, body) in SQLITE_TRIGGERS.items()),
    "DROP TRIGGER kuaifa_order_counts_delete",
    counts._trigger("delete", *_DELETE_WITH_DUE),
    f"""INSERT INTO kuaifa_ordercount (shop_id, day, kind, key, n)
    SELECT shop_id, date(ship_by, '+8 hours'), 'due', strftime('%H', ship_by, '+8 hours'), COUNT(*)
    FROM kuaifa_order WHERE status IN {OPEN} AND ship_by IS NOT NULL GROUP BY 1, 2, 4""",
]
SQLITE_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS kuaifa_order_counts_{name}" for name in SQLITE_TRIGGERS),
    "DROP TRIGGER kuaifa_order_counts_delete",
    counts._trigger("delete", *_DELETE),
    "DELETE FROM kuaifa_ordercount WHERE kind = 'due'",
]


def _pg_due(row: str, sign: int, source: str = "") -> str:
    local = f"(({row}.ship_by AT TIME ZONE 'UTC') + interval '8 hours')"
    src = f" FROM {source} {row}" if source else ""
    return (
        f"SELECT {row}.shop_id AS shop_id, {local}::date AS day, 'due'::varchar AS kind, "
        f"to_char({local}, 'HH24')::varchar AS key, {sign} AS n{src} "
        f"WHERE {row}.ship_by IS NOT NULL AND {row}.status IN {OPEN}"
    )


def _replace(name: str, body: str) -> str:
    statement: str = counts._pg_function(name, body)
    return statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


_DELTAS = "kuaifa_ordercountdelta"
_PG_UPDATE_DUE = (
    f"IF (OLD.status IN {OPEN} OR NEW.status IN {OPEN}) AND "
    f"({counts._pg_changed('shop_id', 'status', 'ship_by')}) THEN "
    + counts._pg_sum(_DELTAS, [_pg_due("OLD", -1), _pg_due("NEW", 1)])
    + "; END IF"
)
POSTGRES = [  # the functions 0015 made, each with the due count added; the triggers (and their WHEN) stay
    _replace("insert", counts._pg_sum(_DELTAS, [*counts._pg_parts("o", 1, "new_rows"), _pg_due("o", 1, "new_rows")])),
    _replace(
        "delete",
        counts._pg_sum(_DELTAS, [*counts._pg_parts("o", -1, "old_rows"), _pg_due("o", -1, "old_rows")])
        + "; "
        + counts.EMPTIED.rstrip(";"),
    ),
    _replace("update", counts._PG_UPDATE + "; " + _PG_UPDATE_DUE),
    counts._pg_sum("kuaifa_ordercount", [_pg_due("o", 1, "kuaifa_order")]),  # the open orders already there
]
POSTGRES_REVERSE = [
    *(statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1) for statement in counts.POSTGRES[:3]),
    "DELETE FROM kuaifa_ordercountdelta WHERE kind = 'due'",
    "DELETE FROM kuaifa_ordercount WHERE kind = 'due'",
]


def _run(statements: dict[str, list[str]]) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements[schema_editor.connection.vendor]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("kuaifa", "0015_order_counts"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
