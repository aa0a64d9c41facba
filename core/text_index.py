"""SQLite full-text tables kept in step with a table by triggers, and the name search they serve.

An FTS5 table with external content indexes some text columns of a table (rowid = the row's id) and holds
no copy of the text; triggers on the table keep it in step with every insert, update and delete, whoever
writes (the services, the bulk path, raw SQL). Django rebuilds an SQLite table to alter it, dropping its
triggers, so every `migrate` checks them (`SqliteTextIndex.ensure`, on post_migrate) and fills the index
anew if any was missing: rows written while one was absent are not in it.

Names (places, actors and their aliases) are searched as substrings, any case (`name__icontains`). On
SQLite that is a LIKE over every row: 3 ms for the 32,000 places of the benchmark's gazetteer, on every
text search. A trigram index (SQLite 3.34 and later) finds the same rows in 0.01 ms for a text of three
characters or more; shorter texts, and other databases, keep `icontains`.
"""

import sqlite3
from dataclasses import dataclass

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

# The trigram tokenizer came with SQLite 3.34.
TRIGRAM = sqlite3.sqlite_version_info >= (3, 34)


@dataclass(frozen=True)
class SqliteTextIndex:
    table: str  # the FTS5 table
    content: str  # the table it indexes, by id
    columns: tuple[str, ...]
    tokenize: str

    def triggers(self) -> dict[str, str]:
        """Each trigger's name and its CREATE statement."""
        t, columns = self.table, ", ".join(self.columns)
        new = ", ".join(f"new.{column}" for column in self.columns)
        old = ", ".join(f"old.{column}" for column in self.columns)
        insert = f"INSERT INTO {t}(rowid, {columns}) VALUES (new.id, {new});"
        delete = f"INSERT INTO {t}({t}, rowid, {columns}) VALUES ('delete', old.id, {old});"
        return {
            f"{t}_insert": f"CREATE TRIGGER IF NOT EXISTS {t}_insert AFTER INSERT ON {self.content} BEGIN {insert} END",
            f"{t}_delete": f"CREATE TRIGGER IF NOT EXISTS {t}_delete AFTER DELETE ON {self.content} BEGIN {delete} END",
            f"{t}_update": f"CREATE TRIGGER IF NOT EXISTS {t}_update AFTER UPDATE OF {columns} ON {self.content} "
            f"BEGIN {delete} {insert} END",
        }  # fmt: skip

    def ensure(self, cursor) -> None:
        """Create the index and its triggers if any is missing, and then fill the index anew."""
        names = [self.table, *self.triggers()]
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name IN "
            f"({', '.join(['%s'] * len(names))})",
            names,
        )
        if len(cursor.fetchall()) == len(names):
            return
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.table} USING fts5({', '.join(self.columns)}, "
            f"content='{self.content}', content_rowid='id', tokenize='{self.tokenize}')"
        )
        for sql in self.triggers().values():
            cursor.execute(sql)
        cursor.execute(f"INSERT INTO {self.table}({self.table}) VALUES ('rebuild')")

    def drop(self, cursor) -> None:
        for trigger in self.triggers():
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        cursor.execute(f"DROP TABLE IF EXISTS {self.table}")


# The names searched as substrings, by the table that holds them (their column is `name`).
NAME_TABLES = ("locations_location", "locations_locationalias", "actors_actor", "actors_actoralias")
NAME_INDEXES = {
    table: SqliteTextIndex(f"{table}_names", table, ("name",), "trigram") for table in NAME_TABLES
}


def ensure_name_indexes(sender, using, **kwargs) -> None:
    """post_migrate, for the locations and actors apps: the trigram indexes of their name tables, on
    SQLite (apps without models get no post_migrate, so the apps that hold the tables connect this)."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not TRIGRAM:
        return
    present = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in sender.get_models():
            index = NAME_INDEXES.get(model._meta.db_table)
            if index is not None and index.content in present:
                index.ensure(cursor)


def name_contains(model, text: str, vendor: str) -> Q:
    """The rows of `model` whose name contains `text` in any case, as `name__icontains` finds them; on SQLite
    through the names' trigram index when `text` has three characters or more. (The index folds the case
    of any letter, as PostgreSQL's icontains does; SQLite's LIKE folds ASCII letters only.)"""
    index = NAME_INDEXES.get(model._meta.db_table)
    if index is None or vendor != "sqlite" or not TRIGRAM or len(text) < 3:
        return Q(name__icontains=text)
    phrase = '"' + text.replace('"', '""') + '"'  # a quoted phrase: every character literal
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {index.table} WHERE {index.table} MATCH %s", (phrase,)))
