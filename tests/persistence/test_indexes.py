"""No index is one that another index already leads with: every write would pay for both (migration 0020)."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

#: the join tables Django creates for many-to-many fields: it indexes each side itself, beside the unique pair
DJANGO_JOIN_TABLES = {"kuaifa_complaintticket_cases", "kuaifa_membership_shops", "kuaifa_membership_warehouses"}


def indexes() -> list[tuple[str, str, tuple[str, ...], bool, bool]]:
    """(table, index, its columns with their operator classes, unique, partial) for every index of Kuaifa's tables."""
    found = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("""
                SELECT t.relname, i.relname, x.indisunique, x.indpred IS NOT NULL,
                       ARRAY(SELECT a.attname || ' ' || o.opcname
                             FROM unnest(x.indkey, x.indclass) WITH ORDINALITY AS k(attnum, opclass, n)
                             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                             JOIN pg_opclass o ON o.oid = k.opclass ORDER BY k.n)
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                WHERE t.relname LIKE 'kuaifa\\_%%'
            """)
            found = [(table, name, tuple(columns), unique, partial) for table, name, unique, partial, columns in cursor]
        else:
            for table in connection.introspection.table_names(cursor):
                if not table.startswith("kuaifa_"):
                    continue
                for _, name, unique, _, partial in cursor.execute(f'PRAGMA index_list("{table}")').fetchall():
                    columns = tuple(row[2] for row in cursor.execute(f'PRAGMA index_info("{name}")').fetchall())
                    found.append((table, name, columns, bool(unique), bool(partial)))
    return found


def redundant() -> list[str]:
    every = indexes()
    # the unique constraints' indexes are seen too: (wave, order) and (wave, slot) on the wave members
    assert (
        sum(table == "kuaifa_waveorder" and unique and len(columns) == 2 for table, _, columns, unique, _ in every) == 2
    )
    return sorted(
        f"{table}.{name} {columns} is the start of {other}"
        for table, name, columns, unique, partial in every
        if not unique and not partial and table not in DJANGO_JOIN_TABLES
        for other_table, other, other_columns, _, other_partial in every
        if other_table == table and other != name and not other_partial and other_columns[: len(columns)] == columns
    )


def test_no_index_is_the_leading_part_of_another():
    assert redundant() == []


def test_an_index_that_another_leads_with_is_found():
    with connection.cursor() as cursor:
        cursor.execute('CREATE INDEX extra_wave_index ON kuaifa_waveorder ("wave_id")')
    assert [line.split(" ")[0] for line in redundant()] == ["kuaifa_waveorder.extra_wave_index"] * 2
