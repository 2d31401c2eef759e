"""The dashboard's order counts: triggers on kuaifa_order append deltas in the transaction of every write (see
``kuaifa.persistence.order_counts``); the counts are filled once from the orders already stored."""

from collections.abc import Callable
from typing import Any

from django.db import migrations, models

# What one order row counts under (see OrderCount): days are China days (UTC+8, no daylight saving).
COUNTED = ("shop_id", "status", "hold_reasons", "created_at", "shipped_at", "ship_by")
# Kuaifa never deletes orders; a test database emptied table by table (in any order) must end with no counts
EMPTIED = (
    "DELETE FROM kuaifa_ordercount WHERE NOT EXISTS (SELECT 1 FROM kuaifa_order); "
    "DELETE FROM kuaifa_ordercountdelta WHERE NOT EXISTS (SELECT 1 FROM kuaifa_order);"
)

# SQLite has one writer at a time and row triggers only: its triggers add to the counts directly, one small upsert
# per count a written row moves (nothing to fold), each guarded by a WHEN so a row that moves no count costs nothing.
_UPSERT = "ON CONFLICT (kind, key, day, shop_id) DO UPDATE SET n = kuaifa_ordercount.n + excluded.n;"
_INTO = "INSERT INTO kuaifa_ordercount (shop_id, day, kind, key, n)"


def _status(row: str, sign: int) -> str:
    return (
        f"{_INTO} VALUES ({row}.shop_id, date({row}.created_at, '+8 hours'), 'status', {row}.status, {sign}) {_UPSERT}"
    )


def _shipped(row: str, sign: int) -> str:
    return (
        f"{_INTO} SELECT {row}.shop_id, date({row}.shipped_at, '+8 hours'), 'shipped', CASE WHEN {row}.ship_by IS NULL "
        f"OR {row}.shipped_at <= {row}.ship_by THEN 'on_time' ELSE 'late' END, {sign} WHERE {row}.shipped_at IS NOT NULL "
        f"{_UPSERT}"
    )


def _held(row: str, sign: int) -> str:
    return (
        f"{_INTO} SELECT {row}.shop_id, date({row}.created_at, '+8 hours'), 'held', value, {sign} "
        f"FROM json_each(CASE WHEN json_array_length({row}.hold_reasons) > 0 THEN {row}.hold_reasons "
        f"ELSE '[\"manual\"]' END) WHERE {row}.status = 'ON_HOLD' {_UPSERT}"
    )


def _changed(*columns: str) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def _trigger(name: str, event: str, when: str, body: str) -> str:
    return f"CREATE TRIGGER kuaifa_order_counts_{name} AFTER {event} ON kuaifa_order {when} BEGIN {body} END"


SQLITE_TRIGGERS = {
    "insert_status": ("INSERT", "", _status("NEW", 1)),
    "insert_shipped": ("INSERT", "WHEN NEW.shipped_at IS NOT NULL", _shipped("NEW", 1)),
    "insert_held": ("INSERT", "WHEN NEW.status = 'ON_HOLD'", _held("NEW", 1)),
    "update_status": ("UPDATE OF shop_id, status, created_at", f"WHEN {_changed('shop_id', 'status', 'created_at')}",
                      _status("OLD", -1) + _status("NEW", 1)),
    "update_shipped": ("UPDATE OF shop_id, shipped_at, ship_by",
                       f"WHEN {_changed('shop_id', 'shipped_at', 'ship_by')}", _shipped("OLD", -1) + _shipped("NEW", 1)),
    "update_held": ("UPDATE OF shop_id, status, hold_reasons, created_at",
                    f"WHEN (OLD.status = 'ON_HOLD' OR NEW.status = 'ON_HOLD') AND "
                    f"({_changed('shop_id', 'status', 'hold_reasons', 'created_at')})",
                    _held("OLD", -1) + _held("NEW", 1)),
    "delete": ("DELETE", "", _status("OLD", -1) + _shipped("OLD", -1) + _held("OLD", -1) + EMPTIED),
}  # fmt: skip

