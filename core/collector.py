"""Python's cyclic garbage collector, told that a bulk write is running.

The collector walks the objects it tracks every few hundred allocations, and every object that survives
long enough again and again, all of Django and the application included. A bulk write allocates millions
of objects that live for a batch (rows, values, tuples), so with the default thresholds the collector
takes a sixth of an import's time while finding next to nothing: the write path makes no reference
cycles per row (a reader's caches are one cycle per file, collected afterwards). `fewer_collections()`
freezes what was alive before the write (it is never walked during it) and collects less often while the
write runs; everything is collected as usual afterwards.
"""

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between collections of the youngest generation, and collections of each generation between
# collections of the next, while a bulk write runs (Python's defaults are 700, 10 and 10).
BULK_THRESHOLDS = (50_000, 20, 100)

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect less often until the outermost block ends (a process-wide setting: nested or concurrent
    blocks share it, and the last one out restores the thresholds)."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*BULK_THRESHOLDS)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.set_threshold(*_saved)
                gc.unfreeze()
