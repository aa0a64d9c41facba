"""Full-text search over events' summary and notes, kept in step by the database itself.

SQLite: an FTS5 table over `events_event` (external content, unicode61 tokenizer without diacritics), which
triggers on `events_event` keep in step with every insert, update and delete, whoever writes (the services,
the bulk path, raw SQL). Django rebuilds a SQLite table to alter it, dropping its triggers, so every
`migrate` checks them (`ensure_text_index`, on post_migrate) and rebuilds the index if any was missing.

PostgreSQL: a GIN index over `to_tsvector('simple', summary || ' ' || notes)`, which PostgreSQL maintains.

A query matches the events whose text has every word given, each as a word or the start of one ("panj"
finds "Panjshir"), in any case.
"""

import re

from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from core.text_index import SqliteTextIndex

TEXT_INDEX = SqliteTextIndex(
    "events_event_fts", "events_event", ("summary", "notes"), "unicode61 remove_diacritics 2"
)
TABLE = TEXT_INDEX.table


def document(table: str = "") -> str:
    """The indexed text of an event, with its columns qualified by `table` when given (the same expression
    for PostgreSQL, so its index serves either)."""
    prefix = f'"{table}".' if table else ""
    return f"to_tsvector('simple'::regconfig, {prefix}\"summary\" || ' ' || {prefix}\"notes\")"


DOCUMENT = document()
PG_INDEX = "event_text_search"

SQLITE_TRIGGERS = TEXT_INDEX.triggers()


def words(text: str) -> list[str]:
    """The words of a query, lower-cased: letters and digits only, so nothing in them is query syntax."""
    return re.findall(r"\w+", text.casefold())


def matching(text: str, vendor: str) -> Q | None:
    """The events whose summary or notes have every word of `text` (as a word or its start), as a condition
    on the events table; None when the database has no text index or `text` has no words.

    SQLite: their ids from the FTS5 table. PostgreSQL: the indexed expression itself, tested on the events
    read (as `id IN (…)` it read each match twice, by the text index and again by id: 12 against 5 ms for
    1,836 matches at a million events)."""
    terms = words(text)
    if not terms:
        return None
    if vendor == "sqlite":
        query = " ".join(f'"{term}"*' for term in terms)
        return Q(pk__in=RawSQL(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH %s", (query,)))
    if vendor == "postgresql":
        query = " & ".join(f"{term}:*" for term in terms)
        condition = f"{document('events_event')} @@ to_tsquery('simple', %s)"
        return Q(RawSQL(condition, (query,), output_field=BooleanField()))
    return None


def ensure_text_index(connection) -> None:
    """Create the text index if it is missing (and on SQLite its triggers, filling the index anew when any
    was missing: rows written while they were absent are not in it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            TEXT_INDEX.ensure(cursor)
        elif connection.vendor == "postgresql":
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON events_event USING GIN ({DOCUMENT})")