SQLITE = [
    *(_trigger(name, event, when, body) for name, (event, when, body) in SQLITE_TRIGGERS.items()),
    # what the orders already there count under
    """INSERT INTO kuaifa_ordercount (shop_id, day, kind, key, n)
    SELECT shop_id, date(created_at, '+8 hours'), 'status', status, COUNT(*) FROM kuaifa_order GROUP BY 1, 2, 4""",
    """INSERT INTO kuaifa_ordercount (shop_id, day, kind, key, n)
    SELECT shop_id, date(shipped_at, '+8 hours'), 'shipped',
        CASE WHEN ship_by IS NULL OR shipped_at <= ship_by THEN 'on_time' ELSE 'late' END, COUNT(*)
    FROM kuaifa_order WHERE shipped_at IS NOT NULL GROUP BY 1, 2, 4""",
    """INSERT INTO kuaifa_ordercount (shop_id, day, kind, key, n)
    SELECT o.shop_id, date(o.created_at, '+8 hours'), 'held', r.value, COUNT(*)
    FROM kuaifa_order o, json_each(CASE WHEN json_array_length(o.hold_reasons) > 0 THEN o.hold_reasons
                                        ELSE '["manual"]' END) r
    WHERE o.status = 'ON_HOLD' GROUP BY 1, 2, 4""",
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS kuaifa_order_counts_{name}" for name in SQLITE_TRIGGERS]


# PostgreSQL: deltas, never updates of the counts, so concurrent writers never wait on (or deadlock over) a count
# row. Inserts (COPY batches) and deletes: one statement trigger over the transition table, one INSERT whatever the
# number of rows. Updates: a row trigger whose WHEN (checked without calling anything) lets through only rows that
# move a count, so the many updates that change other columns (re-ingested orders, one statement each) cost nothing;
# a moved row adds its few deltas, netted.
def _pg_day(column: str) -> str:
    return f"(({column} AT TIME ZONE 'UTC') + interval '8 hours')::date"


def _pg_parts(row: str, sign: int, source: str = "") -> list[str]:
    """What ``row`` counts under; ``source``: the table the rows come from (none for OLD / NEW)."""
    src = f" FROM {source} {row}" if source else ""
    held_from = f" FROM {source} {row}," if source else " FROM"
    return [
        f"SELECT {row}.shop_id AS shop_id, {_pg_day(f'{row}.created_at')} AS day, 'status'::varchar AS kind, "
        f"{row}.status::varchar AS key, {sign} AS n{src}",
        f"SELECT {row}.shop_id AS shop_id, {_pg_day(f'{row}.shipped_at')} AS day, 'shipped'::varchar AS kind, "
        f"(CASE WHEN {row}.ship_by IS NULL OR {row}.shipped_at <= {row}.ship_by THEN 'on_time' ELSE 'late' END)"
        f"::varchar AS key, {sign} AS n{src} "
        f"WHERE {row}.shipped_at IS NOT NULL",
        f"SELECT {row}.shop_id AS shop_id, {_pg_day(f'{row}.created_at')} AS day, 'held'::varchar AS kind, "
        f"r::varchar AS key, {sign} AS n{held_from} "
        f"jsonb_array_elements_text(CASE WHEN jsonb_typeof({row}.hold_reasons) = 'array' AND "
        f"jsonb_array_length({row}.hold_reasons) > 0 THEN {row}.hold_reasons ELSE '[\"manual\"]'::jsonb END) AS r "
        f"WHERE {row}.status = 'ON_HOLD'",
    ]


def _pg_sum(into: str, parts: list[str]) -> str:
    return (
        f"INSERT INTO {into} (shop_id, day, kind, key, n) SELECT shop_id, day, kind, key, SUM(n) "
        f"FROM ({' UNION ALL '.join(parts)}) c GROUP BY 1, 2, 3, 4 HAVING SUM(n) <> 0"
    )


def _pg_function(name: str, body: str) -> str:
    return f"CREATE FUNCTION kuaifa_order_counts_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"


def _pg_changed(*columns: str) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


_PG_DELTA = "INSERT INTO kuaifa_ordercountdelta (shop_id, day, kind, key, n)"
_PG_UPDATE = (  # only the counts the row moves: most moves are one status to another
    f"IF {_pg_changed('shop_id', 'status', 'created_at')} THEN {_PG_DELTA} VALUES "
    f"(OLD.shop_id, {_pg_day('OLD.created_at')}, 'status', OLD.status, -1), "
    f"(NEW.shop_id, {_pg_day('NEW.created_at')}, 'status', NEW.status, 1); END IF; "
    f"IF {_pg_changed('shop_id', 'shipped_at', 'ship_by')} THEN "
    + _pg_sum("kuaifa_ordercountdelta", [_pg_parts("OLD", -1)[1], _pg_parts("NEW", 1)[1]])
    + "; END IF; "
    f"IF (OLD.status = 'ON_HOLD' OR NEW.status = 'ON_HOLD') AND "
    f"({_pg_changed('shop_id', 'status', 'hold_reasons', 'created_at')}) THEN "
    + _pg_sum("kuaifa_ordercountdelta", [_pg_parts("OLD", -1)[2], _pg_parts("NEW", 1)[2]])
    + "; END IF"
)

POSTGRES = [
    _pg_function("insert", _pg_sum("kuaifa_ordercountdelta", _pg_parts("o", 1, "new_rows"))),
    _pg_function(
        "delete", _pg_sum("kuaifa_ordercountdelta", _pg_parts("o", -1, "old_rows")) + "; " + EMPTIED.rstrip(";")
    ),
    _pg_function("update", _PG_UPDATE),
    "CREATE TRIGGER kuaifa_order_counts_insert AFTER INSERT ON kuaifa_order REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION kuaifa_order_counts_insert()",
    "CREATE TRIGGER kuaifa_order_counts_delete AFTER DELETE ON kuaifa_order REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION kuaifa_order_counts_delete()",
    f"CREATE TRIGGER kuaifa_order_counts_update AFTER UPDATE ON kuaifa_order FOR EACH ROW "
    f"WHEN (({', '.join(f'OLD.{c}' for c in COUNTED)}) IS DISTINCT FROM ({', '.join(f'NEW.{c}' for c in COUNTED)})) "
    "EXECUTE FUNCTION kuaifa_order_counts_update()",
    _pg_sum("kuaifa_ordercount", _pg_parts("o", 1, "kuaifa_order")),  # what the orders already there count under
]
POSTGRES_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS kuaifa_order_counts_{e} ON kuaifa_order" for e in ("insert", "delete", "update")),
    *(f"DROP FUNCTION IF EXISTS kuaifa_order_counts_{e}()" for e in ("insert", "delete", "update")),
]


def _run(statements: dict[str, list[str]]) -> Callable[[Any, Any], None]:
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements[schema_editor.connection.vendor]:
            schema_editor.execute(statement)

    return run


MAINTAIN = _run({"sqlite": SQLITE, "postgresql": POSTGRES})
DROP = _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE})


class Migration(migrations.Migration):
    dependencies = [
        ("kuaifa", "0014_web_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrderCountDelta",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("shop_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("kind", models.CharField(max_length=8)),
                ("key", models.CharField(max_length=32)),
                ("n", models.IntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="OrderCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("shop_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("kind", models.CharField(max_length=8)),
                ("key", models.CharField(max_length=32)),
                ("n", models.IntegerField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "key", "day", "shop_id"), name="ordercount_unique")
                ],
            },
        ),
        migrations.RunPython(MAINTAIN, DROP),
    ]
