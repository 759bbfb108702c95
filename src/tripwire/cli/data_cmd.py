"""`tripwire data ...`: retention and deleting a user's data."""

from __future__ import annotations

import typer

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.ingest.retention import delete_user

app = typer.Typer(help="Delete stored data: expired raw events, or one user's data on request.")


@app.command("delete-user")
def delete_user_command(
    user_id: str, requested_by: str = "cli", config: ConfigOption = None
) -> None:
    """Delete USER_ID's outputs and feedback (and the checks and scores of those outputs, and
    their GenAI content); audited."""
    if not user_id.strip():
        fail("user id must not be empty")
    runtime = open_runtime(config, workers=False)
    try:
        gone = delete_user(runtime.db, runtime.clock, user_id, requested_by)
    finally:
        runtime.close()
    typer.echo(
        f"deleted {gone.events + gone.held_outputs} event(s) and {gone.content_parts} content "
        f"part(s) of user {user_id!r}"
    )


@app.command("retention")
def retention_command(config: ConfigOption = None) -> None:
    """Drop raw events older than TRIPWIRE_RETENTION_DAYS (default 30) now; serve and worker
    also do it every 10 minutes."""
    runtime = open_runtime(config, workers=False)
    try:
        count = runtime.retention().run_once(requested_by="cli", leased=False)
    finally:
        runtime.close()
    typer.echo(f"deleted {count} expired event(s)")
