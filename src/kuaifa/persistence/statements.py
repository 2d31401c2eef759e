"""Named statements: SQL written once, adapted once per database, sent on the driver's own cursor.

On the one-order path (an order stored and reviewed in one transaction, a person holding or releasing one) every
statement touches a row or two. Building such a statement through the ORM costs more than running it, and even
Django's cursor wrapper (placeholder rewriting, logging hooks) costs several times what the driver does. A statement
here is a constant SQL text with ``%s`` placeholders and at most one list parameter, written ``IN %l``. Its text is
converted once per database and list length: SQLite gets ``?`` and one placeholder per item; PostgreSQL gets one
placeholder per item for short lists and ``= ANY(%s)`` for long ones, server-side parameters and a statement
prepared once per connection.

It runs on the driver cursor of Django's own connection, inside Django's transaction (``transaction.atomic``), and
keeps what callers rely on from Django's cursor: its exception classes (``django.db.IntegrityError`` when a CHECK
refuses an oversell), the refusal to run in a transaction that must roll back, and the query log
(``CaptureQueriesContext``, ``DEBUG``). ``connection.execute_wrapper`` hooks do not see these statements.

Values go in and come out as the ORM would write and read them (SQLite: aware datetimes as naive UTC text, JSON as
text, 0/1 as booleans); rows come back as NamedTuples.
"""

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, Error, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.transaction import Atomic

#: a value conversion, applied to non-NULL values only
Convert = Callable[[Any], Any]
#: a row: a NamedTuple class
R = TypeVar("R", bound=tuple[Any, ...])


class Kind(Enum):
    """How a column's values are stored, where that differs between Python and the database."""

    TIME = "time"  # aware datetime
    JSON = "json"
    BOOL = "bool"


class _Cursor(Protocol):  # what both drivers' cursors offer
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...
    def executemany(self, sql: str, params: Iterable[Sequence[Any]], /) -> Any: ...
    def fetchall(self) -> list[tuple[Any, ...]]: ...
    def fetchone(self) -> tuple[Any, ...] | None: ...


# -- values in and out ------------------------------------------------------------------------------------------


_TIME_TEXTS: dict[datetime, str] = {}  # the text of recent times: one transaction writes its clock several times
_TIME_TEXTS_KEPT = 4096
_TWO = [f"{n:02d}" for n in range(100)]


def sqlite_time(value: datetime) -> str:
    """What Django's SQLite adapter stores for an aware datetime: naive UTC text, ``str`` of the UTC time without
    its offset. Formatting a datetime costs more than the statement that carries it, so the text is built from
    the fields, and recent texts are kept (a transaction writes its clock into several rows)."""
    text = _TIME_TEXTS.get(value)
    if text is None:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Kuaifa stores aware UTC times only")
        utc = value if value.tzinfo is UTC else value.astimezone(UTC)
        year = utc.year
        text = (f"{year if year >= 1000 else f'{year:04d}'}-{_TWO[utc.month]}-{_TWO[utc.day]} "
                f"{_TWO[utc.hour]}:{_TWO[utc.minute]}:{_TWO[utc.second]}")  # fmt: skip
        if utc.microsecond:
            text = f"{text}.{utc.microsecond:06d}"
        if len(_TIME_TEXTS) >= _TIME_TEXTS_KEPT:
            _TIME_TEXTS.clear()
        _TIME_TEXTS[value] = text
    return text


