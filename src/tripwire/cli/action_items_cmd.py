"""`tripwire action-items list|add|set`: the post-mortem's follow-ups, their owners and dates."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.learn import action_items, postmortem
from tripwire.learn.views import item_json
from tripwire.respond.service import NotFound

app = typer.Typer(help="Action items: owners, due dates, states and reminders.")
KINDS = ("prevent", "detect", "mitigate", "process")
DueDays = Annotated[int | None, typer.Option("--due-days", min=1, max=365, help="due in N days")]


@app.command("list")
def list_cmd(
    incident: Annotated[str | None, typer.Option("--incident", help="only INC-n's")] = None,
    owner: Annotated[str | None, typer.Option(help="only this owner's")] = None,
    status: Annotated[str | None, typer.Option(help=", ".join(action_items.STATES))] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only unfinished past due")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    config: ConfigOption = None,
) -> None:
    """Action items, soonest due first."""
    runtime = open_runtime(config, workers=False)
    now = runtime.clock.now()
    try:
        with runtime.db.session() as session:
            rows = action_items.list_items(
                session, incident, owner, status, now if overdue else None
            )
            items = [item_json(r, now) for r in rows]
    except action_items.ItemError as exc:
        fail(str(exc))
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(items, indent=2))
        return
    table = Table()
    for column in ("id", "incident", "status", "owner", "due", "title"):
        table.add_column(column)
    for i in items:
        due = (i["due_at"] or "-") + (" [red]overdue[/]" if i["overdue"] else "")
        table.add_row(str(i["id"]), i["incident_id"], i["status"], escape(i["owner"] or "-"),
                      due, escape(i["title"][:100]))  # fmt: skip
    Console(highlight=False).print(table)


@app.command("add")
def add(
    incident: Annotated[str, typer.Argument(help="INC-n")],
    title: Annotated[str, typer.Argument(help="what will change")],
    owner: Annotated[str | None, typer.Option(help="who does it")] = None,
    kind: Annotated[str, typer.Option(help=", ".join(KINDS))] = "prevent",
    due_days: DueDays = None,
    config: ConfigOption = None,
) -> None:
    """Add an action item (due in `learn.action_items.default_due_days` unless --due-days)."""
    if kind not in KINDS:
        fail(f"--kind must be one of {', '.join(KINDS)}")
    if not title.strip() or len(title) > 20_000:
        fail("give a title of 1 to 20,000 characters")
    runtime = open_runtime(config, workers=False)
    days = due_days or runtime.config.learn.action_items.default_due_days
    try:
        with runtime.db.session() as session:
            number = runtime.incidents(session).get(incident).number
            item = postmortem.add_action_item(
                session, number, title.strip(), kind, owner, runtime.clock, days
            )
            shown = item_json(item, runtime.clock.now())
    except NotFound as exc:
        fail(str(exc))
    finally:
        runtime.close()
    typer.echo(json.dumps(shown, indent=2))


@app.command("set")
def set_cmd(
    incident: Annotated[str, typer.Argument(help="INC-n")],
    item: Annotated[int, typer.Argument(help="the action item's id")],
    status: Annotated[str | None, typer.Option(help=", ".join(action_items.STATES))] = None,
    owner: Annotated[str | None, typer.Option(help="new owner ('' clears it)")] = None,
    due_days: DueDays = None,
    by: Annotated[str, typer.Option(help="who changes it")] = "cli",
    config: ConfigOption = None,
) -> None:
    """Change an action item's state, owner or due date."""
    runtime = open_runtime(config, workers=False)
    due = runtime.clock.now() + timedelta(days=due_days) if due_days else None
    change = action_items.ItemChange(owner=owner, status=status, due_at=due)
    try:
        with runtime.db.session() as session:
            service = runtime.incidents(session)
            found = service.get(incident)
            row = action_items.get_item(session, found, item)
            updated = action_items.update_item(service, found, row, change, by)
            shown = item_json(updated, runtime.clock.now())
    except (NotFound, LookupError, action_items.ItemError) as exc:
        fail(str(exc))
    finally:
        runtime.close()
    typer.echo(json.dumps(shown, indent=2))


__all__ = ["app"]
