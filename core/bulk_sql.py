"""Multi-row INSERTs and UPDATEs for the bulk write paths, without the ORM's per-value compilation.

Django's bulk_create compiles every value through the ORM (several microseconds a value), which is most of
the cost of an import of millions of rows; bulk_update builds one CASE per column. These take plain tuples
in column order, adapt only what the driver cannot take as it is (dates and times, as Django would), and
send one statement per batch: on SQLite a multi-row VALUES list as long as its parameter limit allows, on
PostgreSQL one typed array per column (`unnest`), which keeps the statement short (psycopg parses a
statement's placeholders in Python, and a VALUES list of 60,000 of them costs it seconds). History rows for
the same rows are written in the shape django-simple-history's own `bulk_history_create` gives them.
"""

import time
from collections.abc import Sequence
from contextlib import contextmanager

from django.db import connection, models
from django.utils import timezone


def _adapter(field: models.Field):
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return None


def _params(fields: list[models.Field], rows: Sequence[Sequence]) -> list:
    adapters = [_adapter(f) for f in fields]
    if not any(adapters):
        return [value for row in rows for value in row]
    adapted: dict = {}  # a bulk write stamps one time on every row: adapt each value once
    params = []
    for row in rows:
        for value, adapt in zip(row, adapters, strict=True):
            if adapt is None or value is None:
                params.append(value)
            else:
                found = adapted.get(value)
                if found is None:
                    found = adapted[value] = adapt(value)
                params.append(found)
    return params


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


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence]) -> list[int]:
    """INSERT the rows (tuples in `columns` order, attnames); returns their new primary keys, in order."""
    if not rows:
        return []
    meta, quote = model._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in columns]
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    tail = f" RETURNING {quote(meta.pk.column)}"
    ids: list[int] = []
    with _cursor() as cursor:
        if connection.vendor == "postgresql":
            # unnest keeps the arrays' order, and an INSERT ... SELECT returns its rows in that order.
            cursor.execute(f"{head}SELECT * FROM unnest({_arrays(fields)}){tail}", _columns(fields, rows))
            return [row[0] for row in cursor.fetchall()]
        per_statement = max(1, connection.features.max_query_params // len(fields))
        one_row = "(" + ",".join([PLACEHOLDER] * len(fields)) + ")"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(f"{head}VALUES {','.join([one_row] * len(chunk))}{tail}", _params(fields, chunk))
            ids.extend(row[0] for row in cursor.fetchall())
    return ids


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


def history_rows(
    model: type[models.Model], records: Sequence, *, change: str, reason: str = "", user_id: int | None = None
) -> None:
    """One history row each, in bulk: `records` are mappings of attname to value (an instance's __dict__
    will do); change is "+" (created), "~" (changed) or "-" (deleted)."""
    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    now = timezone.now()
    columns = [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"]
    insert_rows(
        history,
        columns,
        [(*(record[name] for name in tracked), now, reason, change, user_id) for record in records],
    )


def insert_rows_with_history(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence], *, reason: str = ""
) -> list[int]:
    """INSERT the rows and a "+" history row each, straight from the tuples; returns the new ids."""
    ids = insert_rows(model, columns, rows)
    history = model.history.model
    tracked = [f.attname for f in history.tracked_fields]
    position = {name: i for i, name in enumerate(columns)}
    pk_name = model._meta.pk.attname
    missing = [name for name in tracked if name != pk_name and name not in position]
    if missing:
        raise ValueError(f"history of {model.__name__} needs the columns {missing}")
    picks = [position.get(name) for name in tracked]
    now = timezone.now()
    insert_rows(
        history,
        [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"],
        [
            (*(pk if i is None else row[i] for i in picks), now, reason, "+", None)
            for row, pk in zip(rows, ids, strict=True)
        ],
    )
    return ids
