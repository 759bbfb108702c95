"""`tripwire flags ...`: list, inspect, change and kill feature flags."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from tripwire.cli.common import ConfigOption, fail, open_runtime
from tripwire.domain.clock import isoformat_z
from tripwire.flags import service
from tripwire.flags.model import Flag, FlagInvalid
from tripwire.respond.playbooks import rollback
from tripwire.respond.playbooks.flips import change_flag
from tripwire.runtime.wiring import Runtime
from tripwire.store import playbooks as playbook_store

app = typer.Typer(help="Feature flags and kill switches (every change is audited).")

JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]
ReasonOption = Annotated[str | None, typer.Option("--reason", "-r", help="why (audit trail)")]
IncidentOption = Annotated[
    str | None, typer.Option("--incident", help="incident this change belongs to (its timeline)")
]
ByOption = Annotated[str, typer.Option("--by", help="who makes the change (audit trail)")]


@app.command("list")
def list_(as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """List every flag with the value served now."""
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        service.seed_declared(session, runtime.config.flags, runtime.clock.now())
        flags = service.list_flags(session)
    runtime.close()
    if as_json:
        typer.echo(json.dumps({"flags": [f.as_json() for f in flags]}, indent=2))
        return
    if not flags:
        typer.echo("no flags yet; create one with `tripwire flags set KEY VALUE`")
    for flag in flags:
        typer.echo(_line(flag))


@app.command("get")
def get(key: str, as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Show one flag."""
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        service.seed_declared(session, runtime.config.flags, runtime.clock.now())
        flag = service.find_flag(session, key)
    runtime.close()
    if flag is None:
        fail(f"no flag {key!r}; see `tripwire flags list`")
    typer.echo(json.dumps(flag.as_json(), indent=2) if as_json else _line(flag))


@app.command("set")
def set_(
    key: str,
    value: Annotated[str, typer.Argument(help="true/false for boolean flags, else the variant")],
    reason: ReasonOption = None,
    incident: IncidentOption = None,
    by: ByOption = "cli",
    type_: Annotated[
        str | None, typer.Option("--type", help="boolean or string (new flags)")
    ] = None,
    default: Annotated[str | None, typer.Option(help="served when Tripwire is unreachable")] = None,
    variants: Annotated[str | None, typer.Option(help="comma-separated allowed values")] = None,
    kill_value: Annotated[str | None, typer.Option(help="what the kill switch sets")] = None,
    use_case: Annotated[str | None, typer.Option(help="the use case this flag controls")] = None,
    description: Annotated[str | None, typer.Option(help="what the flag does")] = None,
    config: ConfigOption = None,
) -> None:
    """Create or change a flag; prints the stored flag."""
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        current = service.find_flag(session, key)
    kind = type_ or (current.type if current else _guess(value))
    fields: dict[str, Any] = {"value": _parse(value, kind, "value")}
    if type_ is not None:
        fields["type"] = type_
    extra = {"default": default, "kill_value": kill_value}
    fields.update({k: _parse(v, kind, k) for k, v in extra.items() if v is not None})
    if variants is not None:
        fields["variants"] = [v.strip() for v in variants.split(",") if v.strip()]
    fields.update(
        {k: v for k, v in {"use_case": use_case, "description": description}.items() if v}
    )
    _apply(runtime, key, fields, service.Actor(by, "cli", reason, incident))


@app.command("kill")
def kill(
    key: str,
    reason: Annotated[str, typer.Option("--reason", "-r", help="why the kill switch is hit")],
    incident: IncidentOption = None,
    by: ByOption = "cli",
    config: ConfigOption = None,
) -> None:
    """Hit the kill switch: the flag serves its kill value (false for boolean flags)."""
    if not reason.strip():
        fail("say why with --reason: a kill switch is always audited")
    runtime = open_runtime(config)
    _apply(runtime, key, None, service.Actor(by, "cli", reason, incident))


@app.command("history")
def history(key: str, as_json: JsonOption = False, config: ConfigOption = None) -> None:
    """Who changed the flag, when, why, and from what to what (newest first)."""
    runtime = open_runtime(config)
    try:
        with runtime.db.session() as session:
            changes = service.history(session, key)
    except service.FlagNotFound:
        fail(f"no flag {key!r}; see `tripwire flags list`")
    finally:
        runtime.close()
    rows = [
        {
            "version": c.version,
            "at": isoformat_z(c.at),
            "actor": c.actor,
            "source": c.source,
            "reason": c.reason,
            "incident_id": c.incident_id,
            "old": (c.old or {}).get("value"),
            "new": c.new.get("value"),
        }
        for c in changes
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        why = f"  ({r['reason']})" if r["reason"] else ""
        old, new = json.dumps(r["old"]), json.dumps(r["new"])  # as `flags list` shows values
        typer.echo(f"v{r['version']:<4} {r['at']}  {r['actor']}: {old} -> {new}{why}")


def _apply(runtime: Runtime, key: str, fields: dict[str, Any] | None, actor: service.Actor) -> None:
    try:
        with runtime.db.session() as session:
            incidents = runtime.playbook_incidents(session) if actor.incident_id else None
            update = change_flag(session, runtime.clock, key, fields, actor, incidents=incidents)
    except service.FlagNotFound:
        fail(f"no flag {key!r}; create it with `tripwire flags set {key} VALUE`")
    except FlagInvalid as exc:
        fail(str(exc))
    except LookupError as exc:
        fail(f"{exc}; see `tripwire incidents list`")
    finally:
        runtime.close()
    typer.echo(_line(update.new) + ("" if update.changed else "  (unchanged)"))


def _line(flag: Flag) -> str:
    value = json.dumps(flag.value)
    state = "  KILLED" if flag.killed else ""
    scope = flag.use_case or "(all use cases)"
    return f"{flag.key:32} {value:14} v{flag.version:<4} {scope}{state}"


def _guess(value: str) -> str:
    return "boolean" if value.lower() in ("true", "false", "on", "off") else "string"


def _parse(value: str, kind: str, name: str) -> bool | str:
    if kind != "boolean":
        return value
    lowered = value.lower()
    if lowered in ("true", "on", "1", "yes"):
        return True
    if lowered in ("false", "off", "0", "no"):
        return False
    fail(f"{name} {value!r} is not a boolean: use true or false")


@app.command("rollbacks")
def rollbacks(
    incident: IncidentOption = None, as_json: JsonOption = False, config: ConfigOption = None
) -> None:
    """Rollbacks done by playbooks and whether the signal recovered."""
    runtime = open_runtime(config)
    with runtime.db.session() as session:
        rows = [rollback.as_json(r) for r in playbook_store.list_rollbacks(session, incident)]
    runtime.close()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        how = f"flag {r['flag']}" if r["flag"] else "webhook"
        typer.echo(f"{r['id']}  {r['state']:13} {r['incident_id']}  {r['change_id']} via {how}")


@app.command("undo-rollback")
def undo_rollback(
    rollback_id: str, reason: ReasonOption = None, by: ByOption = "cli", config: ConfigOption = None
) -> None:
    """Undo a flag rollback: the flag serves what it served before."""
    runtime = open_runtime(config)
    try:
        with runtime.db.session() as session:
            incidents = runtime.playbook_incidents(session)
            row = rollback.revert(session, runtime.clock, incidents, rollback_id, by, reason)
            typer.echo(f"reverted {row.id}: {row.flag_key} serves {row.previous_value!r} again")
    except rollback.RollbackError as exc:
        fail(str(exc))
    finally:
        runtime.close()
