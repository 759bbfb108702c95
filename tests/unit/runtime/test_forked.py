"""Real children of `serve --processes N` (`Forked`): a SIGTERM the supervisor sends the moment
it has forked one (a stop during a restart, or systemd signalling the whole group) stops it as
a drained child stops, with exit 0, not killed (which makes the parent exit 1)."""

from __future__ import annotations

import os
import signal
import time

from tripwire.runtime.prefork import Forked


def slow_start(slot: int) -> int:
    time.sleep(2.0)  # still starting: no SIGTERM handler of its own yet
    return 0


def test_a_child_told_to_stop_before_it_has_its_own_handler_exits_0() -> None:
    forked = Forked(slow_start)
    pid = forked.spawn(0)
    forked.send(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
