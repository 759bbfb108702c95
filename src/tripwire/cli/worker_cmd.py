"""`tripwire worker`: the background work of `serve` without the HTTP face."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from tripwire.cli.common import ConfigOption, err, open_runtime


def worker(config: ConfigOption = None) -> None:
    """Run the pipeline, timers, outbox delivery and judge jobs on the configured database.

    Any number of `serve` and `worker` processes may share one PostgreSQL database. SIGTERM (or
    Ctrl-C) lets the work in progress finish, then exits 0.
    """
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    runtime = open_runtime(config)
    err.print(f"Tripwire worker running (database {runtime.db.url}); SIGTERM stops it")
    runtime.run_worker(stop)
    err.print("Tripwire worker stopped")
    raise typer.Exit(0)
