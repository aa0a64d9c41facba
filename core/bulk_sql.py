"""Multi-row INSERTs and UPDATEs for the bulk write paths, without the ORM's per-value compilation.

Django's bulk_create compiles every value through the ORM (several microseconds a value), which is most of
the cost of an import of millions of rows; bulk_update builds one CASE per column. These take plain tuples
in column order, adapt only what the driver cannot take as it is (dates and times, as Django would), and
send one statement per batch: on SQLite a multi-row VALUES list as long as its parameter limit allows, on
PostgreSQL one typed array per column (`unnest`), which keeps the statement short (psycopg parses a
statement's placeholders in Python, and a VALUES list of 60,000 of them costs it seconds); on SQLite a value
every row of the batch shares is bound once (`INSERT … SELECT ?, column1 … FROM (VALUES …)`). History rows for
the same rows are copied from the rows just written by one `INSERT … SELECT` (`copy_to_history`), in the
shape django-simple-history's own `bulk_history_create` gives them, without a value passing through Python.
`select_rows` reads rows by a list of keys, its values converted as the ORM converts them.
"""

import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from itertools import chain

from django.db import connection, models
from django.utils import timezone


def _adapter(field: models.Field):
    """What Django does to a value of this field before the driver sees it, when the driver alone would
    store it differently: SQLite stores aware datetimes as naive UTC text. Dates need nothing: both drivers
    store them as Django does (ISO text on SQLite, a date on PostgreSQL)."""
    if isinstance(field, models.DateTimeField) and connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value
    return None


def _params(fields: list[models.Field], rows: Sequence[Sequence]) -> list:
    adapters = [(i, adapt) for i, adapt in enumerate(map(_adapter, fields)) if adapt is not None]
    if not adapters:
        return [value for row in rows for value in row]
    adapted: dict = {}  # a bulk write stamps one time on every row: adapt each value once
    params: list = []
    for row in rows:
        row = list(row)
        for i, adapt in adapters:
            value = row[i]
            if value is not None:
                found = adapted.get(value)
                if found is None:
                    found = adapted[value] = adapt(value)
                row[i] = found
        params += row
    return params


# SQLite's page cache during a bulk write, in KiB (its default is 2 MiB): an import touches every index of
# about fifteen tables per batch, and with the default cache their pages are evicted and read again.
BULK_CACHE_KIB = 256 * 1024


@contextmanager
def larger_cache():
    """A larger page cache on SQLite for the duration (it only grows as pages are read, and shrinks back
    afterwards); durability is untouched. Nothing on PostgreSQL, whose buffers the server owns."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        (before,) = cursor.execute("PRAGMA cache_size").fetchone()
        cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")
    finally:
        cursor.close()


@contextmanager
def _cursor():
    """The driver's own cursor, whose statements Django still logs (query budgets count them).

    On PostgreSQL one that binds parameters on the server (Django's quotes every value into the SQL text in
    Python); on SQLite the sqlite3 cursor, with `?` placeholders (Django's rewrites `%s` with a regular
    expression over the whole statement)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        import psycopg

        raw = psycopg.Cursor(connection.connection)
    else:
        raw = connection.connection.cursor()
    try:
        yield _Logged(raw) if connection.queries_logged else raw
    finally:
        raw.close()


PLACEHOLDER = "?" if connection.vendor == "sqlite" else "%s"


class _Logged:
    def __init__(self, cursor):
        self.cursor = cursor

    def execute(self, sql, params):
        started = time.monotonic()
        self.cursor.execute(sql, params)
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def executemany(self, sql, params):
        started = time.monotonic()
        self.cursor.executemany(sql, params)
        connection.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def fetchall(self):
        return self.cursor.fetchall()


def _columns(fields: list[models.Field], rows: Sequence[Sequence]) -> list[list]:
    """The rows' values column by column (PostgreSQL arrays), adapted as Django adapts them."""
    values = _params(fields, rows)
    width = len(fields)
    return [values[i::width] for i in range(width)]


