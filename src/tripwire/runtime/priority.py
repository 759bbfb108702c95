"""Ingest before the pipeline, in a process that runs both (`tripwire serve` with its workers).

A client waits on every ingest request; the pipeline only has a backlog. On a small machine
the two compete for the cores, for Python's interpreter lock and, on SQLite, for the one write
lock, so a pipeline step started in the middle of a burst makes every batch behind it wait.
`IngestFirst` is the pipeline's pause before each partition step: it waits for a quiet moment
(no batch in flight and none finished within `quiet`), but never longer than `ratio` times the
previous step took (and never more than `max_wait`). Under a sustained burst the pipeline so
keeps at least 1 / (1 + ratio) of the time, whatever its steps' sizes (a round over many small
partitions is not slowed to one step per `max_wait`), and catches up when the burst ends.
Nothing is lost either way: a batch is committed before it is answered, and the pipeline reads
it from the database whenever it gets to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

QUIET = 0.02  # seconds without ingest that count as a gap between batches
RATIO = 4.0  # waits per step time: the pipeline keeps at least a fifth of a busy process
MAX_WAIT = 1.0  # the longest a pipeline step waits for a gap
POLL = 0.005  # how often the wait looks again
_MIN_SLEEP = 0.001  # no sleeps so short that the clock cannot tell they happened


class IngestActivity(Protocol):
    """What the pause needs to know of ingest (`tripwire.ingest.admission.Admission`)."""

    def idle_for(self) -> float:
        """Seconds since the last request ended; 0 while any is in flight."""


class IngestFirst:
    """Call before a pipeline step: returns once ingest is quiet, or when the wait's budget
    (`ratio` times the previous step, at most `max_wait`) is spent."""

    def __init__(
        self,
        ingest: IngestActivity,
        quiet: float = QUIET,
        max_wait: float = MAX_WAIT,
        ratio: float = RATIO,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if quiet < 0 or max_wait < 0 or ratio < 0:
            raise ValueError("quiet, max_wait and ratio must be 0 or more (seconds, a factor)")
        self.ingest = ingest
        self.quiet = quiet
        self.max_wait = max_wait
        self.ratio = ratio
        self._monotonic = monotonic
        self._sleep = sleep
        self._released: float | None = None  # when the previous step began

    def __call__(self) -> float:
        """Wait for a gap in ingest; returns the seconds waited."""
        start = self._monotonic()
        budget = self.max_wait
        if self._released is not None:  # the previous step ran from then until now
            budget = min(budget, self.ratio * (start - self._released))
        waited = 0.0
        while waited < budget:
            idle = self.ingest.idle_for()
            if idle >= self.quiet:
                break
            # Sleep until the gap would be long enough (at most POLL: a batch may start).
            self._sleep(max(_MIN_SLEEP, min(POLL, self.quiet - idle, budget - waited)))
            waited = self._monotonic() - start
        self._released = self._monotonic()
        return waited
