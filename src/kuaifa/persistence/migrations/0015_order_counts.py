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


# PostgreSQL: statement triggers reading the statement's transition tables, one INSERT of deltas per statement
# whatever the number of rows (bulk updates of review stay one statement); rows whose counted columns did not change
# add nothing. Deltas, not updates of the counts: concurrent writers never wait on (or deadlock over) a count row.
def _pg_args(row: str, sign: int) -> str:
    return f"{', '.join(f'{row}.{c}' for c in COUNTED)}, {sign}"


POSTGRES = [
    """CREATE FUNCTION kuaifa_order_count_rows(
        shop bigint, status varchar, reasons jsonb, created timestamptz, shipped timestamptz, due timestamptz,
        sign integer)
    RETURNS TABLE (shop_id bigint, day date, kind varchar, key varchar, n integer) LANGUAGE sql IMMUTABLE AS $$
        SELECT shop, ((created AT TIME ZONE 'UTC') + interval '8 hours')::date, 'status'::varchar, status, sign
        UNION ALL
        SELECT shop, ((shipped AT TIME ZONE 'UTC') + interval '8 hours')::date, 'shipped',
               CASE WHEN due IS NULL OR shipped <= due THEN 'on_time' ELSE 'late' END, sign
        WHERE shipped IS NOT NULL
        UNION ALL
        SELECT shop, ((created AT TIME ZONE 'UTC') + interval '8 hours')::date, 'held', r, sign
        FROM jsonb_array_elements_text(
            CASE WHEN jsonb_typeof(reasons) = 'array' AND jsonb_array_length(reasons) > 0
                 THEN reasons ELSE '["manual"]'::jsonb END) AS r
        WHERE status = 'ON_HOLD'
    $$""",
    f"""CREATE FUNCTION kuaifa_order_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO kuaifa_ordercountdelta (shop_id, day, kind, key, n)
        SELECT c.shop_id, c.day, c.kind, c.key, SUM(c.n)
        FROM new_rows o, LATERAL kuaifa_order_count_rows({_pg_args("o", 1)}) c
        GROUP BY 1, 2, 3, 4 HAVING SUM(c.n) <> 0;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION kuaifa_order_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO kuaifa_ordercountdelta (shop_id, day, kind, key, n)
        SELECT c.shop_id, c.day, c.kind, c.key, SUM(c.n)
        FROM old_rows o, LATERAL kuaifa_order_count_rows({_pg_args("o", -1)}) c
        GROUP BY 1, 2, 3, 4 HAVING SUM(c.n) <> 0;
        {EMPTIED}
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION kuaifa_order_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO kuaifa_ordercountdelta (shop_id, day, kind, key, n)
        SELECT c.shop_id, c.day, c.kind, c.key, SUM(c.n)
        FROM old_rows b JOIN new_rows a ON a.id = b.id,
        LATERAL (SELECT * FROM kuaifa_order_count_rows({_pg_args("b", -1)})
                 UNION ALL SELECT * FROM kuaifa_order_count_rows({_pg_args("a", 1)})) c
        WHERE ({", ".join(f"b.{c}" for c in COUNTED)}) IS DISTINCT FROM ({", ".join(f"a.{c}" for c in COUNTED)})
        GROUP BY 1, 2, 3, 4 HAVING SUM(c.n) <> 0;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER kuaifa_order_counts_insert AFTER INSERT ON kuaifa_order REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION kuaifa_order_counts_insert()",
    "CREATE TRIGGER kuaifa_order_counts_delete AFTER DELETE ON kuaifa_order REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION kuaifa_order_counts_delete()",
    "CREATE TRIGGER kuaifa_order_counts_update AFTER UPDATE ON kuaifa_order "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION kuaifa_order_counts_update()",
    f"""INSERT INTO kuaifa_ordercount (shop_id, day, kind, key, n)
    SELECT c.shop_id, c.day, c.kind, c.key, SUM(c.n)
    FROM kuaifa_order o, LATERAL kuaifa_order_count_rows({_pg_args("o", 1)}) c
    GROUP BY 1, 2, 3, 4""",
]
POSTGRES_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS kuaifa_order_counts_{e} ON kuaifa_order" for e in ("insert", "delete", "update")),
    *(f"DROP FUNCTION IF EXISTS kuaifa_order_counts_{e}()" for e in ("insert", "delete", "update")),
    "DROP FUNCTION IF EXISTS kuaifa_order_count_rows(bigint, varchar, jsonb, timestamptz, timestamptz, timestamptz, integer)",
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
