"""`tripwire serve --processes N`: N server processes accepting on one socket, supervised.

Python runs one thread of a process at a time, so a `serve` process uses about one core however
many the machine has. The parent binds the socket, migrates the database and creates the first
admin token (printed once), releases the database, then forks N children that accept on the
socket it bound. Each child builds its own runtime after the fork: nothing that holds
connections, threads or pools crosses it. The background work splits by itself: pipeline
partitions are leased per process and single-owner work (timers, retention) goes to one lease
holder, as with several `serve` and `worker` processes on one database.

The parent only supervises: SIGTERM or SIGINT becomes one SIGTERM to each child, which drains
and exits 0; a child that dies otherwise is restarted, after a wait that doubles while it keeps
failing at start; after `Restarts.attempts` start failures in a row the parent stops the others
and exits 1.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Literal, NoReturn, Protocol

POLL = 0.1  # seconds between the supervisor's looks at its children
GRACE = 60.0  # seconds a child has to drain after SIGTERM before it is killed


def process_count(wanted: int | Literal["auto"]) -> int:
    """The number of server processes: `auto` is one per core this process may run on."""
    if wanted != "auto":
        return wanted
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Restarts:
    """When to restart a child that died, and when to give up on it."""

    first: float = 0.5  # seconds before a restart
    most: float = 30.0  # the longest wait before a restart
    settled: float = 10.0  # a child that ran this long was not failing at start
    attempts: int = 5  # start failures in a row (of one child) before giving up

    def delay(self, failures: int) -> float:
        """The wait before restarting a child that failed at start `failures` times in a row
        (0: it had been running for a while)."""
        return min(self.most, self.first * 2.0 ** max(0, failures - 1))


class Children(Protocol):
    """How the supervisor starts, watches and signals its children (`Forked` for real)."""

    def spawn(self, slot: int) -> int:
        """Start the child for `slot`; returns its pid."""

    def reap(self) -> list[tuple[int, int]]:
        """Children that exited since the last call: (pid, exit code, -N for signal N)."""

    def send(self, pid: int, sig: int) -> None:
        """Signal a child (nothing happens when it has exited already)."""


@dataclass
class _Slot:
    pid: int | None = None
    started: float = 0.0
    failures: int = 0  # start failures in a row
    due: float | None = None  # when to start it again (None: running, or not to restart)


class Supervisor:
    """Keeps `count` children running until `stop`; `run` returns the parent's exit code."""

    def __init__(
        self,
        count: int,
        children: Children,
        restarts: Restarts | None = None,
        *,
        grace: float = GRACE,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        report: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),
    ) -> None:
        self.children = children
        self.restarts = restarts or Restarts()
        self.grace = grace
        self._monotonic = monotonic
        self._sleep = sleep
        self._report = report
        self._slots = [_Slot() for _ in range(count)]
        self._stop = False
        self._failed = False  # a child kept failing at start
        self._clean = True  # every child drained and exited 0
        self._deadline: float | None = None  # when draining children get SIGKILL

    def stop(self) -> None:
        """Drain every child and return from `run` (safe to call from a signal handler)."""
        self._stop = True

    def run(self) -> int:
        now = self._monotonic()
        for index in range(len(self._slots)):
            self._start(index, now)
        while True:
            now = self._monotonic()
            for pid, code in self.children.reap():
                self._exited(pid, code, now)
            if self._stop or self._failed:
                if self._drained(now):
                    return 1 if self._failed or not self._clean else 0
            else:
                self._restart_due(now)
            self._sleep(POLL)

    def _start(self, index: int, now: float) -> None:
        slot = self._slots[index]
        slot.pid, slot.started, slot.due = self.children.spawn(index), now, None

    def _exited(self, pid: int, code: int, now: float) -> None:
        index = next((i for i, s in enumerate(self._slots) if s.pid == pid), None)
        if index is None:
            return  # not one of ours (or already counted)
        slot = self._slots[index]
        slot.pid = None
        if self._stop or self._failed:
            self._clean = self._clean and code == 0
            return
        ran = now - slot.started
        slot.failures = slot.failures + 1 if ran < self.restarts.settled else 0
        number = f"process {index + 1} of {len(self._slots)} (pid {pid})"
        if slot.failures >= self.restarts.attempts:
            self._report(
                f"tripwire serve: {number} failed {slot.failures} times in a row at start "
                f"({_how(code)}); stopping the others"
            )
            self._failed = True
            return
        wait = self.restarts.delay(slot.failures)
        slot.due = now + wait
        self._report(
            f"tripwire serve: {number} {_how(code)} after {ran:.1f} s; "
            f"starting it again in {wait:.1f} s"
        )

    def _restart_due(self, now: float) -> None:
        for index, slot in enumerate(self._slots):
            if slot.pid is None and slot.due is not None and slot.due <= now:
                self._start(index, now)

    def _drained(self, now: float) -> bool:
        """Ask every child to drain (once), kill those still there after the grace period;
        True once none is left."""
        live = [slot.pid for slot in self._slots if slot.pid is not None]
        if not live:
            return True
        if self._deadline is None:
            self._deadline = now + self.grace
            for pid in live:
                self.children.send(pid, signal.SIGTERM)
        elif now >= self._deadline:
            for pid in live:
                self.children.send(pid, signal.SIGKILL)
        return False


