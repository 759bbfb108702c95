"""Admission control: refuse work early (429) instead of queueing without bound."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Saturated(Exception):
    """Too much work in flight; the caller should retry after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"saturated; retry after {retry_after} s")
        self.retry_after = retry_after


class Admission:
    """At most `limit` units of work at once; the next one is refused, not queued."""

    def __init__(
        self, limit: int, retry_after: int = 1, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.retry_after = retry_after
        self._inflight = 0
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._last_release = float("-inf")

    @property
    def inflight(self) -> int:
        return self._inflight

    def idle_for(self) -> float:
        """Seconds since the last unit of work ended; 0 while any is in flight."""
        if self._inflight:
            return 0.0
        return max(0.0, self._monotonic() - self._last_release)

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
                self._last_release = self._monotonic()
