"""The database cache (throttle counts), and a short wait for SQLite's write lock for bookkeeping writes.

SQLite has one writer at a time, and an import holds the write lock for its whole transaction. A read that
also writes something on the side (a throttle count, a token's last use) would wait for it, five seconds by
default, and then fail. Such writes wait a quarter of a second instead and give up quietly: the read is
answered, and the count or the last use is recorded next time.
"""

import contextlib

from django.core.cache.backends import db
from django.db import connections, router

SHORT_WAIT_MS = 250


@contextlib.contextmanager
def short_lock_wait(connection):
    """On SQLite, wait at most SHORT_WAIT_MS for the write lock inside this block (set before a transaction
    begins: with BEGIN IMMEDIATE the lock is taken at BEGIN). Elsewhere, nothing changes."""
    if connection.vendor != "sqlite":
        yield
        return
    # The connection's own wait: Django's `timeout` option (sqlite3.connect's, 5 s by default).
    previous = int(float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)) * 1000)
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {SHORT_WAIT_MS}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {previous}")


class DatabaseCache(db.DatabaseCache):
    """Django's database cache; its writes (which already give up quietly on a database error) wait only
    briefly for SQLite's write lock."""

    def _base_set(self, mode, key, value, timeout=db.DEFAULT_TIMEOUT):
        connection = connections[router.db_for_write(self.cache_model_class)]
        with short_lock_wait(connection):
            return super()._base_set(mode, key, value, timeout)
