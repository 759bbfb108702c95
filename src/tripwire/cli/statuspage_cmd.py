"""`tripwire status-page ...`: publish an incident under a public title, post public updates,
resolve publicly, schedule maintenance, print what the public sees."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

import typer

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.communicate import publish
from tripwire.communicate.context import Conflict, Invalid, Missing, PageContext
from tripwire.communicate.page import status_summary
from tripwire.domain.events import parse_rfc3339
from tripwire.respond.queries import get_incident

app = typer.Typer(help="The public status page: publish, update, resolve, maintenance, show.")
By = Annotated[str | None, typer.Option("--by", help="who is acting (default: your login name)")]
Body = Annotated[str, typer.Option("--body", help="the public text")]
Components = Annotated[
    list[str] | None,
    typer.Option("--component", help="ID=IMPACT, e.g. support-chat=partial_outage (repeatable)"),
]


def _who(by: str | None) -> str:
    return by or f"cli:{getpass.getuser()}"


def _run(config: Any, change: Callable[[PageContext], Any]) -> Any:
    runtime = open_runtime(config, workers=False)
    try:
        with runtime.db.session() as session:
            ctx = PageContext(
                session,
                runtime.config.communicate.status_page,
                runtime.clock.now(),
                runtime.settings.public_url,
                runtime.secret_key(),
            )
            return change(ctx)
    except (Invalid, Missing, Conflict) as exc:
        fail(str(exc))
    finally:
        runtime.close()


def _number(ctx: PageContext, ident: str) -> int:
    row = get_incident(ctx.session, ident)
    if row is None:
        raise Missing(f"no incident {ident!r}")
    return row.number


def _components(values: list[str] | None) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for value in values or []:
        key, sep, impact = value.partition("=")
        if not sep:
            fail(f"--component {value!r}: write ID=IMPACT, e.g. support-chat=partial_outage")
        parsed[key] = impact
    return parsed


@app.command("publish")
def publish_(
    incident: str,
    title: Annotated[str, typer.Option("--title", help="the public title")],
    body: Body,
    status: Annotated[str, typer.Option(help="investigating | identified | monitoring")] = (
        "investigating"
    ),
    component: Components = None,
    by: By = None,
    config: ConfigOption = None,
) -> None:
    """Put INCIDENT on the status page under a public title with its first update."""
    parts = _components(component)
    _run(config, lambda ctx: publish.publish(
        ctx, _number(ctx, incident), title, body, status, parts, _who(by)))  # fmt: skip
    typer.echo(f"{incident} is public: {title}")


@app.command("update")
def update(
    incident: str,
    status: Annotated[str, typer.Option(help="investigating | identified | monitoring | resolved")],
    body: Body,
    component: Components = None,
    by: By = None,
    config: ConfigOption = None,
) -> None:
    """Post a public update on a published incident."""
    parts = _components(component) if component else None
    _run(config, lambda ctx: publish.post_update(
        ctx, _number(ctx, incident), status, body, parts, _who(by)))  # fmt: skip
    typer.echo(f"{incident}: public update posted ({status})")


@app.command("resolve")
def resolve(incident: str, body: Body, by: By = None, config: ConfigOption = None) -> None:
    """Resolve a published incident publicly: its components are operational again."""
    _run(config, lambda ctx: publish.post_update(
        ctx, _number(ctx, incident), "resolved", body, None, _who(by)))  # fmt: skip
    typer.echo(f"{incident}: resolved publicly")


def _instant(value: str, name: str) -> datetime:
    try:
        return parse_rfc3339(value)
    except ValueError:
        fail(f"{name} {value!r}: give an RFC 3339 time with an offset, e.g. 2026-01-31T22:00:00Z")


@app.command("maintenance")
def maintenance(
    title: Annotated[str, typer.Option("--title")],
    body: Body,
    start: Annotated[str, typer.Option("--start", help="RFC 3339, e.g. 2026-01-31T22:00:00Z")],
    end: Annotated[str, typer.Option("--end", help="RFC 3339")],
    component: Annotated[list[str], typer.Option("--component", help="component id (repeatable)")],
    by: By = None,
    config: ConfigOption = None,
) -> None:
    """Announce a maintenance window (components show under_maintenance while it runs)."""
    starts, ends = _instant(start, "--start"), _instant(end, "--end")
    made = _run(config, lambda ctx: publish.schedule_maintenance(
        ctx, title, body, component, starts, ends, _who(by)).id)  # fmt: skip
    typer.echo(f"maintenance {made} scheduled")


@app.command("show")
def show(config: ConfigOption = None) -> None:
    """Print what the public sees (`/status/summary.json`)."""
    runtime = open_runtime(config, workers=False)
    try:
        with runtime.db.read() as session:
            summary = status_summary(
                session,
                runtime.config.communicate.status_page,
                runtime.clock,
                runtime.settings.public_url,
            )
    finally:
        runtime.close()
    typer.echo(json.dumps(summary, indent=2))
