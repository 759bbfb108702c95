"""`tripwire serve`: API, UI, status page and workers in one process, or in N pre-forked ones."""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import threading
from types import FrameType
from typing import Annotated, Literal

import typer
import uvicorn

from tripwire.api.app import create_app
from tripwire.cli.common import ConfigOption, err, fail, open_runtime
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings, process_count_setting
from tripwire.domain.tokens import SCOPES
from tripwire.runtime.activity import ActivityBoard
from tripwire.runtime.gc_tuning import freeze_before_fork, tune_for_service
from tripwire.runtime.prefork import exit_with_parent, process_count, supervise
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import any_active, create_token


def serve(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on (0: any free port)")] = 8000,
    config: ConfigOption = None,
    workers: Annotated[
        bool | None,
        typer.Option(
            "--workers/--no-workers",
            help="also run the background work (pipeline, timers, outbox, judge) in this "
            "process; --no-workers when `tripwire worker` processes do it "
            "(default: TRIPWIRE_WORKERS, true)",
        ),
    ] = None,
    processes: Annotated[
        str | None,
        typer.Option(
            help="server processes accepting on the one socket, each with its share of the "
            "background work; `auto`: one per core (default: TRIPWIRE_PROCESSES, 1)",
        ),
    ] = None,
) -> None:
    """Run the API, the web UI, the public status page and (by default) the background work.

    With --processes N, N server processes share the socket under a supervising parent, which
    starts a process that dies again and drains them all on SIGTERM or Ctrl-C (docs/scaling.md).
    """
    wanted = None if processes is None else _wanted(processes)
    runtime = open_runtime(config, workers=workers)
    count = process_count(runtime.settings.processes if wanted is None else wanted)
    _ensure_auth(runtime, host)
    sock = _listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    several = f", {count} processes" if count > 1 else ""
    url = f"http://{shown}:{sock.getsockname()[1]}"
    typer.echo(
        f"Tripwire listening on {url} (database {runtime.db.url}{several}); the web UI is {url}/ui",
        err=True,
    )
    if count == 1:
        config_ = uvicorn.Config(create_app(runtime), log_level="warning", access_log=False)
        tune_for_service()  # start-up is over: what is left is a long-running server
        uvicorn.Server(config_).run(sockets=[sock])
        return
    settings, tripwire_config = runtime.settings, runtime.config
    runtime.close()  # the children open their own: no connection or pool crosses a fork
    board = ActivityBoard(count)  # before the fork: the children share it
    freeze_before_fork()
    parent = os.getpid()
    raise typer.Exit(
        supervise(count, lambda slot: _child(settings, tripwire_config, sock, board, slot, parent))
    )


def _wanted(option: str) -> int | Literal["auto"]:
    try:
        return process_count_setting(option)
    except ValueError:
        fail(f"--processes {option}: give a whole number of 1 or more, or auto")


class _ChildServer(uvicorn.Server):
    """A pre-forked server process. SIGINT is the supervisor's: it answers Ctrl-C (which the
    terminal sends to every process of the group) with one SIGTERM per child, and a second
    signal would make uvicorn drop the open connections instead of draining them."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig != signal.SIGINT:
            super().handle_exit(sig, frame)


def _child(
    settings: Settings,
    config: TripwireConfig,
    sock: socket.socket,
    board: ActivityBoard,
    slot: int,
    parent: int,
) -> int:
    """One server process after the fork: its own runtime, app and background work."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())  # until the server takes over
    exit_with_parent(parent)
    try:
        runtime = Runtime.open(settings, config)
    except Exception as exc:  # the supervisor reports the exit and starts it again
        err.print(f"error: cannot open the database {settings.database_url!r}: {exc}")
        return 1
    if stopping.is_set():
        runtime.close()
        return 0
    runtime.share_ingest(board, slot)
    server = _ChildServer(
        uvicorn.Config(create_app(runtime), log_level="warning", access_log=False)
    )
    # uvicorn puts this handler back when it returns, and raises the signal it drained on again.
    signal.signal(signal.SIGTERM, lambda sig, frame: server.handle_exit(sig, frame))
    if stopping.is_set():  # never `= is_set()`: a SIGTERM since the line above set should_exit
        server.should_exit = True
    tune_for_service()
    server.run(sockets=[sock])
    return 0 if server.started else 1  # not started: the app's start-up failed (logged)


def _listen(host: str, port: int) -> socket.socket:
    """Bind before starting, so `--port 0` can say which free port it got."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        sock.close()
        fail(f"cannot listen on {host}:{port}: {exc}; choose another --host or --port")
    sock.set_inheritable(True)
    # Connections queue from now on, while the server (or every pre-forked one) starts.
    sock.listen(2048)
    return sock


def _ensure_auth(runtime: Runtime, host: str) -> None:
    with runtime.db.session() as session:
        has_tokens = any_active(session) or runtime.settings.admin_token is not None
        if has_tokens:
            return
        if not _is_loopback(host):
            fail(
                f"refusing to listen on {host} with no API token configured: create one with "
                "`tripwire tokens create --scope admin`, or set TRIPWIRE_ADMIN_TOKEN"
            )
        _, secret = create_token(
            session, "generated at first start", list(SCOPES[-1:]), runtime.clock.now()
        )
    typer.echo(
        f"No API token existed, so an admin token was created (shown once):\n  {secret}", err=True
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
