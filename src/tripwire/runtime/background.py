"""Background work of `serve` and `worker`: periodic tasks on one thread each, stopped cleanly."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("tripwire.background")


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    """`run` is called every `interval` seconds; when it returns True (more work waiting) it is
    called again at once instead of sleeping. `close` (if any) runs once the loop has stopped,
    to release what the task holds (thread pools); `halt` (if any) is called as soon as the
    stop is requested, so a long round ends after the batch in progress. With `idle_max`,
    each idle round in a row doubles the wait, up to `idle_max` seconds, and a busy round
    brings it back to `interval`: every worker process polls, and an idle poll still costs the
    database a transaction."""

    name: str
    interval: float
    run: Callable[[], bool]
    close: Callable[[], None] | None = None
    halt: Callable[[], None] | None = None  # asks a long `run` to return early on stop
    idle_max: float | None = None

    def next_wait(self, previous: float | None) -> float:
        """The wait after an idle round that followed a wait of `previous` (None: busy)."""
        if previous is None or self.idle_max is None:
            return self.interval
        return min(max(previous * 2, self.interval), max(self.idle_max, self.interval))


class Background:
    """Runs each task on its own thread. `stop` lets the round in progress finish (a pipeline
    batch commits or rolls back whole), then closes every task."""

    def __init__(self, tasks: list[PeriodicTask]) -> None:
        self.tasks = tasks
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for task in self.tasks:
            thread = threading.Thread(target=self._loop, args=(task,), name=task.name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for task in self.tasks:
            if task.halt is not None:
                task.halt()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        for task in self.tasks:
            if task.close is not None:
                try:
                    task.close()
                except Exception:  # shutting down: report, and close the others anyway
                    log.exception("closing background task %s failed", task.name)

    def _loop(self, task: PeriodicTask) -> None:
        wait: float | None = None  # the last idle wait; None after a busy round
        while not self._stop.is_set():
            busy = False
            try:
                busy = task.run()
            except Exception:  # a failing task must not kill the server; it retries next round
                log.exception("background task %s failed", task.name)
            if busy:
                wait = None
                continue
            wait = task.next_wait(wait)
            self._stop.wait(wait)
