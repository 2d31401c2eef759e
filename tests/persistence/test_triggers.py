"""SQLite's count triggers test statuses with ``=``, not ``IN (…)`` lists (migration 0021): a trigger program runs
once per row, and SQLite builds an ``IN`` list into a temporary index at every run, more work than the row's own
write. (That the counts stay right is tests/services/test_order_counts.py's.)"""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's trigger programs"),
]


def test_the_count_triggers_are_there_and_none_tests_a_list():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        found = dict(cursor.fetchall())
    due = {"kuaifa_order_counts_insert_due", "kuaifa_order_counts_update_due", "kuaifa_order_counts_delete"}
    assert due <= set(found)
    assert all("OLD.status = 'PACKED'" in found[name] or "NEW.status = 'PACKED'" in found[name] for name in due)
    assert [name for name, sql in found.items() if " IN (" in sql.upper()] == []
