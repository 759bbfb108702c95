"""Real children of `serve --processes N` (`Forked`): a SIGTERM the supervisor sends the moment
it has forked one (a stop during a restart, or systemd signalling the whole group) stops it as
a drained child stops, with exit 0, not killed (which makes the parent exit 1).

The fork runs in a fresh interpreter: `Forked` refuses to fork while other threads run, and a
test process may have threads left by other tests (pytest-xdist runs many in one process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, time
    from tripwire.runtime.prefork import Forked

    def slow_start(slot):
        time.sleep(2.0)  # still starting: no SIGTERM handler of its own yet
        return 0

    forked = Forked(slow_start)
    pid = forked.spawn(0)
    forked.send(pid, signal.SIGTERM)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status))
    """
)


def test_a_child_told_to_stop_before_it_has_its_own_handler_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "0", done.stderr
