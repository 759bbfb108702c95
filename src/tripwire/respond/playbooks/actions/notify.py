"""`notify_group`: tell stakeholder groups (respond.stakeholders) with a per-recipient
acknowledge link; the step's `due` becomes a deadline met only by their acknowledgement."""

from __future__ import annotations

from tripwire.config.playbooks import StepSpec
from tripwire.domain.clock import isoformat_z
from tripwire.respond.playbooks.actions.base import ActionContext, Outcome


def notify_group(ctx: ActionContext, step: StepSpec) -> Outcome:
    groups = [str(g) for g in step.params.get("groups", [])]
    if not groups:
        return Outcome("manual", "the step names no `groups`: notify them by hand")
    due_at = ctx.incident.detected_at + step.due if step.due is not None else None
    escalate = step.escalate_to[0] if step.escalate_to else "incident_commander"
    try:
        told = ctx.incidents.notify_groups(
            ctx.incident.id, groups, step.title, due_at=due_at, escalate_to=escalate
        )
    except LookupError as exc:
        return Outcome("manual", f"{exc}: notify them by hand")
    if not told:
        names = ", ".join(groups)
        return Outcome("manual", f"no members configured for {names}: notify them by hand")
    by = f"; acknowledgement due by {isoformat_z(due_at)}" if due_at else ""
    text = f"notified {', '.join(groups)} ({', '.join(told)}){by}"
    return Outcome("done", text, {"groups": groups, "notified": told})
