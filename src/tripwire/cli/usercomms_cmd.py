"""`tripwire incidents affected-users | messages | message-*`: the users an incident reached and
the messages to them, from the command line (the same rules as the API)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.communicate import messages as msgs
from tripwire.communicate.audience import as_csv, audience, every_user, page_json
from tripwire.communicate.delivery import message_json
from tripwire.communicate.drafts import Kind
from tripwire.respond.service import Conflict, IncidentService, NotFound
from tripwire.store.tables.communicate import UserMessageRow

out = Console(highlight=False, soft_wrap=True)
By = Annotated[str, typer.Option("--by", help="who is acting (shown on the timeline)")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]


def affected_users(
    ident: str,
    as_csv_: Annotated[bool, typer.Option("--csv", help="every user as CSV")] = False,
    as_json: Json = False,
    config: ConfigOption = None,
) -> None:
    """The users who received the incident's affected outputs (segment and window respected;
    for safety and hallucination only flagged or low-scored outputs)."""
    runtime = open_runtime(config)
    try:
        with runtime.db.read() as session:
            found = audience(
                session, ident, runtime.clock.now(), runtime.config.communicate.affected_users
            )
            if found is None:
                fail(f"no incident {ident!r}; list them with `tripwire incidents list`")
            users = list(every_user(session, found.scope))
            summary = page_json(session, found, None, 1)
    finally:
        runtime.close()
    if as_csv_:
        typer.echo(as_csv(users), nl=False)
        return
    everyone = [{"user_id": u.user_id, "outputs": u.outputs} for u in users]
    if as_json:
        typer.echo(json.dumps(summary | {"users": everyone, "cursor": None}, indent=2))
        return
    out.print(
        f"{summary['count']} users, {summary['outputs']} affected outputs "
        f"({summary['unattributed_outputs']} without a user id)"
    )
    for user in users:
        out.print(f"  {escape(user.user_id)}  {user.outputs}")


def _act(config: Path | None, act: Callable[[IncidentService], UserMessageRow]) -> dict[str, Any]:
    runtime = open_runtime(config)
    try:
        with runtime.db.session() as session:
            return message_json(session, act(runtime.incidents(session)), detail=True)
    except msgs.Refused as exc:
        problems = "".join(f"\n  {f.rule}: {f.message}" for f in exc.findings)
        fail(str(exc) + problems)
    except (NotFound, Conflict) as exc:
        fail(str(exc))
    finally:
        runtime.close()


def _show(message: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(message, indent=2))
        return
    out.print(f"[bold]message {message['id']}[/] {message['kind']} {message['status']}")
    out.print(escape(message["subject"]))
    out.print(escape(message["text"]))
    for finding in message["findings"]:
        out.print(f"  [yellow]{finding['rule']}[/]: {escape(finding['message'])}")
    for r in message.get("recipient_states") or []:
        error = f" ({escape(r['error'])})" if r["error"] else ""
        out.print(f"  {escape(r['user_id'])}: {r['state']}, {r['attempts']} attempts{error}")


def messages(ident: str, as_json: Json = False, config: ConfigOption = None) -> None:
    """Messages to the incident's users, with delivery states per recipient."""
    runtime = open_runtime(config)
    try:
        with runtime.db.read() as session:
            try:
                incident = runtime.incidents(session).get(ident)
            except NotFound as exc:
                fail(str(exc))
            rows = msgs.messages(session, incident.number)
            found = [message_json(session, r, detail=True) for r in rows]
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps({"messages": found}, indent=2))
        return
    for message in found:
        _show(message, False)


def message_create(
    ident: str,
    kind: Annotated[str, typer.Option(help="initial, resolution or follow_up")] = "initial",
    text_file: Annotated[
        Path | None, typer.Option("--text-file", help="the text (default: the generated draft)")
    ] = None,
    by: By = "cli",
    as_json: Json = False,
    config: ConfigOption = None,
) -> None:
    """Draft a message to the affected users."""
    if kind not in ("initial", "resolution", "follow_up"):
        fail("--kind must be initial, resolution or follow_up")
    chosen: Kind = kind  # type: ignore[assignment]
    text = text_file.read_text(encoding="utf-8") if text_file else None
    _show(_act(config, lambda s: msgs.create(s, ident, chosen, by, None, text)), as_json)


def message_edit(
    ident: str,
    message_id: int,
    text_file: Annotated[Path, typer.Option("--text-file", help="the new text")],
    by: By = "cli",
    as_json: Json = False,
    config: ConfigOption = None,
) -> None:
    """Replace a message's text (an approved one returns to draft)."""
    text = text_file.read_text(encoding="utf-8")
    _show(_act(config, lambda s: msgs.edit(s, ident, message_id, by, None, text)), as_json)


def message_approve(
    ident: str, message_id: int, by: By = "cli", as_json: Json = False, config: ConfigOption = None
) -> None:
    """Approve as the incident's communications lead (`--by` must hold the role)."""
    _show(_act(config, lambda s: msgs.approve(s, ident, message_id, by)), as_json)


def message_send(
    ident: str, message_id: int, by: By = "cli", as_json: Json = False, config: ConfigOption = None
) -> None:
    """Send an approved message to every affected user (through the outbox)."""
    _show(_act(config, lambda s: msgs.send(s, ident, message_id, by)), as_json)


def register(app: typer.Typer) -> None:
    """Add these commands to `tripwire incidents`."""
    app.command("affected-users")(affected_users)
    app.command("messages")(messages)
    app.command("message-create")(message_create)
    app.command("message-edit")(message_edit)
    app.command("message-approve")(message_approve)
    app.command("message-send")(message_send)
