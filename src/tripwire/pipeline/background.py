"""Background work inside `serve`: periodic tasks on one daemon thread each, stopped cleanly."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("tripwire.background")


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    """`run` is called every `interval` seconds; when it returns True (more work waiting) it is
    called again at once instead of sleeping."""

    name: str
    interval: float
    run: Callable[[], bool]


class Background:
    def __init__(self, tasks: list[PeriodicTask]) -> None:
        self.tasks = tasks
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for task in self.tasks:
            thread = threading.Thread(target=self._loop, args=(task,), name=task.name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _loop(self, task: PeriodicTask) -> None:
        while not self._stop.is_set():
            busy = False
            try:
                busy = task.run()
            except Exception:  # a failing task must not kill the server; it retries next round
                log.exception("background task %s failed", task.name)
            if not busy:
                self._stop.wait(task.interval)
