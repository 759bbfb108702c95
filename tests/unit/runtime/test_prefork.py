"""The supervisor of `serve --processes N`, on a fake clock with fake children."""

from __future__ import annotations

import itertools
import signal

from tripwire.runtime.prefork import Restarts, Supervisor, process_count


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Children:
    """Fake children: `die_at[slot]` lists when each start of that slot dies (seconds after it
    started) and with which code; a child not scripted to die runs until it gets SIGTERM."""

    def __init__(self, clock: Clock, die_after: dict[int, list[tuple[float, int]]]) -> None:
        self.clock = clock
        self.die_after = die_after
        self.starts: list[tuple[float, int]] = []  # (when, slot)
        self.signals: list[tuple[int, int]] = []  # (pid, signal)
        self.live: dict[int, tuple[int, float | None, int]] = {}  # pid: slot, death, code
        self.ignores_term: set[int] = set()  # slots whose children hang on SIGTERM
        self._next = 100
        self._exited: list[tuple[int, int]] = []

    def spawn(self, slot: int) -> int:
        self._next += 1
        script = self.die_after.get(slot, [])
        death, code = script.pop(0) if script else (None, 0)
        when = None if death is None else self.clock.now + death
        self.live[self._next] = (slot, when, code)
        self.starts.append((self.clock.now, slot))
        return self._next

    def reap(self) -> list[tuple[int, int]]:
        for pid, (_, when, code) in list(self.live.items()):
            if when is not None and when <= self.clock.now:
                del self.live[pid]
                self._exited.append((pid, code))
        exited, self._exited = self._exited, []
        return exited

    def send(self, pid: int, sig: int) -> None:
        self.signals.append((pid, sig))
        if pid not in self.live:
            return
        slot = self.live[pid][0]
        if sig == signal.SIGKILL:
            self.live[pid] = (slot, self.clock.now, -signal.SIGKILL)
        elif slot not in self.ignores_term:
            self.live[pid] = (slot, self.clock.now + 0.3, 0)  # drains, then exits 0


def supervisor(
    children: Children, clock: Clock, count: int = 2, stop_at: float | None = None
) -> tuple[Supervisor, list[str]]:
    said: list[str] = []

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if stop_at is not None and clock.now >= stop_at:
            sup.stop()

    sup = Supervisor(
        count,
        children,
        Restarts(first=0.5, most=4.0, settled=10.0, attempts=5),
        grace=5.0,
        monotonic=clock.monotonic,
        sleep=sleep,
        report=said.append,
    )
    return sup, said


def test_it_starts_every_child_and_a_stop_drains_them_all_with_exit_0() -> None:
    clock = Clock()
    children = Children(clock, {})
    sup, said = supervisor(children, clock, count=3, stop_at=2.0)
    assert sup.run() == 0
    assert sorted(slot for _, slot in children.starts) == [0, 1, 2]
    assert sorted(sig for _, sig in children.signals) == [signal.SIGTERM] * 3
    assert not children.live
    assert said == []


def test_a_child_that_dies_after_running_a_while_is_started_again_at_once() -> None:
    clock = Clock()
    children = Children(clock, {1: [(60.0, -signal.SIGKILL)]})
    sup, said = supervisor(children, clock, stop_at=70.0)
    assert sup.run() == 0
    restarts = [when for when, slot in children.starts if slot == 1][1:]
    assert len(restarts) == 1
    assert 60.5 <= restarts[0] <= 60.7  # the first wait, not a backoff
    assert "was killed by SIGKILL after 60.0 s; starting it again in 0.5 s" in said[0]


def test_a_child_failing_at_start_waits_longer_each_time_until_it_stays_up() -> None:
    clock = Clock()
    children = Children(clock, {0: [(0.2, 1), (0.2, 1), (0.2, 1)]})
    sup, said = supervisor(children, clock, stop_at=30.0)
    assert sup.run() == 0
    starts = [when for when, slot in children.starts if slot == 0]
    gaps = [later - earlier - 0.2 for earlier, later in itertools.pairwise(starts)]
    assert [round(gap, 1) for gap in gaps] == [0.5, 1.0, 2.0]
    assert len(said) == 3
    assert all("exited with status 1" in line for line in said)


def test_the_backoff_is_capped() -> None:
    restarts = Restarts(first=0.5, most=4.0)
    assert [restarts.delay(n) for n in range(7)] == [0.5, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_it_gives_up_with_exit_1_when_a_child_keeps_failing_at_start() -> None:
    clock = Clock()
    children = Children(clock, {1: [(0.1, 3)] * 10})
    sup, said = supervisor(children, clock)
    assert sup.run() == 1
    assert len([slot for _, slot in children.starts if slot == 1]) == 5
    assert (children.starts[0][1], children.signals[-1][1]) == (0, signal.SIGTERM)
    assert not children.live  # the healthy one was drained too
    assert (
        "failed 5 times in a row at start (exited with status 3); stopping the others" in (said[-1])
    )


def test_failures_spread_over_a_long_run_do_not_add_up() -> None:
    clock = Clock()
    children = Children(clock, {0: [(20.0, 1)] * 8})
    sup, _ = supervisor(children, clock, stop_at=200.0)
    assert sup.run() == 0
    assert len([slot for _, slot in children.starts if slot == 0]) == 9


def test_a_child_that_will_not_drain_is_killed_after_the_grace_and_the_exit_says_so() -> None:
    clock = Clock()
    children = Children(clock, {})
    children.ignores_term.add(1)
    sup, _ = supervisor(children, clock, stop_at=1.0)
    assert sup.run() == 1
    kills = [sig for _, sig in children.signals if sig == signal.SIGKILL]
    assert kills == [signal.SIGKILL]
    assert 6.0 <= clock.now <= 6.5  # stop at 1 s, then the grace of 5 s
    assert not children.live


def test_no_restart_once_stopping() -> None:
    clock = Clock()
    children = Children(clock, {0: [(1.05, 1)]})
    sup, _ = supervisor(children, clock, stop_at=1.0)
    sup.run()
    assert len(children.starts) == 2  # one each, none again


def test_auto_is_one_process_per_core_and_a_number_is_kept() -> None:
    assert process_count(3) == 3
    assert process_count("auto") >= 1
