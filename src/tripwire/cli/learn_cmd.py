"""`tripwire postmortem ...`, `tripwire evals export`, `tripwire readiness`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from sqlalchemy.orm import Session

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.learn import evalcases, postmortem
from tripwire.learn.readiness import run_checks
from tripwire.learn.views import postmortem_json
from tripwire.respond.service import IncidentService, NotFound
from tripwire.store.tables.learn import PostmortemRow
from tripwire.store.tables.respond import IncidentRow

postmortem_app = typer.Typer(help="Blameless post-mortems.")
evals_app = typer.Typer(help="Evaluation test cases that incidents added.")

FORMATS = ("promptfoo", "deepeval", "langfuse")


@contextmanager
def _postmortem_of(
    config: Path | None, incident: str, actor: str
) -> Iterator[tuple[Session, IncidentService, PostmortemRow]]:
    """The incident's post-mortem (drafted if need be) in one transaction; exit 2 if unknown."""
    runtime = open_runtime(config)
    try:
        with runtime.db.session() as session:
            service = runtime.incidents(session)
            row = postmortem.draft(session, service.get(incident), runtime.clock, actor)
            yield session, service, row
    except NotFound as exc:
        fail(str(exc))


@postmortem_app.command("draft")
def draft(
    incident: Annotated[str, typer.Argument(help="INC-n")],
    author: Annotated[str, typer.Option(help="who drafts it")] = "cli",
    config: ConfigOption = None,
) -> None:
    """Draft the post-mortem from the incident's record and print it as JSON."""
    with _postmortem_of(config, incident, author) as (session, _, row):
        typer.echo(json.dumps(postmortem_json(session, row), indent=2))


@postmortem_app.command("complete")
def complete(
    incident: Annotated[str, typer.Argument(help="INC-n")],
    by: Annotated[str, typer.Option(help="who completes it")] = "cli",
    config: ConfigOption = None,
) -> None:
    """Mark it done (blameless, root cause, an action item and an eval case are required)."""
    try:
        with _postmortem_of(config, incident, by) as (session, service, row):
            postmortem.complete(session, service, row, by)
    except postmortem.NotReady as exc:
        fail("the post-mortem is not complete:\n  " + "\n  ".join(exc.reasons))
    typer.echo(f"{incident}: post-mortem done; the incident may now be closed")


@evals_app.command("export")
def export(
    format: Annotated[str, typer.Option("--format", "-f", help=", ".join(FORMATS))] = "promptfoo",
    out: Annotated[Path | None, typer.Option("--out", "-o", help="file (default: stdout)")] = None,
    config: ConfigOption = None,
) -> None:
    """Export every incident's test cases (promptfoo YAML, DeepEval or Langfuse JSON)."""
    if format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        cases = evalcases.list_cases(session)
        incidents = {c.incident: session.get(IncidentRow, c.incident) for c in cases}
        data = evalcases.export(cases, {k: v for k, v in incidents.items() if v}, format)  # type: ignore[arg-type]
    text = (
        yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
        if format == "promptfoo"
        else json.dumps(data, indent=2, ensure_ascii=False)
    )
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {len(cases)} test case(s) to {out}", err=True)


def readiness(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    config: ConfigOption = None,
) -> None:
    """The AI incident readiness checklist; exit status 1 when something fails."""
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        checks = run_checks(session, runtime.config, runtime.clock.now())
    if as_json:
        typer.echo(json.dumps([c.as_json() for c in checks], indent=2))
    else:
        marks = {"ok": "[green]ok  [/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}
        console = Console(highlight=False)
        for c in checks:
            console.print(f"{marks[c.status]} {c.section:13} {c.title}: {c.detail}", markup=True)
            if c.fix and c.status != "ok":
                console.print(f"                    fix: {c.fix}", markup=False)
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)
