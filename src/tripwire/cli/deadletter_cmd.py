"""`tripwire deadletter ...`: the events the pipeline quarantined, and sending them back."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.store import deadletter

app = typer.Typer(help="Events a pipeline stage failed on, kept aside so the pipeline goes on.")
STATUSES = ("dead", "retry", "done")


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option(help="dead (quarantined), retry (asked again) or done")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    config: ConfigOption = None,
) -> None:
    """Quarantined events, newest first: the stage that failed and its error."""
    if status is not None and status not in STATUSES:
        fail(f"unknown status {status!r}; choose from {', '.join(STATUSES)}")
    runtime = open_runtime(config, workers=False)
    with runtime.db.read() as session:
        letters = deadletter.list_letters(session, status, limit)  # type: ignore[arg-type]
    runtime.close()
    if as_json:
        typer.echo(json.dumps([letter.as_json() for letter in letters]))
        return
    if not letters:
        typer.echo("no quarantined events")
        return
    for letter in letters:
        typer.echo(
            f"{letter.id}\t{letter.status}\t{letter.event_type} {letter.event_id} "
            f"(seq {letter.event_seq})\tstage {letter.stage}, {letter.attempts} attempt(s)\t"
            f"{letter.error.splitlines()[0][:200] if letter.error else ''}"
        )


@app.command("retry")
def retry(
    ids: Annotated[list[int] | None, typer.Argument(help="dead-letter ids (see `list`)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every quarantined event")] = False,
    config: ConfigOption = None,
) -> None:
    """Send quarantined events back: the running pipeline (`serve` or `worker`) runs them
    through the stage that failed and the ones after it at its next step; those that fail
    again come back here with the new error."""
    if not ids and not all_:
        fail("name dead-letter ids, or --all")
    runtime = open_runtime(config, workers=False)
    with runtime.db.session() as session:
        marked = deadletter.request_retry(session, None if all_ else ids)
    runtime.close()
    typer.echo(f"{marked} event(s) queued for retry")
    if not marked:
        raise typer.Exit(1)
