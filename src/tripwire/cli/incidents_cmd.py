"""`tripwire incidents ...`: list, show, declare and act on incidents."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.domain.incidents import INCIDENT_TYPES, SEVERITIES, STATUSES, Action
from tripwire.learn import review
from tripwire.respond import queries
from tripwire.respond.service import Conflict, IncidentService, NewIncident, NotFound
from tripwire.respond.views import detail_json, summary_json
from tripwire.store.tables.respond import IncidentRow

app = typer.Typer(help="Incidents: list, show, declare, acknowledge, resolve, ...")
out = Console(highlight=False, soft_wrap=True)
By = Annotated[str, typer.Option("--by", help="who is acting (shown on the timeline)")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]


def _change(config: Any, change: Callable[[IncidentService], IncidentRow]) -> dict[str, Any]:
    runtime = open_runtime(config)
    try:
        with runtime.db.session() as session:
            service = runtime.incidents(session)
            return detail_json(session, change(service))
    except (NotFound, Conflict) as exc:
        fail(str(exc))
    finally:
        runtime.close()


def _check(value: str | None, allowed: tuple[str, ...], name: str) -> list[str]:
    if value is None:
        return []
    values = [v for v in value.split(",") if v]
    for v in values:
        if v not in allowed:
            fail(f"unknown {name} {v!r}; choose from {', '.join(allowed)}")
    return values


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="e.g. triggered,acknowledged")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="incident type(s)")] = None,
    use_case: Annotated[str | None, typer.Option(help="one use case")] = None,
    severity: Annotated[str | None, typer.Option(help="e.g. P0,P1")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: Json = False,
    config: ConfigOption = None,
) -> None:
    """List incidents, newest detected first."""
    statuses = _check(status, STATUSES, "status")
    types = _check(type_, INCIDENT_TYPES, "type")
    severities = _check(severity, SEVERITIES, "severity")
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        rows = queries.list_incidents(
            session,
            status=statuses,
            type_=types,
            severity=severities,
            use_case=use_case,
            limit=limit,
        )
        found = [summary_json(session, r) for r in rows]
    runtime.close()
    if as_json:
        typer.echo(json.dumps({"incidents": found}, indent=2))
        return
    table = Table("id", "sev", "status", "type", "use case", "detected", "title")
    for i in found:
        table.add_row(
            i["id"],
            i["severity"],
            i["status"],
            i["type"],
            escape(i["use_case"] or "-"),
            i["detected_at"],
            escape(i["title"][:60]),
        )
    out.print(table)


@app.command("show")
def show(ident: str, as_json: Json = False, config: ConfigOption = None) -> None:
    """Show one incident with its roles, signals and timeline."""
    detail = _change(config, lambda s: s.get(ident))
    if as_json:
        typer.echo(json.dumps(detail, indent=2))
        return
    out.print(
        f"[bold]{detail['id']}[/] [{detail['severity']}] {detail['status']} "
        f"{detail['type']} {escape(detail['use_case'] or '')}"
    )
    out.print(escape(detail["title"]))
    if detail.get("type_reason"):
        out.print(f"  why {detail['type']}: {escape(detail['type_reason'])}")
    for role, person in detail["roles"].items():
        out.print(f"  {role}: {escape(person)}")
    for sig in detail["signals"]:
        out.print(
            f"  signal {escape(sig['monitor'])} {escape(sig['metric'])}: "
            f"{sig['baseline']} -> {sig['observed']} ({sig['state']})"
        )
    for entry in detail["timeline"]:
        out.print(f"  {entry['at']} {entry['kind']:<16} {escape(entry['text'])}")


@app.command("declare")
def declare(
    type_: Annotated[str, typer.Option("--type", help=", ".join(INCIDENT_TYPES))],
    title: Annotated[str, typer.Option(help="what is wrong, in a line")],
    use_case: Annotated[str | None, typer.Option(help="the affected use case")] = None,
    severity: Annotated[str | None, typer.Option(help="P0..P3; default: the rules")] = None,
    by: By = "cli",
    config: ConfigOption = None,
) -> None:
    """Declare an incident by hand."""
    _check(type_, INCIDENT_TYPES, "type")
    _check(severity, SEVERITIES, "severity")

    def change(s: IncidentService) -> IncidentRow:
        now = s.clock.now()
        new = NewIncident(type_, title, use_case, now, now, "manual", severity)  # type: ignore[arg-type]
        return s.open(new, actor=by)

    detail = _change(config, change)
    typer.echo(f"{detail['id']} opened as {detail['severity']}")


def _step(action: Action) -> Callable[..., None]:
    def step(
        ident: str,
        by: By = "cli",
        note: Annotated[str | None, typer.Option(help="why, for the timeline")] = None,
        config: ConfigOption = None,
    ) -> None:
        detail = _change(config, lambda s: s.transition(ident, action, by, note, via="cli"))
        typer.echo(f"{detail['id']} is {detail['status']} (version {detail['version']})")

    step.__doc__ = f"{action.capitalize()} an incident."
    return step


for _name, _action in (
    ("ack", "acknowledge"),
    ("mitigate", "mitigate"),
    ("resolve", "resolve"),
    ("close", "close"),
):
    app.command(_name)(_step(_action))  # type: ignore[arg-type]


@app.command("review-done")
def review_done(
    ident: str, by: By = "cli", link: str | None = None, config: ConfigOption = None
) -> None:
    """Confirm the review; refused unless the post-mortem is completed (`postmortem complete`)."""
    _change(config, lambda s: review.mark_review_done(s, ident, by, link))
    typer.echo(f"{ident}: review marked done")


@app.command("severity")
def severity_cmd(
    ident: str,
    severity: Annotated[str, typer.Argument(help="P0..P3")],
    reason: Annotated[str, typer.Option(help="why (required, shown on the timeline)")],
    by: By = "cli",
    config: ConfigOption = None,
) -> None:
    """Change an incident's severity, with a reason."""
    _check(severity, SEVERITIES, "severity")
    detail = _change(config, lambda s: s.set_severity(ident, severity, reason, by))  # type: ignore[arg-type]
    typer.echo(f"{detail['id']} is now {detail['severity']}")


@app.command("role")
def role(
    ident: str, role_name: str, person: str, by: By = "cli", config: ConfigOption = None
) -> None:
    """Assign a role: incident_commander, communications_lead, engineering_lead, safety_lead."""
    _change(config, lambda s: s.assign_role(ident, role_name, person, by))
    typer.echo(f"{ident}: {person} is {role_name}")


@app.command("note")
def note(ident: str, text: str, by: By = "cli", config: ConfigOption = None) -> None:
    """Add a note to the timeline."""

    def change(s: IncidentService) -> IncidentRow:
        s.add_note(ident, text, by)
        return s.get(ident)

    _change(config, change)
    typer.echo(f"{ident}: note added")
