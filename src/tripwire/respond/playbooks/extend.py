"""When an incident's type or severity changes, its playbook grows: the steps of the new
type's playbook that have not run yet, and the steps that were skipped for the old severity
(a P0's legal deadline) or an unmet condition that now holds, are added and run."""

from __future__ import annotations

from tripwire.config.playbooks import StepSpec
from tripwire.respond.playbooks.actions.base import ActionContext
from tripwire.respond.playbooks.catalog import playbook_for
from tripwire.respond.playbooks.engine import REAL_HARM, Engine, _holds
from tripwire.respond.playbooks.service import IncidentFacts
from tripwire.store import playbooks as store


def extend(engine: Engine, incident: IncidentFacts, why: str) -> list[str]:
    """Run the steps of `incident`'s current playbook it lacks; returns their ids."""
    spec = playbook_for(incident.type, engine.config.playbooks)
    run = store.get_run(engine.session, incident.id)
    if spec is None or run is None:
        return []
    rows = {row.step_id: row for row in store.steps_of(engine.session, incident.id)}
    ctx = ActionContext(
        engine.session,
        engine.clock,
        engine.config,
        engine.incidents,
        incident,
        dict(run.facts or {}),
    )
    ctx.facts["real_harm_possible"] = incident.severity in REAL_HARM
    added: list[str] = []
    for step in spec.steps:
        row = rows.get(step.id)
        if row is not None:
            if row.state != "skipped" or not _now_due(step, ctx):
                continue
            engine.session.delete(row)  # skipped before; runs now
            engine.session.flush()
        engine._run_step(ctx, step)
        added.append(step.id)
    if added:
        run.playbook = incident.type
        run.facts = {**(run.facts or {}), **_plain(ctx.facts)}
        engine._note(incident.id, f"playbook extended ({why}): {', '.join(added)}")
    return added


def _now_due(step: StepSpec, ctx: ActionContext) -> bool:
    """A step skipped for its severity or condition, which now holds (a step its action
    skipped, such as a rollback with no suspect, is not run twice)."""
    if step.severities is None and step.only_if is None:
        return False
    if step.severities is not None and ctx.incident.severity not in step.severities:
        return False
    return step.only_if is None or _holds(step.only_if, ctx.facts)


def _plain(facts: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in facts.items() if isinstance(v, bool | int | float | str | list)}
