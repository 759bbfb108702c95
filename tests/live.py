"""A real HTTP server for tests that need a network client (OTLP exporter, chunked bodies)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from tripwire.api.app import create_app
from tripwire.pipeline.wiring import Runtime


@contextmanager
def live_server(runtime: Runtime) -> Iterator[str]:
    """Serve `runtime` with uvicorn on a free loopback port; yields the base URL."""
    config = uvicorn.Config(
        create_app(runtime, background=False),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        access_log=False,
        lifespan="off",
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
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
