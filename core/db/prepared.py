"""Reads whose only variable part is a list of ids: compiled by the ORM once, then run as that SQL.

A page's actor roles, tags and enclosing places, and an event's claims, are the same query every time but
for the ids, which the `in_ids` lookup writes into the SQL as numbers (core/lookups.py). Building and
compiling such a queryset, then walking Django's row iterator, costs about 0.2 ms: ten times what SQLite
takes to answer it for one event, and a list or detail request ran three or four of them. `IdsQuery`
compiles its queryset once per database alias (and thread: a compiler and its converters belong to the
thread's own connection), then puts each call's ids into that SQL and converts the values with the
converters Django would apply (dates and times on SQLite), so the rows are the ORM's.
The queries still go through the connection's cursor: query logging and counting see them as before.

`TextQuery` does the same for a query whose only variable is a text (a search's first reads).
"""

import threading
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.db import connections, router
from django.db.models import QuerySet

# The id the queryset is compiled with: where each call's ids go in its SQL (no real id is negative).
PLACEHOLDER_ID = -7_730_151_919_191


class _Compiled(NamedTuple):
    head: str
    tail: str
    params: tuple
    compiler: object
    converters: dict


def _converters(compiler) -> dict:
    """The converters Django applies to the compiled query's selected columns (dates and times on SQLite)."""
    return compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])


def _fetch(alias: str, sql: str, params, compiler, converters: dict) -> list[tuple]:
    """Run compiled SQL on the alias's connection (its cursor: logged and counted as the ORM's queries are)
    and give its rows as the ORM would, converted."""
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters:
        rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
    return rows


class IdsQuery:
    """`queryset_for(ids)` (a values_list() filtered by `field__in_ids=ids`, nothing else varying), compiled
    once per database and thread; `rows(ids)` gives what `list(queryset_for(ids))` gives, as tuples."""

    def __init__(self, queryset_for: Callable[[list[int]], QuerySet]):
        self.queryset_for = queryset_for
        self._template: QuerySet | None = None  # built on first use (the app registry is ready by then)
        self._compiled: dict[tuple[str, int], _Compiled] = {}

    def rows(self, ids: Iterable[int]) -> list[tuple]:
        ids = [int(pk) for pk in ids]
        if not ids:
            return []  # what the lookup's `1 = 0` would find
        if self._template is None:
            self._template = self.queryset_for([PLACEHOLDER_ID])
        alias = router.db_for_read(self._template.model)
        compiled = self._compiled.get((alias, threading.get_ident())) or self._compile(alias)
        sql = f"{compiled.head}{','.join(map(str, ids))}{compiled.tail}"
        return _fetch(alias, sql, compiled.params, compiled.compiler, compiled.converters)

    def _compile(self, alias: str) -> _Compiled:
        compiler = self._template.query.chain().get_compiler(using=alias)
        sql, params = compiler.as_sql()
        head, *rest = sql.split(f"IN ({PLACEHOLDER_ID})")
        if len(rest) != 1:
            raise ValueError(f"IdsQuery needs exactly one `__in_ids` condition, in: {sql}")
        compiled = _Compiled(f"{head}IN (", f"){rest[0]}", tuple(params), compiler, _converters(compiler))
        self._compiled[alias, threading.get_ident()] = compiled
        return compiled


# What a text query is compiled with, by whether the text is a short one (queries may take another form for
# texts under three characters: the trigram indexes need three): control characters, which no transform of
# the text below changes and no other value of a query holds.
_TEXT_PLACEHOLDERS = {False: "\x01\x02", True: "\x01\x02\x03"}


def _text_binders(params: tuple, placeholder: str, ops) -> list[Callable[[str], object]]:
    """For each parameter of a query compiled with `placeholder` for its text, how to bind it for another
    text: the text itself, as a quoted FTS phrase, as a LIKE pattern for `contains`, or a constant."""

    def binder(param) -> Callable[[str], object]:
        if param == placeholder:
            return lambda text: text
        if param == f'"{placeholder}"':
            return lambda text: '"' + text.replace('"', '""') + '"'
        if param == f"%{placeholder}%":
            return lambda text: f"%{ops.prep_for_like_query(text)}%"
        if isinstance(param, str) and placeholder in param:
            raise ValueError(f"TextQuery cannot rebind the parameter {param!r}")
        return lambda text: param

    return [binder(param) for param in params]


class TextQuery:
    """`queryset_for(text, vendor)` (a values_list() whose only variable is `text`, as itself, a quoted
    full-text phrase or a `contains` pattern), compiled once per database, thread and length class of the
    text; `rows(text, alias)` gives what `list(queryset_for(text, vendor).using(alias))` gives, as
    tuples. For the reads a text search makes first (which places and actors its words name): building and
    compiling those querysets cost more than running them."""

    def __init__(self, queryset_for: Callable[[str, str], QuerySet]):
        self.queryset_for = queryset_for
        self._compiled: dict[tuple[str, int, bool], tuple[str, list, object, dict]] = {}

    def rows(self, text: str, alias: str) -> list[tuple]:
        key = (alias, threading.get_ident(), len(text) >= 3)
        compiled = self._compiled.get(key) or self._compile(alias, key)
        sql, binders, compiler, converters = compiled
        return _fetch(alias, sql, [bind(text) for bind in binders], compiler, converters)

    def _compile(self, alias: str, key: tuple[str, int, bool]) -> tuple[str, list, object, dict]:
        placeholder = _TEXT_PLACEHOLDERS[key[2]]
        queryset = self.queryset_for(placeholder, connections[alias].vendor)
        compiler = queryset.query.chain().get_compiler(using=alias)
        sql, params = compiler.as_sql()
        binders = _text_binders(params, placeholder, connections[alias].ops)
        compiled = self._compiled[key] = (sql, binders, compiler, _converters(compiler))
        return compiled
