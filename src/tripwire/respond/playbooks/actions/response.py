"""Automatic steps that act: page, rank the deployment log, roll back, mitigate through flags,
and hit the kill switch."""

from __future__ import annotations

from typing import Any

from tripwire.config.playbooks import StepSpec
from tripwire.flags import service as flags
from tripwire.flags.model import FlagInvalid
from tripwire.respond.attribution.query import load_change
from tripwire.respond.attribution.rank import IncidentWindow, rank_suspects
from tripwire.respond.playbooks import rollback
from tripwire.respond.playbooks.actions.base import ActionContext, Outcome
from tripwire.respond.playbooks.flips import change_flag


def page(ctx: ActionContext, step: StepSpec) -> Outcome:
    roles = [str(r) for r in step.params.get("roles", [step.role or "incident_commander"])]
    people = ctx.incidents.page(ctx.incident.id, roles, step.title)
    text = ", ".join(roles) + (
        f": paged {', '.join(people)}"
        if people
        else ": nobody newly paged (already paged at open, or held by the severity's urgency)"
    )
    return Outcome("done", text, {"roles": roles, "paged": people})


def rank(ctx: ActionContext, step: StepSpec) -> Outcome:
    """Rank the deployment log and store the suspects on the incident."""
    inc = ctx.incident
    window = IncidentWindow(
        inc.type, inc.use_case, inc.started_at, inc.detected_at, [s.metric for s in inc.signals]
    )
    suspects = [s.as_json() for s in rank_suspects(ctx.session, window, ctx.now)]
    if "suspects" not in ctx.facts or _moved(ctx.facts["suspects"], suspects):
        ctx.incidents.set_suspects(inc.id, suspects)
    ctx.facts["suspects"] = suspects
    if not suspects:
        return Outcome("done", "no change in the deployment log fits this incident")
    top = suspects[0]
    text = f"top suspect {top['change_id']} (score {top['score']:.2f}): {top['why']}"
    return Outcome("done", text, {"suspects": suspects})


def _moved(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> bool:
    """A new order, or a score that moved enough to matter (re-ranking runs every 15 min)."""
    if [s["change_id"] for s in before] != [s["change_id"] for s in after]:
        return True
    return any(abs(a["score"] - b["score"]) > 0.05 for a, b in zip(after, before, strict=True))


def roll_back(ctx: ActionContext, step: StepSpec) -> Outcome:
    """Roll back the top suspect when it is clear and has a rollback handle."""
    settings = ctx.config.playbooks
    suspects = ctx.facts.get("suspects") or []
    ctx.facts["rolled_back"] = False
    if not suspects or suspects[0]["score"] < settings.rollback_min_score:
        return Outcome("skipped", "no change is a clear enough suspect to roll back")
    change = load_change(ctx.session, suspects[0]["change_id"])
    if change is None or not change.rollback:
        return Outcome(
            "manual",
            f"top suspect {suspects[0]['change_id']} has no rollback handle: roll it back by "
            "hand, or mitigate",
        )
    if not settings.auto_rollback:
        return Outcome("manual", f"roll back {change.id} (automatic rollback is switched off)")
    try:
        row = rollback.apply(
            ctx.session, ctx.clock, ctx.config, ctx.incidents, ctx.incident, change
        )
    except rollback.RollbackError as exc:
        return Outcome("manual", str(exc))
    ctx.facts["rolled_back"] = True
    how = (
        f"set flag {row.flag_key} to {change.rollback.get('variant')!r}"
        if row.flag_key
        else "called the rollback webhook"
    )
    text = (
        f"rolled back {change.id} ({change.kind} {change.version}): {how}; rollback {row.id}, "
        f"recovery checked at {row.check_at:%H:%M} UTC; undo with "
        f"`tripwire flags undo-rollback {row.id}`"
    )
    return Outcome("done", text, {"rollback_id": row.id, "change_id": change.id})


def mitigate(ctx: ActionContext, step: StepSpec) -> Outcome:
    """Apply the mitigation flags configured for the use case (scope, review, disclaimer)."""
    wanted = ctx.config.playbooks.mitigations.get(ctx.incident.use_case or "", {})
    if not wanted:
        return Outcome(
            "manual",
            "no mitigation flags are configured for this use case (playbooks.mitigations): "
            "narrow the scope, add human review or a disclaimer by hand",
        )
    done: list[str] = []
    actor = flags.Actor(ctx.actor, "playbook", step.title, ctx.incident.id)
    for key, value in wanted.items():
        try:
            change_flag(
                ctx.session, ctx.clock, key, {"value": value}, actor, incidents=ctx.incidents
            )
            done.append(f"{key}={value}")
        except (flags.FlagNotFound, FlagInvalid) as exc:
            return Outcome("manual", f"mitigation flag {key!r} could not be set ({exc})")
    return Outcome("done", "set " + ", ".join(done), {"flags": wanted})


def kill_switch(ctx: ActionContext, step: StepSpec) -> Outcome:
    """Flip the use case's kill switches when configured to; otherwise ask the owner to."""
    switches = flags.kill_switches(ctx.session, ctx.incident.use_case)
    if not switches:
        return Outcome(
            "manual",
            f"no kill switch is declared for {ctx.incident.use_case or 'this use case'}: stop the "
            "harm by hand (a flag with a `kill_value` makes this automatic)",
        )
    keys = ", ".join(f.key for f in switches)
    if not ctx.config.playbooks.auto_kill_switch:
        return Outcome(
            "manual",
            f"flip the kill switch: `tripwire flags kill {switches[0].key} --incident "
            f"{ctx.incident.id} --reason ...` (candidates: {keys})",
        )
    actor = flags.Actor(ctx.actor, "playbook", step.title, ctx.incident.id)
    for flag in switches:
        change_flag(ctx.session, ctx.clock, flag.key, None, actor, incidents=ctx.incidents)
    ctx.facts["killed"] = [f.key for f in switches]
    return Outcome("done", f"kill switch flipped: {keys}", {"flags": [f.key for f in switches]})
