"""Reads from a PostgreSQL replica (DATABASE_REPLICA_URL): how a deployment outgrows one database server.

An API request with a safe method (GET, HEAD, OPTIONS under /api/) reads the data from the replica;
everything else goes to the primary: every write whatever the request, the admin (curators read their own
writes), management commands and the shell, and the bookkeeping every request does (API tokens, sessions,
users, the cache table), which must not lag. A replica lags its primary by its replication delay: a GET
right after a write may not see it yet (the write's own answer does, read from the primary).
"""

import contextvars

from django.db import transaction

REPLICA = "replica"
# Read from the primary always: who is asking and how often, which must be current.
PRIMARY_ONLY = {"access", "auth", "sessions", "contenttypes", "admin", "django_cache"}
_safe_request = contextvars.ContextVar("safe_request", default=False)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in PRIMARY_ONLY or not _safe_request.get():
            return "default"
        # Inside a transaction on the primary (a read that must be consistent with a write), stay there.
        return "default" if transaction.get_connection("default").in_atomic_block else REPLICA

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaReadsMiddleware:
    """Marks an API request with a safe method, for ReplicaRouter (a context variable: per request)."""

    SAFE = {"GET", "HEAD", "OPTIONS"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _safe_request.set(request.method in self.SAFE and request.path.startswith("/api/"))
        try:
            return self.get_response(request)
        finally:
            _safe_request.reset(token)
