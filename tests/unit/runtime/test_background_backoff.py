"""An idle periodic task backs off (each worker polls the database), a busy one does not."""

from __future__ import annotations

import itertools
import threading
import time

from tripwire.runtime.background import Background, PeriodicTask


def test_idle_rounds_double_the_wait_up_to_idle_max_and_work_resets_it() -> None:
    task = PeriodicTask("outbox", 0.2, lambda: False, idle_max=1.0)
    waits = [task.next_wait(None)]
    for _ in range(4):
        waits.append(task.next_wait(waits[-1]))
    assert waits == [0.2, 0.4, 0.8, 1.0, 1.0]
    assert task.next_wait(None) == 0.2  # after a busy round


def test_without_idle_max_the_interval_stays() -> None:
    task = PeriodicTask("timers", 1.0, lambda: False)
    assert task.next_wait(1.0) == 1.0


def test_the_loop_backs_off_while_idle() -> None:
    calls: list[float] = []
    done = threading.Event()

    def run() -> bool:
        calls.append(time.monotonic())
        if len(calls) >= 4:
            done.set()
        return False

    background = Background([PeriodicTask("idle", 0.05, run, idle_max=0.4)])
    background.start()
    try:
        assert done.wait(10)
    finally:
        background.stop()
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[2] >= 0.2 - 0.01  # 0.05, 0.1, then 0.2: doubling, not a fixed interval