def _arrays(fields: list[models.Field]) -> str:
    return ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence], *, returning: bool = True
) -> list[int]:
    """INSERT the rows (tuples in `columns` order, attnames); returns their new primary keys, in order
    (nothing when `returning` is False: rows whose history is copied by another key need no ids)."""
    if not rows:
        return []
    meta, quote = model._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in columns]
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    tail = f" RETURNING {quote(meta.pk.column)}" if returning else ""
    ids: list[int] = []
    with _cursor() as cursor:
        if connection.vendor == "postgresql":
            # unnest keeps the arrays' order, and an INSERT ... SELECT returns its rows in that order.
            cursor.execute(f"{head}SELECT * FROM unnest({_arrays(fields)}){tail}", _columns(fields, rows))
            return [row[0] for row in cursor.fetchall()] if returning else []
        # A value every row shares (a default, the time of the write) is bound once, not once per row: a
        # third of an event's columns, and binding is most of what a row costs SQLite besides its indexes.
        columns = _columns(fields, rows)
        shared = [len(rows) > 1 and _shared(column) for column in columns]
        if shared.count(True) in (0, len(columns)):
            shared = [False] * len(columns)
        varying = [column for column, same in zip(columns, shared, strict=True) if not same]
        constants = [column[0] for column, same in zip(columns, shared, strict=True) if same]
        names = iter(range(1, len(varying) + 1))
        picks = ", ".join(PLACEHOLDER if same else f"column{next(names)}" for same in shared)
        per_statement = max(1, (connection.features.max_query_params - len(constants)) // len(varying))
        one_row = "(" + ",".join([PLACEHOLDER] * len(varying)) + ")"
        for start in range(0, len(rows), per_statement):
            end = min(start + per_statement, len(rows))
            listed = f"VALUES {','.join([one_row] * (end - start))}"
            sql = f"{head}SELECT {picks} FROM ({listed}){tail}" if constants else f"{head}{listed}{tail}"
            chunk = chain.from_iterable(zip(*(column[start:end] for column in varying), strict=True))
            cursor.execute(sql, [*constants, *chunk])
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


def _shared(column: list) -> bool:
    """Every value the very same object (equal is not enough: 1, 1.0 and True are equal, 0.0 and -0.0 too,
    and are not stored alike); what rows share comes from one default or one stamp, so it is that object."""
    return len(set(map(id, column))) == 1


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """UPDATE rows by primary key: each tuple is the `columns` values followed by the key."""
    if not rows:
        return
    meta, quote = model._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in columns]
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    with _cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [quote(f"v{i}") for i in range(len(fields))]
            sets = ", ".join(f"{quote(f.column)} = v.{n}" for f, n in zip(fields, names, strict=True))
            cursor.execute(
                f"UPDATE {table} SET {sets} "
                f"FROM unnest({_arrays([*fields, meta.pk])}) AS v({', '.join(names)}, {quote('v_pk')}) "
                f"WHERE {table}.{pk} = v.{quote('v_pk')}",
                _columns([*fields, meta.pk], rows),
            )
            return
        sql = (
            f"UPDATE {table} SET {', '.join(f'{quote(f.column)} = {PLACEHOLDER}' for f in fields)} "
            f"WHERE {pk} = {PLACEHOLDER}"
        )
        values = _params([*fields, meta.pk], rows)
        width = len(fields) + 1
        cursor.executemany(sql, [values[i : i + width] for i in range(0, len(values), width)])


def insert_rows_with_history(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence], *, reason: str = ""
) -> list[int]:
    """INSERT the rows and a "+" history row each (copied from the rows written); returns the new ids."""
    ids = insert_rows(model, columns, rows)
    copy_to_history(model, ids, change="+", reason=reason)
    return ids


def copy_to_history(
    model: type[models.Model],
    keys: Iterable[int],
    *,
    change: str,
    reason: str = "",
    user_id: int | None = None,
    by: str | None = None,
) -> None:
    """One history row for each row whose primary key (or the integer column `by`, e.g. "event_id") is
    in `keys`, copied as stored by one `INSERT … SELECT`, in key order; change is "+", "~" or "-"."""
    keys = sorted({int(key) for key in keys})  # integers only: written into the statement as numbers
    if not keys:
        return
    meta, quote = model._meta, connection.ops.quote_name
    history = model.history.model
    tracked = history.tracked_fields
    names = [history._meta.get_field(f.name).column for f in tracked]
    names += ["history_date", "history_change_reason", "history_type", "history_user_id"]
    key = quote(meta.get_field(by).column if by else meta.pk.column)
    date = history._meta.get_field("history_date")
    now = timezone.now()
    adapt = _adapter(date)
    placeholders = ", ".join([PLACEHOLDER] * 4)
    # Keys just written are usually consecutive: a range is cheaper to find than a list of them.
    consecutive = keys[-1] - keys[0] + 1 == len(keys)
    where = f"BETWEEN {keys[0]} AND {keys[-1]}" if consecutive else f"IN ({','.join(map(str, keys))})"
    with _cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, names))}) "
            f"SELECT {', '.join(quote(f.column) for f in tracked)}, {placeholders} "
            f"FROM {quote(meta.db_table)} WHERE {key} {where} "
            f"ORDER BY {key}, {quote(meta.pk.column)}",
            [adapt(now) if adapt else now, reason, change, user_id],
        )


def select_rows(model: type[models.Model], columns: Sequence[str], key: str, values: Iterable) -> list[tuple]:
    """The rows whose column `key` (an attname) is one of `values`, as tuples of `columns` (attnames),
    each value converted as the ORM's `values_list` converts it; one statement (per parameter limit)."""
    values = list(dict.fromkeys(values))
    if not values:
        return []
    meta, quote = model._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in columns]
    head = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(meta.db_table)} "
        f"WHERE {quote(meta.get_field(key).column)}"
    )
    converters = _converters(meta.db_table, fields)
    rows: list = []
    with _cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{head} = ANY(%s)", [values])
            rows = cursor.fetchall()
        else:
            step = connection.features.max_query_params
            for start in range(0, len(values), step):
                chunk = values[start : start + step]
                cursor.execute(f"{head} IN ({','.join([PLACEHOLDER] * len(chunk))})", chunk)
                rows += cursor.fetchall()
    if not converters:
        return [tuple(row) for row in rows]
    converted = []
    for row in rows:
        row = list(row)
        for i, column, functions in converters:
            value = row[i]
            for convert in functions:
                value = convert(value, column, connection)
            row[i] = value
        converted.append(tuple(row))
    return converted


def _converters(table: str, fields: list[models.Field]) -> list:
    """The backend's and the fields' converters of each column that has any, as the ORM's compiler finds them."""
    found = []
    for i, field in enumerate(fields):
        column = field.get_col(table)
        functions = [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]
        if functions:
            found.append((i, column, functions))
    return found