def _how(code: int) -> str:
    if code >= 0:
        return f"exited with status {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"was killed by {name}"


class Forked:
    """Children made with `os.fork`: each runs `child(slot)` and exits with what it returns."""

    def __init__(self, child: Callable[[int], int]) -> None:
        self.child = child

    def spawn(self, slot: int) -> int:
        if threading.active_count() > 1:
            # A fork copies only the calling thread: a lock another thread held stays locked.
            raise RuntimeError("refusing to fork with other threads running")
        sys.stdout.flush()
        sys.stderr.flush()
        # SIGTERM is held until the child has a handler: one sent the moment it is forked would
        # run the parent's handler in the child (lost) or, after the reset, kill it (exit -15).
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        try:
            pid = os.fork()
            if pid == 0:
                _run_child(self.child, slot, held)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return pid

    def reap(self) -> list[tuple[int, int]]:
        exited: list[tuple[int, int]] = []
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:  # no children left
                return exited
            if pid == 0:
                return exited
            exited.append((pid, os.waitstatus_to_exitcode(status)))

    def send(self, pid: int, sig: int) -> None:
        with suppress(ProcessLookupError):
            os.kill(pid, sig)


def _run_child(child: Callable[[int], int], slot: int, mask: Iterable[int]) -> NoReturn:
    """In the forked child: run it, then leave without running the parent's exit handlers.
    `mask` is the signal mask to restore once SIGTERM has a handler here."""
    # The supervisor owns Ctrl-C: the terminal sends SIGINT to every process in its group and
    # the supervisor turns it into one SIGTERM per child (a second signal would make the server
    # drop its open connections instead of draining them).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Until `child` installs its own: stopped before it has started, it exits as a drained one.
    signal.signal(signal.SIGTERM, _stopped_at_start)
    code = 1
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        code = child(slot)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:  # the supervisor restarts the child; say why it died
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _stopped_at_start(signum: int, frame: object) -> NoReturn:
    raise SystemExit(0)


def exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """SIGTERM this process once `parent` is gone (the supervisor was killed): a child with
    nobody to restart or stop it must not keep serving on the socket."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def supervise(count: int, child: Callable[[int], int]) -> int:
    """Fork `count` children running `child(slot)` and supervise them until SIGTERM or SIGINT;
    returns the exit code for the parent."""
    supervisor = Supervisor(count, Forked(child))

    def on_signal(signum: int, _frame: object) -> None:
        supervisor.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return supervisor.run()
