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

Inside `write_behind()` (SQLite), the writes are run by a thread of their own, in order, on the same
connection, while the caller goes on preparing its next batch: SQLite hands Python's lock back while it
runs a statement, so the two halves of a bulk write share the machine's cores. New rows then get their
keys from this module (the next free ones: the caller holds the database's only write lock), not from
RETURNING. Anything that reads, and every statement the ORM runs, first waits for the writes queued
before it, and a failed write is raised in the caller at its next statement or at the end of the block.
"""

import queue
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from itertools import chain

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
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


class _WriteBehind:
    """A thread running a connection's queued writes in order (see the module docstring)."""

    def __init__(self, wrapper):
        self.wrapper = wrapper  # the caller's DatabaseWrapper: `connection` is another one in the thread
        self.queue: queue.Queue = queue.Queue()
        self.error: BaseException | None = None
        self.cancelled = False
        self.next_keys: dict[str, int] = {}  # table → its next free primary key
        self.held: list | None = None  # writes held back by `held_writes()`
        self.reading_ahead = False
        self.thread = threading.Thread(target=self._run, name="bulk-write-behind", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        raw = self.wrapper.connection.cursor()
        try:
            while (item := self.queue.get()) is not None:
                try:
                    if self.error is None and not self.cancelled:
                        sql, params, many = item
                        cursor = _Logged(raw, self.wrapper) if self.wrapper.queries_logged else raw
                        with self.wrapper.wrap_database_errors:  # Django's exceptions, as the ORM raises
                            (cursor.executemany if many else cursor.execute)(sql, params)
                except BaseException as exc:  # raised in the caller (`raise_error`)
                    self.error = exc
                finally:
                    self.queue.task_done()
            self.queue.task_done()
        finally:
            raw.close()

    def submit(self, sql: str, params, many: bool = False) -> None:
        self.raise_error()
        if self.held is not None:
            self.held.append((sql, params, many))
        else:
            self.queue.put((sql, params, many))

    def release(self) -> None:
        """Queue the writes held back so far."""
        if self.held:
            for item in self.held:
                self.queue.put(item)
            self.held.clear()

    def drain(self) -> None:
        """Wait until every write submitted so far has run (but those held back, in `read_ahead()`);
        raise the first that failed."""
        if not self.reading_ahead:
            self.release()
        self.queue.join()
        self.raise_error()

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error

    def before_query(self, execute, sql, params, many, context):
        """Django's execute wrapper: an ORM statement runs after the writes queued before it. One that
        inserts may take keys this module would give: they are looked up again."""
        self.drain()
        if sql.lstrip()[:6].upper() == "INSERT":
            self.next_keys.clear()
        return execute(sql, params, many, context)

    def keys(self, model: type[models.Model], count: int) -> list[int]:
        """`count` new primary keys for the model's table, as its AUTOINCREMENT would give them."""
        table = model._meta.db_table
        start = self.next_keys.get(table)
        if start is None:
            self.drain()
            quote = connection.ops.quote_name
            raw = self.wrapper.connection.cursor()
            try:
                (top,) = raw.execute(
                    f"SELECT max({quote(model._meta.pk.column)}) FROM {quote(table)}"
                ).fetchone()
                used = raw.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [table]).fetchone()
            finally:
                raw.close()
            start = max(top or 0, used[0] if used else 0) + 1
        self.next_keys[table] = start + count
        return list(range(start, start + count))

    def stop(self) -> None:
        """End the thread; writes still queued after a failure are dropped (the transaction rolls back)."""
        self.cancelled = True
        self.queue.put(None)
        self.thread.join()


def _behind() -> _WriteBehind | None:
    return getattr(connection, "bulk_write_behind", None)


# While a write runs behind, how long (in seconds) Python's lock stays with one thread when the other asks
# for it (Python's default is 5 ms). The writing thread asks twice per statement, to bind its values and to
# return from SQLite; at 5 ms an import of 100,000 rows lost about 6 s waiting (bench/RESULTS.md).
SWITCH_INTERVAL = 0.0001
_switching = {"writers": 0, "interval": 0.005}
_switching_lock = threading.Lock()


@contextmanager
def _quick_switching():
    with _switching_lock:
        if _switching["writers"] == 0:
            _switching["interval"] = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
        _switching["writers"] += 1
    try:
        yield
    finally:
        with _switching_lock:
            _switching["writers"] -= 1
            if _switching["writers"] == 0:
                sys.setswitchinterval(_switching["interval"])


@contextmanager
def write_behind():
    """Run this block's bulk writes in a thread of their own (SQLite; nothing on PostgreSQL, whose server
    already works apart from Python). Must sit inside the caller's transaction: its end waits for every
    write, and raises the first that failed, before the transaction can commit."""
    if connection.vendor != "sqlite" or _behind() is not None:
        yield
        return
    connection.ensure_connection()
    wrapper = connections[DEFAULT_DB_ALIAS]
    behind = wrapper.bulk_write_behind = _WriteBehind(wrapper)
    try:
        with _quick_switching(), wrapper.execute_wrapper(behind.before_query):
            yield
            behind.drain()
    finally:
        del wrapper.bulk_write_behind
        behind.stop()


def writing_behind() -> bool:
    return _behind() is not None


@contextmanager
def held_writes():
    """Hold this block's writes back until it ends, so that `read_ahead()` can read before them (inside
    `write_behind()`; nothing otherwise). Any other read, and any ORM statement, still runs after them."""
    behind = _behind()
    if behind is None or behind.held is not None:
        yield
        return
    behind.held = []
    try:
        yield
    finally:
        behind.release()
        behind.held = None


@contextmanager
def read_ahead():
    """Reads that run before the writes `held_writes()` holds: the caller knows they cannot see them."""
    behind = _behind()
    if behind is None:
        yield
        return
    behind.reading_ahead = True
    try:
        yield
    finally:
        behind.reading_ahead = False


def _execute(sql: str, params, *, many: bool = False) -> None:
    """Run a write now, or queue it inside `write_behind()`."""
    behind = _behind()
    if behind is not None:
        behind.submit(sql, params, many)
        return
    with _cursor() as cursor:
        (cursor.executemany if many else cursor.execute)(sql, params)


@contextmanager
def _cursor():
    """The driver's own cursor, whose statements Django still logs (query budgets count them).

    On PostgreSQL one that binds parameters on the server (Django's quotes every value into the SQL text in
    Python); on SQLite the sqlite3 cursor, with `?` placeholders (Django's rewrites `%s` with a regular
    expression over the whole statement). Inside `write_behind()`, after the writes queued so far."""
    behind = _behind()
    if behind is not None:
        behind.drain()
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        import psycopg

        raw = psycopg.Cursor(connection.connection)
    else:
        raw = connection.connection.cursor()
    try:
        with connection.wrap_database_errors:  # Django's exceptions (IntegrityError…), as the ORM raises
            yield _Logged(raw) if connection.queries_logged else raw
    finally:
        raw.close()


PLACEHOLDER = "?" if connection.vendor == "sqlite" else "%s"


class _Logged:
    """A driver cursor whose statements go into a connection's query log (`wrapper`: the writing thread's
    statements belong to the caller's connection, not to its own)."""

    def __init__(self, cursor, wrapper=connection):
        self.cursor, self.wrapper = cursor, wrapper

    def execute(self, sql, params):
        started = time.monotonic()
        self.cursor.execute(sql, params)
        self.wrapper.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

    def executemany(self, sql, params):
        started = time.monotonic()
        self.cursor.executemany(sql, params)
        self.wrapper.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})

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
    behind = _behind()
    if behind is not None and returning:
        # Written behind: the keys are given here, in order, and written with the rows.
        ids = behind.keys(model, len(rows))
        fields, rows, returning = (
            [meta.pk, *fields],
            [(pk, *row) for pk, row in zip(ids, rows, strict=True)],
            False,
        )
    else:
        ids = []
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
    tail = f" RETURNING {quote(meta.pk.column)}" if returning else ""
    if connection.vendor == "postgresql":
        with _cursor() as cursor:
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
        params = [
            *constants,
            *chain.from_iterable(zip(*(column[start:end] for column in varying), strict=True)),
        ]
        if returning:
            with _cursor() as cursor:
                cursor.execute(sql, params)
                ids.extend(row[0] for row in cursor.fetchall())
        else:
            _execute(sql, params)
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
    if connection.vendor == "postgresql":
        names = [quote(f"v{i}") for i in range(len(fields))]
        sets = ", ".join(f"{quote(f.column)} = v.{n}" for f, n in zip(fields, names, strict=True))
        _execute(
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
    _execute(sql, [values[i : i + width] for i in range(0, len(values), width)], many=True)


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
    _execute(
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
