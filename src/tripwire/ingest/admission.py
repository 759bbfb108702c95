"""Admission control: refuse work early (429) instead of queueing without bound."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Saturated(Exception):
    """Too much work in flight; the caller should retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"saturated; retry after {retry_after} s")
        self.retry_after = retry_after


class Admission:
    """At most `limit` units of work at once; the next one is refused, not queued."""

    def __init__(self, limit: int, retry_after: int = 1) -> None:
        self.limit = limit
        self.retry_after = retry_after
        self._inflight = 0
        self._lock = threading.Lock()

    @property
    def inflight(self) -> int:
        return self._inflight

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._inflight >= self.limit:
                raise Saturated(self.retry_after)
            self._inflight += 1
        try:
            yield
        finally:
            with self._lock:
                self._inflight -= 1
