"""Garbage collection tuned for a long-running process that allocates in bursts.

A batch of 1,000 events allocates tens of thousands of short-lived objects, nearly all freed by
reference counting the moment the batch is stored. With the default threshold (a young
collection every 700 allocations) the cycle collector ran dozens of times per batch, each time
also walking the objects built at start-up (modules, validation schemas, table metadata):
about a tenth of ingest's CPU in an in-process profile of `benchmarks/ingest.py`'s batches.
"""

from __future__ import annotations

import gc
import threading

YOUNG_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)
OLDER_THRESHOLD = 20  # young collections per middle one, and middle per full (default: 10)

_done = threading.Event()


def tune_for_service() -> None:
    """Freeze what exists now (start-up is over: none of it is garbage worth scanning again) and
    collect less often. Once per process; later calls do nothing."""
    if _done.is_set():
        return
    _done.set()
    freeze_before_fork()
    gc.set_threshold(YOUNG_THRESHOLD, OLDER_THRESHOLD, OLDER_THRESHOLD)


def freeze_before_fork() -> None:
    """Move what this process built so far out of the collector's sight (also the first half
    of `tune_for_service`). Before forking server processes: a collection in a child writes to
    the header of every object it scans, which would copy the page holding it; frozen, the
    parent's objects stay shared."""
    gc.collect()
    gc.freeze()
