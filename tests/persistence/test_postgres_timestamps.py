"""PostgreSQL reads timestamps with psycopg's C loader, and the values are exactly what Django's own loader gave."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL connection's loaders"),
]

VALUES = [
    datetime(2026, 12, 1, 22, 30, 15, 123456, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),  # before the epoch
    datetime(2024, 2, 29, 16, 0, tzinfo=timezone(timedelta(hours=8))),  # written with another offset
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),
]


def read_back(cursor) -> list[datetime]:
    cursor.execute("SELECT unnest(%s::timestamptz[]) ORDER BY 1", [VALUES])
    return [row[0] for row in cursor.fetchall()]


def test_timestamps_come_from_psycopg_s_c_loader_with_the_same_values_as_django_s():
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg import postgres

    connection.ensure_connection()
    raw = connection.connection
    oid = postgres.types["timestamptz"].oid
    ours = raw.adapters.get_loader(oid, 0)
    with raw.cursor() as cursor:
        cursor.execute("SELECT now()")
        loader = cursor._tx.get_loader(oid, 0)  # what reads the values: psycopg's C class, not Django's subclass
    assert type(loader).__module__.startswith("psycopg_binary"), type(loader)

    with connection.cursor() as cursor:  # Django's cursor: it keeps the loader (its time zone agrees)
        fast = read_back(cursor)
    register_tzloader(connection.timezone, raw)  # Django's loader, as it registers it
    try:
        assert raw.adapters.get_loader(oid, 0).__module__.startswith("django")
        with connection.cursor() as cursor:
            django_s = read_back(cursor)
    finally:
        raw.adapters.register_loader("timestamptz", ours)
    assert fast == django_s == sorted(VALUES)
    assert [v.tzinfo for v in fast] == [v.tzinfo for v in django_s] == [UTC] * len(VALUES)
    assert [v.isoformat() for v in fast] == [v.isoformat() for v in django_s]
