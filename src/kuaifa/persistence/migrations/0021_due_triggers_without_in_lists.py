"""SQLite: the ``due`` count triggers test the open statuses with ``=`` comparisons, not ``IN (…)`` lists.

SQLite evaluates ``status IN ('NEW', 'ON_HOLD', …)`` by building a small temporary index of the list, once per
run of the program holding it; a trigger is a program run once per row, so every order inserted, updated or
deleted built two to four of them: about 165 µs a row, more than the rest of the row's write (an UPDATE of 5,000
orders from NEW to PACKED with a shipped-at: 281 µs a row with the lists, 94–120 µs without, 12 µs with no trigger
at all). Equality tests joined by ``OR`` say the same (``status`` is never NULL) and cost nothing to set up. Same triggers, same counts; PostgreSQL is untouched
(its functions keep their lists, which it evaluates without building anything).
"""

import importlib

from django.db import migrations

counts = importlib.import_module("kuaifa.persistence.migrations.0015_order_counts")
due = importlib.import_module("kuaifa.persistence.migrations.0016_due_hours")
open_moves = importlib.import_module("kuaifa.persistence.migrations.0019_due_open_moves")

_STATUSES = [status.strip(" '") for status in due.OPEN.strip("()").split(",")]  # NEW, ON_HOLD, … PACKED


def _without_in_lists(sql: str) -> str:
    for row in ("OLD", "NEW"):
        sql = sql.replace(
            f"{row}.status IN {due.OPEN}", "(" + " OR ".join(f"{row}.status = '{s}'" for s in _STATUSES) + ")"
        )
    assert " IN (" not in sql, sql
    return sql


_BEFORE = {  # the triggers as 0016 and 0019 left them
    "insert_due": counts._trigger("insert_due", *due.SQLITE_TRIGGERS["insert_due"]),
    "update_due": open_moves.SQLITE[1],
    "delete": counts._trigger("delete", *due._DELETE_WITH_DUE),
}
SQLITE = [
    statement
    for name, create in _BEFORE.items()
    for statement in (f"DROP TRIGGER kuaifa_order_counts_{name}", _without_in_lists(create))
]
SQLITE_REVERSE = [
    statement for name, create in _BEFORE.items() for statement in (f"DROP TRIGGER kuaifa_order_counts_{name}", create)
]


class Migration(migrations.Migration):
    dependencies = [
        ("kuaifa", "0020_redundant_fk_indexes"),
    ]

    operations = [
        migrations.RunPython(
            due._run({"sqlite": SQLITE, "postgresql": []}), due._run({"sqlite": SQLITE_REVERSE, "postgresql": []})
        ),
    ]
