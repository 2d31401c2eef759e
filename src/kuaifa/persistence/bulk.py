"""Bulk inserts and prepared reads for the hot paths (orders, lines, events, reservations).

Inserts are ``executemany`` of prepared tuples. Reads (:func:`fetch`) are SQL built once per shape. Both are sent
on the driver's cursor of Django's connection (``persistence.statements``): on the one-order path, building a query
through the ORM, or passing it through Django's cursor wrapper, costs more than running it.

``bulk_create`` builds a model instance and compiles SQL per value; at 10⁵ orders that is most of the time spent.
Here each column's adapter is chosen once from the model's field (datetimes and JSON through the backend's own
adapters, so both SQLite and PostgreSQL get what Django would send) and rows go straight to the driver.
Only concrete columns named by the caller are written; database defaults do not exist in these models, so callers
pass every column. See docs/decisions/0002-bulk-insert.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache
from typing import Any

import orjson
from django.db import connection, models

from kuaifa.persistence.statements import ARRAY_FROM, json_text, link, postgres, sqlite_time, sqlite_time_in


def _fields(model: type[models.Model], columns: Sequence[str]) -> list[models.Field[Any, Any]]:
    """The concrete fields named, each with its column (a relation or generic key has none to write or read)."""
    fields = []
    for name in columns:
        field = model._meta.get_field(name)
        if not isinstance(field, models.Field) or field.column is None:
            raise ValueError(f"{model.__name__}.{name} is not a concrete column")
        fields.append(field)
    return fields


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None  # checked by _fields
    return field.column


def _json_prep(field: models.JSONField[Any, Any]) -> Callable[[Any], Any]:
    """PostgreSQL: a JSON value as the field itself prepares it for saving."""

    def prepare(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    return prepare


@cache
def _plan(model: type[models.Model], columns: tuple[str, ...]) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    fields = _fields(model, columns)
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(_column(f)) for f in fields)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"
    return _driver_sql(sql), _adapters(fields)


@cache
def _update_plan(
    model: type[models.Model], columns: tuple[str, ...], also: str
) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    fields = _fields(model, columns)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(_column(f))} = %s" for f in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments}{', ' + also if also else ''} WHERE id = %s"
    return _driver_sql(sql), (*_adapters(fields), None)


def _driver_sql(sql: str) -> str:
    """The text as the driver takes it: SQLite's driver wants ``?`` placeholders (no literal ``%`` in these)."""
    return sql.replace("%s", "?") if connection.vendor == "sqlite" else sql


def _adapters(fields: Sequence[models.Field[Any, Any]]) -> tuple[Callable[[Any], Any] | None, ...]:
    sqlite = connection.vendor == "sqlite"
    adapters: list[Callable[[Any], Any] | None] = []
    for field in fields:
        if isinstance(field, models.DateTimeField):
            # SQLite: what Django's adapter produces for an aware value (naive UTC text), without its checks
            adapters.append(sqlite_time if sqlite else connection.ops.adapt_datetimefield_value)
        elif isinstance(field, models.JSONField):
            adapters.append(json_text if sqlite else _json_prep(field))
        else:
            adapters.append(None)
    return tuple(adapters)


