"""One pre-forked `serve` process between its fork and its server: a SIGTERM from the
supervisor is never lost, whenever it arrives (a lost one costs the grace period and a
SIGKILL, and the parent exits 1)."""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from tripwire.cli import serve as serve_cmd
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.runtime.activity import ActivityBoard
from tripwire.runtime.wiring import Runtime


class SignalOnSecondLook(threading.Event):
    """The child's stop flag, with SIGTERM arriving just before its second look (after the
    server's own handler is in place, before the server starts)."""

    looks = 0

    def is_set(self) -> bool:
        SignalOnSecondLook.looks += 1
        if SignalOnSecondLook.looks == 2:
            signal.raise_signal(signal.SIGTERM)
        return super().is_set()


@pytest.fixture
def restored_sigterm() -> Iterator[None]:
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


def test_a_sigterm_just_after_the_server_handler_is_installed_stops_the_server(
    db_url: str, monkeypatch: pytest.MonkeyPatch, restored_sigterm: None
) -> None:
    opened: list[Runtime] = []
    real_open = Runtime.open

    def open_and_keep(*args: Any) -> Runtime:
        opened.append(real_open(*args))
        return opened[-1]

    started_with: list[bool] = []

    def run(self: serve_cmd._ChildServer, sockets: object = None) -> None:
        started_with.append(self.should_exit)

    # Only serve.py's stop flag: every other Event of the process stays as it is.
    monkeypatch.setattr(serve_cmd, "threading", SimpleNamespace(Event=SignalOnSecondLook))
    monkeypatch.setattr(serve_cmd.Runtime, "open", open_and_keep)
    monkeypatch.setattr(serve_cmd._ChildServer, "run", run)
    monkeypatch.setattr(serve_cmd, "exit_with_parent", lambda parent: None)
    monkeypatch.setattr(serve_cmd, "tune_for_service", lambda: None)
    settings = Settings(database_url=db_url, workers=False)
    with socket.socket() as sock:
        try:
            serve_cmd._child(settings, TripwireConfig(), sock, ActivityBoard(1), 0, 1)
        finally:
            for runtime in opened:
                runtime.close()
    assert started_with == [True]  # the server drains at once instead of serving on
