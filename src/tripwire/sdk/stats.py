"""What happened to the events a client was given: counted, never raised."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stats:
    """A snapshot of a client's counters.

    `enqueued`: accepted into the queue. `sent`: acknowledged by the server (202), duplicates
    included. `duplicates`: the part of `sent` the server already had. `dropped`: never sent:
    refused by the SDK's own checks, the queue was full, refused by the server (422), or still
    queued when `close()` ran out of time. `failed`: given up after retries or refused for a
    reason retrying cannot fix (401, 403). `retried`: requests sent again after a 429, a 5xx or a
    network error. `queued`: waiting to be sent now.
    """

    enqueued: int = 0
    sent: int = 0
    duplicates: int = 0
    dropped: int = 0
    failed: int = 0
    retried: int = 0
    queued: int = 0


class Counters:
    """Thread-safe counters behind `Client.stats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(("sent", "duplicates", "dropped", "failed", "retried"), 0)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] += amount

    def snapshot(self, queued: int, enqueued: int) -> Stats:
        with self._lock:
            return Stats(queued=queued, enqueued=enqueued, **self._values)
