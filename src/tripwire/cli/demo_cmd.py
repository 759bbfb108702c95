"""`tripwire demo`: the whole lifecycle on a simulated AI product, then the UI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from tripwire.api.app import create_app
from tripwire.cli.common import err, fail
from tripwire.config.settings import Settings
from tripwire.demo.tour import describe, run_demo
from tripwire.domain.clock import SystemClock
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token


def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="stop after the tour")] = False,
    port: Annotated[int, typer.Option(help="port for the UI afterwards")] = 8000,
    db: Annotated[Path, typer.Option(help="the demo's own database (replaced)")] = Path(
        "tripwire-demo.db"
    ),
    seed: Annotated[int, typer.Option(help="simulation seed")] = 1,
) -> None:
    """Simulate an AI product with incidents of all four types and run the whole lifecycle."""
    clock = SystemClock()
    err.print("Simulating three days of an AI product and replaying them through Tripwire ...")
    try:
        result = run_demo(db, clock.now(), seed)
    except OSError as exc:
        fail(f"cannot prepare {db}: {exc}")
    for line in describe(result):
        typer.echo(line)
    result.runtime.close()
    if no_serve:
        typer.echo(
            f"\nThe demo database is {db}; `tripwire demo` again starts afresh.\n"
            "Next: `tripwire demo` (without --no-serve) runs it again and opens the web UI;\n"
            "or read this run from the command line:\n"
            f"  TRIPWIRE_DATABASE_URL=sqlite:///{db} tripwire incidents show INC-1"
        )
        return
    settings = Settings(database_url=f"sqlite:///{db}", allow_private_webhooks=True)
    runtime = Runtime.open(settings, result.runtime.config, clock)
    with runtime.db.session() as session:
        _, token = create_token(session, "demo", ["admin"], clock.now())
    typer.echo(f"\nOpen http://127.0.0.1:{port}/ui and sign in with this admin token:\n  {token}")
    typer.echo(f"Public status page: http://127.0.0.1:{port}/status   (Ctrl-C stops)")
    uvicorn.run(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
