"""Deferred recomputation of derived state, shared by every app's write services.

Writes mark what they touched (each owner of derived state keeps its own marks); owners register a
`flush` here. Inside a `deferred()` block, nothing is recomputed until the outermost block ends — still
inside the caller's transaction — and then every owner flushes once. Outside any block, an owner flushes
at commit. Leaf apps (sources, actors, locations) open blocks without knowing which owners exist.
"""

import threading
from collections.abc import Callable
from contextlib import contextmanager

from django.db import transaction

_flushers: list[Callable[[], object]] = []
_local = threading.local()


def register_flusher(flush: Callable[[], object]) -> None:
    if flush not in _flushers:
        _flushers.append(flush)


def is_deferring() -> bool:
    return getattr(_local, "depth", 0) > 0


def flush_all() -> None:
    for flush in _flushers:
        flush()


@contextmanager
def deferred():
    """Collect marks until the outermost block ends, then let every owner recompute, once, in sets."""
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    except BaseException:
        _local.depth -= 1
        if not _local.depth:
            # The caller may catch the error and still commit what was written before it.
            transaction.on_commit(flush_all)
        raise
    _local.depth -= 1
    if not _local.depth:
        flush_all()
