"""`tripwire oncall ...`: who is on call now, upcoming shifts, overrides."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated

import typer

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.domain.events import parse_rfc3339
from tripwire.respond.oncall_view import add_override, now_on_call, shifts

app = typer.Typer(help="On-call: who is on call, shifts, overrides.")
Json = Annotated[bool, typer.Option("--json", help="print JSON")]


def _when(value: str | None, default: datetime, name: str) -> datetime:
    if value is None:
        return default
    try:
        return parse_rfc3339(value)
    except ValueError as exc:
        fail(f"--{name}: {exc}")


@app.command("now")
def now(
    at: Annotated[str | None, typer.Option(help="RFC 3339 instant (default: now)")] = None,
    as_json: Json = False,
    config: ConfigOption = None,
) -> None:
    """Who is on call for each schedule."""
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        report = now_on_call(session, runtime.config.respond, _when(at, runtime.clock.now(), "at"))
    runtime.close()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    if not report["schedules"]:
        typer.echo("no schedules configured (respond.schedules in tripwire.yaml)")
    for item in report["schedules"]:
        shift = item["on_call"]
        who = f"{shift['person']} until {shift['end']} ({shift['source']})" if shift else "nobody"
        typer.echo(f"{item['schedule']}: {who}")


@app.command("shifts")
def shifts_cmd(
    schedule: str,
    start: Annotated[str | None, typer.Option("--from", help="RFC 3339 (default: now)")] = None,
    end: Annotated[str | None, typer.Option("--to", help="RFC 3339 (default: +14 days)")] = None,
    as_json: Json = False,
    config: ConfigOption = None,
) -> None:
    """The shifts of one schedule."""
    runtime = open_runtime(config)
    if schedule not in runtime.config.respond.schedules:
        known = ", ".join(runtime.config.respond.schedules) or "none"
        fail(f"no schedule {schedule!r}; configured: {known}")
    begin = _when(start, runtime.clock.now(), "from")
    stop = _when(end, begin + timedelta(days=14), "to")
    if stop <= begin:
        fail("--to must be after --from")
    with runtime.db.session() as session:
        found = shifts(session, runtime.config.respond, schedule, begin, stop)
    runtime.close()
    if as_json:
        typer.echo(json.dumps(found, indent=2))
        return
    for shift in found:
        typer.echo(f"{shift['start']} .. {shift['end']}  {shift['person']} ({shift['source']})")


@app.command("override")
def override(
    schedule: str,
    person: str,
    start: Annotated[str, typer.Option("--from", help="RFC 3339")],
    end: Annotated[str, typer.Option("--to", help="RFC 3339")],
    by: Annotated[str, typer.Option("--by")] = "cli",
    config: ConfigOption = None,
) -> None:
    """Put PERSON on call for SCHEDULE between --from and --to."""
    runtime = open_runtime(config)
    begin, stop = _when(start, runtime.clock.now(), "from"), _when(end, runtime.clock.now(), "to")
    try:
        with runtime.db.session() as session:
            add_override(
                session,
                runtime.config.respond,
                schedule,
                person,
                begin,
                stop,
                by,
                runtime.clock.now(),
            )
    except ValueError as exc:
        fail(str(exc))
    finally:
        runtime.close()
    typer.echo(f"{person} is on call for {schedule} from {start} to {end}")
