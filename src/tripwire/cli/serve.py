"""`tripwire serve`: API, UI, status page and workers in one process."""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated

import typer
import uvicorn

from tripwire.api.app import create_app
from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.domain.tokens import SCOPES
from tripwire.runtime.gc_tuning import tune_for_service
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
) -> None:
    """Run the API, the web UI, the public status page and (by default) the background work."""
    runtime = open_runtime(config, workers=workers)
    _ensure_auth(runtime, host)
    sock = _listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"Tripwire listening on http://{shown}:{sock.getsockname()[1]} (database {runtime.db.url})",
        err=True,
    )
    config_ = uvicorn.Config(create_app(runtime), log_level="warning", access_log=False)
    tune_for_service()  # start-up is over: what is left is a long-running server
    uvicorn.Server(config_).run(sockets=[sock])


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
