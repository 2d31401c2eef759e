"""Bulk inserts for the hot path (orders, lines, events, reservations), as ``executemany`` of prepared tuples.

``bulk_create`` builds a model instance and compiles SQL per value; at 10⁵ orders that is most of the time spent.
Here each column's adapter is chosen once from the model's field (datetimes and JSON through the backend's own
adapters, so both SQLite and PostgreSQL get what Django would send) and rows go straight to the driver.
Only concrete columns named by the caller are written; database defaults do not exist in these models, so callers
pass every column. See docs/decisions/0002-bulk-insert.md.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db import connection, models


def _sqlite_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: Kuaifa stores aware UTC times only")
    return str(value.astimezone(UTC).replace(tzinfo=None))


def _sqlite_json(value: Any) -> str:
    return json.dumps(value)


@cache
def _plan(model: type[models.Model], columns: tuple[str, ...]) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    fields = [model._meta.get_field(name) for name in columns]
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)  # type: ignore[union-attr]
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"
    sqlite = connection.vendor == "sqlite"
    adapters: list[Callable[[Any], Any] | None] = []
    for field in fields:
        if isinstance(field, models.DateTimeField):
            # SQLite: what Django's adapter produces for an aware value (naive UTC text), without its checks
            adapters.append(_sqlite_datetime if sqlite else connection.ops.adapt_datetimefield_value)
        elif isinstance(field, models.JSONField):
            adapters.append(_sqlite_json if sqlite else lambda value, f=field: f.get_db_prep_save(value, connection))
        else:
            adapters.append(None)
    return sql, tuple(adapters)


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, field names as on the model) in one ``executemany``."""
    sql, adapters = _plan(model, tuple(columns))
    active = [(i, adapt) for i, adapt in enumerate(adapters) if adapt is not None]
    prepared = []
    for row in rows:
        if active:
            row = list(row)
            for i, adapt in active:
                if row[i] is not None:
                    row[i] = adapt(row[i])
        prepared.append(row)
    if prepared:
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)
    return len(prepared)
