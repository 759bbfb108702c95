"""A real HTTP server for tests that need a network client (OTLP exporter, SDK, browser,
Alertmanager): uvicorn in a thread on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from tripwire.api.app import create_app
from tripwire.runtime.wiring import Runtime


def free_port() -> int:
    """A loopback port nobody listens on right now (for servers that need a fixed number)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """A running server: its base URL, and `stop()` to take it away mid-test (outages)."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, url: str) -> None:
        self.server = server
        self.thread = thread
        self.url = url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@contextmanager
def running(runtime: Runtime, background: bool = False) -> Iterator[LiveServer]:
    """Serve `runtime`; with `background`, its workers run too (and it closes on exit)."""
    config = uvicorn.Config(
        create_app(runtime, background=background),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        lifespan="on" if background else "off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    live = LiveServer(server, thread, f"http://127.0.0.1:{port}")
    try:
        yield live
    finally:
        live.stop()


@contextmanager
def live_server(runtime: Runtime, background: bool = False) -> Iterator[str]:
    """Serve `runtime` on a free loopback port; yields the base URL."""
    with running(runtime, background) as live:
        yield live.url