def sqlite_time_in(value: str | datetime) -> datetime:
    """SQLite stores naive UTC; the driver may already have parsed it (declared type ``datetime``)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    return datetime.fromisoformat(value + "+00:00")  # cheaper than parsing, then replacing the zone


def json_in(value: Any) -> Any:
    """JSON columns arrive as text on both databases (Django's PostgreSQL connection loads jsonb as text)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


_EMPTY_JSON: dict[type, str] = {list: "[]", tuple: "[]", dict: "{}"}


_JSON_TEXTS: dict[tuple[Any, ...], str] = {}  # flat containers of strings: hold reasons, an event's source
_JSON_TEXTS_KEPT = 1024


def json_text(value: Any) -> str:
    """JSON text, as Django stores it (``json.dumps``). The empty list and object, and flat lists and objects of
    strings (hold reasons, an event's source), are kept once encoded. PostgreSQL takes the text for a jsonb column
    (the driver sends text of an unknown type, which the column types)."""
    if not value:
        text = _EMPTY_JSON.get(type(value))
        if text is not None:
            return text
        return json.dumps(value)
    kind = type(value)
    if kind is dict:
        key: tuple[Any, ...] = (dict, *value.items())
        flat = all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    elif kind is list or kind is tuple:
        key = (list, *value)
        flat = all(isinstance(v, str) for v in value)
    else:
        return json.dumps(value)
    if not flat:
        return json.dumps(value)
    text = _JSON_TEXTS.get(key)
    if text is None:
        if len(_JSON_TEXTS) >= _JSON_TEXTS_KEPT:
            _JSON_TEXTS.clear()
        text = _JSON_TEXTS[key] = json.dumps(value)
    return text


def bind_as_text(*types: type[str]) -> None:
    """SQLite: bind values of these str subclasses (StrEnums, Django's TextChoices) as their text through the
    driver's adapter registry, as Django registers its own adapters. The driver binds exact built-in types
    directly; for any other value it searches for an adapter, building and dropping an exception on the way,
    which costs more than binding. What is stored does not change."""
    for kind in types:
        sqlite3.register_adapter(kind, str)


sqlite3.register_adapter(bool, int)  # True and False are stored as 1 and 0 anyway; this only skips the search


def adapter(kind: Kind | None, vendor: str) -> Convert | None:
    """How a parameter of this kind is sent."""
    if kind is Kind.TIME:
        return sqlite_time if vendor == "sqlite" else None
    if kind is Kind.JSON:
        return json_text
    return None


def converter(kind: Kind | None, vendor: str) -> Convert | None:
    """How a column of this kind is read."""
    if kind is Kind.TIME:
        return sqlite_time_in if vendor == "sqlite" else None
    if kind is Kind.JSON:
        return json_in
    if kind is Kind.BOOL:
        return bool if vendor == "sqlite" else None
    return None


def kind_of(field: "models.Field[Any, Any]") -> Kind | None:
    if isinstance(field, models.DateTimeField):
        return Kind.TIME
    if isinstance(field, models.JSONField):
        return Kind.JSON
    if isinstance(field, models.BooleanField):
        return Kind.BOOL
    return None


# -- the driver ---------------------------------------------------------------------------------------------------


class Link:
    """Django's connection as the statements use it: the wrapper, the driver's cursor on its open connection, the
    database vendor, and whether statements go to the query log."""

    __slots__ = ("cursor", "db", "logged", "postgres", "vendor")

    def __init__(self, db: BaseDatabaseWrapper) -> None:
        self.db = db
        self.vendor = db.vendor
        self.postgres = self.vendor == "postgresql"
        self.cursor = _driver_cursor(db)
        self.logged = db.queries_logged

    def run(self, sql: str, params: Sequence[Any]) -> _Cursor:
        """Execute one statement (Django's errors and query log kept); returns the cursor."""
        db, cursor = self.db, self.cursor
        if db.needs_rollback:
            db.validate_no_broken_transaction()  # raises: an earlier statement failed inside this atomic block
        try:
            if self.postgres:
                cursor.execute(sql, params, prepare=True)  # type: ignore[call-arg]
            else:
                cursor.execute(sql, params)
        except Exception:
            with db.wrap_database_errors:  # the driver's error as Django's (IntegrityError, …)
                raise
        if self.logged:
            db.queries_log.append({"sql": f"{sql} -- {list(params)!r}", "time": "0.000"})
        return cursor

    def begin(self) -> None:
        """Start a transaction on the driver (see :class:`durable_atomic`)."""
        mode = getattr(self.db, "transaction_mode", None)
        sql = f"BEGIN {mode}" if mode else "BEGIN"
        with self.db.wrap_database_errors:
            self.cursor.execute(sql)
        if self.logged:
            self.db.queries_log.append({"sql": sql, "time": "0.000"})

    def end(self, sql: str) -> None:
        """``COMMIT`` or ``ROLLBACK`` on the driver."""
        with self.db.wrap_database_errors:
            self.cursor.execute(sql)
        if self.logged:
            self.db.queries_log.append({"sql": sql, "time": "0.000"})

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement for each row (one ``executemany``), as :meth:`run`."""
        db = self.db
        if db.needs_rollback:
            db.validate_no_broken_transaction()
        with db.wrap_database_errors:
            self.cursor.executemany(sql, rows)
        if self.logged:
            db.queries_log.append({"sql": f"{len(rows)} times: {sql}", "time": "0.000"})


_BOUND: ContextVar[Link | None] = ContextVar("kuaifa_statements_link", default=None)


def link() -> Link:
    """The link of the transaction bound by :class:`bound`, else a new one on Django's default connection."""
    bound_link = _BOUND.get()
    return bound_link if bound_link is not None else Link(connections[DEFAULT_DB_ALIAS])


def postgres() -> bool:
    """Whether Django's default connection is PostgreSQL (the bound link's, when there is one)."""
    bound_link = _BOUND.get()
    return bound_link.postgres if bound_link is not None else connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


class bound:
    """Bind Django's default connection for the statements of a block already in a transaction: ``with
    transaction.atomic(), bound():``. Looking the connection up (a context-local) costs more than a one-row
    statement; bound, it is looked up once. Whether statements are logged is decided when the block is entered."""

    __slots__ = ("_token",)

    def __enter__(self) -> Link:
        bound_link = Link(connections[DEFAULT_DB_ALIAS])
        self._token = _BOUND.set(bound_link)
        return bound_link

    def __exit__(self, *exc: object) -> None:
        _BOUND.reset(self._token)


class durable_atomic(Atomic):
    """``transaction.atomic(durable=True)`` for a one-order use case, its statements bound to it (see
    :class:`bound`): one transaction, committed when the block ends, rolled back if it raises.

    Django's atomic block is a general machine (savepoints, autocommit switches through the driver, debug hooks
    around BEGIN and COMMIT) whose cost is several times a one-row statement's. This one, for the outermost block,
    sends BEGIN and COMMIT (or ROLLBACK) on the driver's cursor and keeps Django's connection state as an atomic
    block does, so that what runs inside sees a transaction like Django's: ``transaction.atomic`` nests (joining,
    or with savepoints), ``transaction.on_commit`` callbacks run after the commit, a connection closed inside is
    dropped. SQLite: ``BEGIN`` with the configured mode (IMMEDIATE), as Django. PostgreSQL: the driver stays in
    autocommit mode and the block sends ``BEGIN`` itself, which is what Django's switch makes the driver do.

    Inside another atomic block (a test case's) it is that block's ``transaction.atomic(durable=True)``.
    """

    def __init__(self) -> None:
        super().__init__(DEFAULT_DB_ALIAS, savepoint=True, durable=True)
        self._lean = False

    def __enter__(self) -> Link:  # type: ignore[override]
        db = connections[DEFAULT_DB_ALIAS]
        if db.connection is None:
            db.ensure_connection()
        db.close_if_health_check_failed()
        self._lean = not (db.in_atomic_block or not db.autocommit)
        if not self._lean:
            super().__enter__()
            self._link = Link(db)
        else:
            self._link = Link(db)
            self._link.begin()
            db.commit_on_exit = True
            db.needs_rollback = False
            db.autocommit = False
            db.in_atomic_block = True
            db.atomic_blocks.append(self)
        self._token = _BOUND.set(self._link)
        return self._link

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        _BOUND.reset(self._token)
        if not self._lean:
            super().__exit__(exc_type, exc, tb)
            return
        link, db = self._link, self._link.db
        db.atomic_blocks.pop()
        db.in_atomic_block = False
        committed = False
        try:
            if db.closed_in_transaction:
                pass  # the database rolls back by itself
            elif exc_type is None and not db.needs_rollback:
                try:
                    link.end("COMMIT")
                except DatabaseError:
                    self._roll_back()
                    raise
                db.errors_occurred = False
                committed = True
            else:
                self._roll_back()
        finally:
            if db.closed_in_transaction:
                db.connection = None
            else:
                db.autocommit = True
            if committed and db.run_on_commit:
                db.run_and_clear_commit_hooks()

    def _roll_back(self) -> None:
        db = self._link.db
        try:
            self._link.end("ROLLBACK")
        except Error:
            db.close()  # something is wrong with the connection: drop it
        else:
            db.errors_occurred = False
        db.needs_rollback = False
        db.run_on_commit = []


def _driver_cursor(db: BaseDatabaseWrapper) -> _Cursor:
    """The driver's cursor on Django's open connection (one per connection, reused)."""
    raw = db.connection
    if raw is None:
        db.ensure_connection()
        raw = db.connection
    cached = db.__dict__.get("_kuaifa_driver_cursor")
    if cached is not None and cached[0] is raw:
        cursor: _Cursor = cached[1]
        return cursor
    if db.vendor == "postgresql":
        import psycopg

        cursor = psycopg.Cursor(raw)  # server-side parameters: the statement is parsed once, then prepared
    else:
        cursor = raw.cursor()
    db.__dict__["_kuaifa_driver_cursor"] = (raw, cursor)
    return cursor


# -- statements ---------------------------------------------------------------------------------------------------

_LIST = "IN %l"
#: PostgreSQL: a list of this many items or more goes as one array (``= ANY(%s)``); a shorter one as one placeholder
#: per item, since dumping a list into an array costs more in the driver than the statement costs to run
ARRAY_FROM = 16
_TEXTS_KEPT = 64  # SQLite: texts kept per statement, one per list length seen


class Statement:
    """A SQL text with ``%s`` placeholders and at most one list parameter (``IN %l``); ``params`` names the kind of
    each parameter that needs converting (a list parameter is passed as one sequence)."""

    __slots__ = ("_adapters", "_list_at", "_lock", "_plain", "_texts", "_vendor", "kinds", "text")

    def __init__(self, text: str, *, params: Sequence[Kind | None] = (), lock: str = "") -> None:
        self.text = text
        self.kinds = tuple(params)
        self._lock = lock  # "FOR UPDATE …" added where the database has row locks
        self._vendor = ""
        self._plain = ""  # the text when there is no list parameter
        self._texts: dict[int, str] = {}
        self._adapters: tuple[tuple[int, Convert], ...] = ()
        self._list_at = -1  # which parameter is the list, counted in the text

    def _prepare(self, link: Link) -> None:
        self._vendor, self._texts = link.vendor, {}
        adapters = ((i, adapter(kind, link.vendor)) for i, kind in enumerate(self.kinds))
        self._adapters = tuple((i, adapt) for i, adapt in adapters if adapt is not None)
        self._list_at = self.text.count("%s", 0, self.text.find(_LIST)) if _LIST in self.text else -1
        self._plain = "" if self._list_at >= 0 else self._text(link, 0)

    def _text(self, link: Link, length: int) -> str:
        """The text for this database and a list parameter of ``length`` items: one placeholder per item, or on
        PostgreSQL from :data:`ARRAY_FROM` items one array parameter (one text, and one prepared statement, for
        any length). An empty list matches nothing."""
        key = 0 if link.postgres and length >= ARRAY_FROM else length + 1
        text = self._texts.get(key)
        if text is None:
            text = self.text
            if link.db.features.has_select_for_update and self._lock:
                text = f"{text} {self._lock}"
            mark = "%s" if link.postgres else "?"
            if key == 0:
                text = text.replace(_LIST, "= ANY(%s)")
            else:
                text = text.replace(_LIST, f"IN ({', '.join([mark] * length) or 'NULL'})")
            if not link.postgres:
                text = text.replace("%s", "?")
            if len(self._texts) >= _TEXTS_KEPT:
                self._texts.clear()
            self._texts[key] = text
        return text

    def bind(self, link: Link, values: Sequence[Any]) -> tuple[str, Sequence[Any]]:
        """The text and the parameters as the driver takes them (the list parameter spread, or one array)."""
        if self._vendor != link.vendor:
            self._prepare(link)
        if self._adapters:
            values = list(values)
            for i, adapt in self._adapters:
                if values[i] is not None:
                    values[i] = adapt(values[i])
        at = self._list_at
        if at < 0:
            return self._plain, values
        items = list(values[at])
        if link.postgres and len(items) >= ARRAY_FROM:
            return self._text(link, len(items)), [*values[:at], items, *values[at + 1 :]]
        return self._text(link, len(items)), [*values[:at], *items, *values[at + 1 :]]

    def run(self, *values: Any) -> int:
        """Execute; returns the number of rows changed."""
        current = _BOUND.get() or link()
        sql, params = self.bind(current, values)
        return current.run(sql, params).rowcount

    def run_many(self, rows: Iterable[Sequence[Any]]) -> None:
        """Execute once per row of values (one ``executemany``); no list parameter here."""
        current = _BOUND.get() or link()
        prepared = [self.bind(current, row)[1] for row in rows]
        if prepared:
            current.run_many(self._plain, prepared)


class Select(Statement, Generic[R]):
    """A SELECT whose rows come back as ``row`` (a NamedTuple, one field per selected column, in order); ``columns``
    gives the kind of the columns that need converting."""

    __slots__ = ("_converters", "_fields", "_make", "columns", "row")

    def __init__(
        self,
        row: type[R],
        text: str,
        *,
        columns: Mapping[str, Kind] | None = None,
        params: Sequence[Kind | None] = (),
        lock: str = "",
    ) -> None:
        super().__init__(text, params=params, lock=lock)
        self.row = row
        self._fields: tuple[str, ...] = row._fields  # type: ignore[attr-defined]
        self._make: Callable[[Iterable[Any]], R] = row._make  # type: ignore[attr-defined]
        self.columns = dict(columns or {})
        self._converters: tuple[tuple[int, Convert], ...] = ()

    def _prepare(self, link: Link) -> None:
        super()._prepare(link)
        found = ((i, converter(self.columns.get(name), link.vendor)) for i, name in enumerate(self._fields))
        self._converters = tuple((i, convert) for i, convert in found if convert is not None)

    def all(self, *values: Any) -> list[R]:
        current = _BOUND.get() or link()
        sql, params = self.bind(current, values)
        rows = current.run(sql, params).fetchall()
        make = self._make
        if not self._converters:
            return [make(row) for row in rows]
        out = []
        for row in rows:
            items = list(row)
            for i, convert in self._converters:
                if items[i] is not None:
                    items[i] = convert(items[i])
            out.append(make(items))
        return out

    def first(self, *values: Any) -> R | None:
        rows = self.all(*values)
        return rows[0] if rows else None


def select_from(
    model: type[models.Model], row: type[R], where: str, *, order_by: str = "", lock: str = ""
) -> Select[R]:
    """A SELECT of ``row``'s fields (field names or attnames of ``model``) from ``model``'s table."""
    return _ModelSelect(model, row, where, order_by=order_by, lock=lock)


class _ModelSelect(Select[R]):
    """Text and column kinds taken from the model on first use (the app registry is ready by then)."""

    __slots__ = ("_model", "_order_by", "_where")

    def __init__(self, model: type[models.Model], row: type[R], where: str, *, order_by: str, lock: str) -> None:
        super().__init__(row, "", lock=lock)
        self._model, self._where, self._order_by = model, where, order_by

    def _prepare(self, link: Link) -> None:
        if not self.text:
            fields = [self._model._meta.get_field(name) for name in self._fields]
            quote = link.db.ops.quote_name
            names = ", ".join(quote(field.column) for field in fields if isinstance(field, models.Field))
            order = f" ORDER BY {self._order_by}" if self._order_by else ""
            self.text = f"SELECT {names} FROM {quote(self._model._meta.db_table)} WHERE {self._where}{order}"
            self.columns = {
                name: kind
                for name, field in zip(self._fields, fields, strict=True)
                if isinstance(field, models.Field) and (kind := kind_of(field)) is not None
            }
        super()._prepare(link)


class Insert:
    """An INSERT of ``columns`` (field names or attnames) into ``model``'s table, one row or several in one
    statement, returning the new ids in the order of the rows (both databases return them in VALUES order, which
    Django's ``bulk_create`` relies on too)."""

    __slots__ = ("_adapters", "_head", "_texts", "_vendor", "columns", "model")

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model, self.columns = model, tuple(columns)
        self._vendor, self._head = "", ""
        self._texts: dict[int, str] = {}
        self._adapters: tuple[tuple[int, Convert], ...] = ()

    def _prepare(self, link: Link) -> None:
        fields = [self.model._meta.get_field(name) for name in self.columns]
        quote = link.db.ops.quote_name
        names = ", ".join(quote(field.column) for field in fields if isinstance(field, models.Field))
        self._head = f"INSERT INTO {quote(self.model._meta.db_table)} ({names}) VALUES "
        kinds = (kind_of(field) if isinstance(field, models.Field) else None for field in fields)
        adapters = ((i, adapter(kind, link.vendor)) for i, kind in enumerate(kinds))
        self._adapters = tuple((i, adapt) for i, adapt in adapters if adapt is not None)
        self._vendor, self._texts = link.vendor, {}

    def _text(self, link: Link, count: int, returning: bool) -> str:
        key = count if returning else -count
        text = self._texts.get(key)
        if text is None:
            mark = "%s" if link.postgres else "?"
            one = f"({', '.join([mark] * len(self.columns))})"
            text = f"{self._head}{', '.join([one] * count)}"
            if returning:
                text += " RETURNING id"
            if len(self._texts) >= _TEXTS_KEPT:
                self._texts.clear()
            self._texts[key] = text
        return text

    def _params(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        params: list[Any] = []
        for row in rows:
            if self._adapters:
                row = list(row)
                for i, adapt in self._adapters:
                    if row[i] is not None:
                        row[i] = adapt(row[i])
            params.extend(row)
        return params

    def returning_ids(self, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Insert ``rows`` (values in ``columns`` order) in one statement; their new ids, in the same order."""
        if not rows:
            return []
        current = _BOUND.get() or link()
        if self._vendor != current.vendor:
            self._prepare(current)
        cursor = current.run(self._text(current, len(rows), True), self._params(rows))
        return [row[0] for row in cursor.fetchall()]

    def run(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows`` in one statement."""
        if rows:
            current = _BOUND.get() or link()
            if self._vendor != current.vendor:
                self._prepare(current)
            current.run(self._text(current, len(rows), False), self._params(rows))