def _json_in(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


@lru_cache(maxsize=256)  # bounded: on SQLite each IN-list length is its own statement shape
def _select_plan(
    model: type[models.Model], columns: tuple[str, ...], where: str, suffix: str
) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    fields = _fields(model, columns)
    quote = connection.ops.quote_name
    names = ", ".join(quote(_column(f)) for f in fields)
    sql = _driver_sql(f"SELECT {names} FROM {quote(model._meta.db_table)} WHERE {where}{suffix}")
    sqlite = connection.vendor == "sqlite"
    converters: list[Callable[[Any], Any] | None] = []
    for field in fields:
        if isinstance(field, models.DateTimeField) and sqlite:
            converters.append(sqlite_time_in)
        elif isinstance(field, models.JSONField):
            converters.append(_json_in)
        elif isinstance(field, models.BooleanField):
            converters.append(bool)
        else:
            converters.append(None)
    return sql, tuple(converters)


def in_list(column: str, values: Iterable[Any]) -> tuple[str, list[Any]]:
    """``column IN (…)`` as SQL and parameters: a placeholder per value, or on PostgreSQL for a long list one array
    parameter (one statement shape for any length; see ``statements.ARRAY_FROM``)."""
    values = list(values)
    if postgres() and len(values) >= ARRAY_FROM:
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def fetch(
    model: type[models.Model],
    columns: Sequence[str],
    where: str,
    params: Sequence[Any],
    *,
    order_by: str = "",
    lock: bool = False,
) -> list[dict[str, Any]]:
    """Rows of ``model`` as dicts of ``columns`` (field names), values converted as the ORM would.

    ``where`` and ``order_by`` are SQL over column names, ``%s`` for placeholders. ``lock`` adds ``FOR UPDATE``
    where the database has it (SQLite's writers already hold the database lock, see services.locking).
    """
    current = link()
    suffix = f" ORDER BY {order_by}" if order_by else ""
    if lock and current.db.features.has_select_for_update:
        suffix += " FOR UPDATE"
    sql, converters = _select_plan(model, tuple(columns), where, suffix)
    active = [(i, name, convert) for i, (name, convert) in enumerate(zip(columns, converters, strict=True)) if convert]
    rows = [dict(zip(columns, row, strict=True)) for row in current.run(sql, params).fetchall()]
    for row in rows:
        for _, name, convert in active:
            if row[name] is not None:
                row[name] = convert(row[name])
    return rows


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]], *,
                also: str = "") -> int:  # fmt: skip
    """Update rows by id in one ``executemany``: each row is its ``columns`` values (field names) then the id.
    ``also`` is extra SQL for the SET list, the same for every row (``version = version + 1``)."""
    sql, adapters = _update_plan(model, tuple(columns), also)
    return _execute_many(sql, adapters, rows)


#: from this many rows, PostgreSQL gets COPY (one round trip, no per-row statement); below it executemany wins
COPY_FROM = 32


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, field names as on the model) in one ``executemany``, or on
    PostgreSQL one ``COPY … FROM STDIN`` when the batch is large enough to gain from it."""
    sql, adapters = _plan(model, tuple(columns))
    if not postgres():
        return _execute_many(sql, adapters, rows)
    rows = rows if isinstance(rows, list) else list(rows)
    if len(rows) < COPY_FROM:
        return _execute_many(sql, adapters, rows)
    return _copy(model, tuple(columns), rows)


@cache
def _copy_plan(
    model: type[models.Model], columns: tuple[str, ...]
) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    fields = _fields(model, columns)
    quote = connection.ops.quote_name
    names = ", ".join(quote(_column(f)) for f in fields)
    adapters = tuple(_json_text if isinstance(f, models.JSONField) else None for f in fields)
    return f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN", adapters


#: keys as json.dumps writes them; datetimes and dataclasses refused, as json.dumps refuses them
_ORJSON = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _json_text(value: Any) -> str:
    """JSON for a ``jsonb`` column in COPY: orjson (~0.25 µs for an event's details, ``json.dumps`` ~2.7 µs; 10,000
    per wave). PostgreSQL parses the text into jsonb, so spacing and escapes leave no trace; what orjson refuses
    (an integer past 64 bits, a datetime) goes through ``json.dumps`` as before, which keeps or refuses it."""
    try:
        return orjson.dumps(value, option=_ORJSON).decode()
    except TypeError:
        return json.dumps(value)


def _copy(model: type[models.Model], columns: tuple[str, ...], rows: list[Sequence[Any]]) -> int:
    sql, adapters = _copy_plan(model, columns)
    active = [(i, adapt) for i, adapt in enumerate(adapters) if adapt is not None]
    # psycopg 3; datetimes and text go through its own dumpers
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            if active:
                row = list(row)
                for i, adapt in active:
                    if row[i] is not None:
                        row[i] = adapt(row[i])
            copy.write_row(row)
    if connection.queries_logged:  # COPY bypasses Django's cursor wrapper; it still counts as one statement
        connection.queries_log.append({"sql": f"{sql} -- {len(rows)} rows", "time": "0.000"})
    return len(rows)


def _execute_many(sql: str, adapters: tuple[Callable[[Any], Any] | None, ...], rows: Iterable[Sequence[Any]]) -> int:
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
        link().run_many(sql, prepared)
    return len(prepared)
