"""PostgreSQL: a bulk status move may count itself in one statement; the row trigger then leaves its rows alone.

The order-count row trigger costs one call of its function and one two-row INSERT per moved order (~13 µs): a wave
moving 10,000 orders ACCEPTED → PICKING spent 0.15–0.3 s of its UPDATE there, writing 20,000 delta rows that say
"−1 ACCEPTED, +1 PICKING" per order. ``persistence.order_counts.move_status`` instead writes those deltas summed per
shop and China day, from the rows its UPDATE returns, in the same statement — and names its move in the
transaction-local setting ``kuaifa.counted_move`` (``"ACCEPTED>PICKING"``) for that statement only; the trigger's
WHEN skips exactly the rows making that move while it is set. Every other UPDATE (the setting unset or empty) goes
through the trigger as before, at the price of one ``current_setting`` for a row that moves a count.

``move_status`` takes this path only for moves that change nothing but the status count (neither side ON_HOLD,
both open or both not), with an UPDATE that sets no other counted column. SQLite is untouched: its row triggers add
to the counts in-process.
"""

import importlib

from django.db import migrations

counts = importlib.import_module("kuaifa.persistence.migrations.0015_order_counts")
due = importlib.import_module("kuaifa.persistence.migrations.0016_due_hours")

SETTING = "kuaifa.counted_move"
_CHANGED = (
    f"(({', '.join(f'OLD.{c}' for c in counts.COUNTED)}) IS DISTINCT FROM "
    f"({', '.join(f'NEW.{c}' for c in counts.COUNTED)}))"
)
_TRIGGER = (
    "CREATE TRIGGER kuaifa_order_counts_update AFTER UPDATE ON kuaifa_order FOR EACH ROW WHEN ({when}) "
    "EXECUTE FUNCTION kuaifa_order_counts_update()"
)
_DROP = "DROP TRIGGER kuaifa_order_counts_update ON kuaifa_order"

POSTGRES = [
    _DROP,
    _TRIGGER.format(
        when=f"{_CHANGED} AND (OLD.status::text || '>' || NEW.status::text) IS DISTINCT FROM "
        f"current_setting('{SETTING}', true)"
    ),
]
POSTGRES_REVERSE = [_DROP, _TRIGGER.format(when=_CHANGED)]


class Migration(migrations.Migration):
    dependencies = [
        ("kuaifa", "0021_due_triggers_without_in_lists"),
    ]

    operations = [
        migrations.RunPython(
            due._run({"sqlite": [], "postgresql": POSTGRES}), due._run({"sqlite": [], "postgresql": POSTGRES_REVERSE})
        ),
    ]
