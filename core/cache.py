"""The shared cache's backends (throttle counts): the database's, with a short wait for SQLite's write lock for
bookkeeping writes, and Redis's, keeping its clients.

SQLite has one writer at a time, and an import holds the write lock for its whole transaction. A read that
also writes something on the side (a throttle count, a token's last use) would wait for it, five seconds by
default, and then fail. Such writes wait a quarter of a second instead and give up quietly: the read is
answered, and the count or the last use is recorded next time.
"""

import contextlib

from django.core.cache.backends import db, redis
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


class RedisCacheClient(redis.RedisCacheClient):
    """Django's, keeping one redis-py client per connection pool. Django makes a new one for every get and set
    (with it redis-py's table of some 340 response callbacks): 0.05 ms each, two per throttled request. A
    client holds no connection of its own (each command takes one from the pool), so one serves every
    thread, as the pool does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    """Django's Redis cache with the client above."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
