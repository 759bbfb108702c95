"""The playbook engine: starts a run when an incident opens, runs its automatic steps, turns
manual ones into tasks with deadlines, and judges the deadlines on the injected clock."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.playbooks import StepSpec
from tripwire.domain.clock import Clock, isoformat_z
from tripwire.respond.playbooks import actions as registry
from tripwire.respond.playbooks.actions.base import ActionContext, Outcome
from tripwire.respond.playbooks.catalog import playbook_for
from tripwire.respond.playbooks.service import IncidentFacts, IncidentService
from tripwire.store import playbooks as store
from tripwire.store.tables.flags import PlaybookStepRow

log = logging.getLogger("tripwire.playbooks")
RERANK_EVERY = timedelta(minutes=15)
RERANK_FOR = timedelta(hours=6)
REAL_HARM = ("P0", "P1")


class Engine:
    """Runs playbooks inside the caller's transaction (a pipeline step or a tick)."""

    def __init__(
        self, session: Session, clock: Clock, config: TripwireConfig, incidents: IncidentService
    ) -> None:
        self.session = session
        self.clock = clock
        self.config = config
        self.incidents = incidents

    def start_new(self) -> list[str]:
        """Start the playbook of every open incident that has none yet; returns their ids."""
        if not self.config.playbooks.enabled:
            return []
        open_now = self.incidents.open_incidents()
        started = store.runs_for(self.session, [i.id for i in open_now])
        fresh = [i for i in open_now if i.id not in started]
        for incident in fresh:
            self.start(incident)
        return [i.id for i in fresh]

    def start(self, incident: IncidentFacts) -> None:
        spec = playbook_for(incident.type, self.config.playbooks)
        now = self.clock.now()
        store.start_run(self.session, incident.id, incident.type, now)
        if spec is None:
            return
        self._note(incident.id, f"playbook started: {spec.title} ({len(spec.steps)} steps)")
        ctx = ActionContext(self.session, self.clock, self.config, self.incidents, incident)
        ctx.facts["real_harm_possible"] = incident.severity in REAL_HARM
        for step in spec.steps:
            self._run_step(ctx, step)
        run = store.get_run(self.session, incident.id)
        if run is not None:
            run.facts = _storable(ctx.facts)
            if "suspects" in ctx.facts:
                run.ranked_at = now

    def _run_step(self, ctx: ActionContext, step: StepSpec) -> None:
        incident = ctx.incident
        if step.severities is not None and incident.severity not in step.severities:
            self._record(incident.id, step, "skipped", f"not needed for {incident.severity}")
            return
        if step.only_if is not None and not _holds(step.only_if, ctx.facts):
            self._record(incident.id, step, "skipped", f"only when {step.only_if}")
            return
        if step.action is None:
            self._task(ctx, step, step.description)
            return
        outcome = self._act(ctx, step)
        if outcome.state == "manual":
            self._task(ctx, step, outcome.text)
            return
        self._record(incident.id, step, outcome.state, outcome.text, outcome.data, outcome.kind)

    def _act(self, ctx: ActionContext, step: StepSpec) -> Outcome:
        action = registry.ACTIONS.get(step.action or "")
        if action is None:
            return Outcome("manual", f"unknown action {step.action!r}: do this step by hand")
        try:
            with self.session.begin_nested():
                return action(ctx, step)
        except Exception as exc:  # one failing action must not stop the rest of the playbook
            log.exception("playbook action %s failed", step.action)
            return Outcome("manual", f"the automatic step failed ({exc}); do it by hand")

    def _task(self, ctx: ActionContext, step: StepSpec, why: str) -> None:
        due_at = ctx.incident.detected_at + step.due if step.due is not None else None
        role = step.role or "incident_commander"
        task_id = self.incidents.create_task(
            ctx.incident.id, step.title, role=role, due_at=due_at, description=why
        )
        state = "pending" if due_at is not None else "open"
        store.add_step(
            self.session,
            ctx.incident.id,
            step.id,
            mode="manual",
            state=state,
            now=self.clock.now(),
            task_id=task_id,
            due_at=due_at,
            result={"why": why, "role": role, "escalate_to": step.escalate_to},
        )

    def _record(
        self,
        incident_id: str,
        step: StepSpec,
        state: str,
        text: str,
        data: dict[str, Any] | None = None,
        kind: str = "playbook_step",
    ) -> None:
        store.add_step(
            self.session, incident_id, step.id, mode="auto", state=state, now=self.clock.now(),
            result={"text": text, **(data or {})},
        )  # fmt: skip
        self.incidents.add_timeline(
            incident_id,
            kind,
            f"{step.title}: {text}",
            actor=f"playbook:{step.id}",
            data={"step": step.id, "state": state, **(data or {})},
        )

    def _note(self, incident_id: str, text: str) -> None:
        self.incidents.add_timeline(incident_id, "playbook", text, actor="playbook", data={})

    def judge_deadlines(self) -> list[tuple[str, str, str]]:
        """Steps whose deadline came: met (task done in time) or escalated (paged)."""
        now = self.clock.now()
        judged: list[tuple[str, str, str]] = []
        for row in store.due_steps(self.session, now):
            judged.append((row.incident_id, row.step_id, self._judge(row)))
            row.updated_at = now
        return judged

    def _judge(self, row: PlaybookStepRow) -> str:
        assert row.due_at is not None
        info = row.result or {}
        title = self._title(row)
        done_at = self.incidents.task_done_at(row.task_id) if row.task_id else None
        due = isoformat_z(row.due_at)
        if done_at is not None and done_at <= row.due_at:
            row.state = "met"
            text = f"deadline met: {title} (due {due}, done {isoformat_z(done_at)})"
            self.incidents.add_timeline(
                row.incident_id, "deadline_met", text, actor="playbook", data={"step": row.step_id}
            )
            return "met"
        roles = list(info.get("escalate_to") or [])
        if not roles:  # a target, not a hard deadline: note it, page nobody
            row.state = "overdue"
            text = f"overdue: {title} was due {due}"
            self.incidents.add_timeline(
                row.incident_id, "task_overdue", text, actor="playbook", data={"step": row.step_id}
            )
            return "overdue"
        row.state = "escalated"
        text = f"deadline missed: {title} was due {due}; escalated to {', '.join(roles)}"
        self.incidents.add_timeline(
            row.incident_id,
            "deadline_missed",
            text,
            actor="playbook",
            data={"step": row.step_id, "roles": roles},
        )
        self.incidents.page(row.incident_id, roles, text, repeat=True)
        return "escalated"

    def _title(self, row: PlaybookStepRow) -> str:
        run = store.get_run(self.session, row.incident_id)
        spec = playbook_for(run.playbook, self.config.playbooks) if run else None
        for step in spec.steps if spec else []:
            if step.id == row.step_id:
                return step.title
        return row.step_id


def _holds(condition: str, facts: dict[str, Any]) -> bool:
    if condition == "not_rolled_back":
        return not facts.get("rolled_back", False)
    return bool(facts.get(condition, False))


def _storable(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in facts.items() if isinstance(v, bool | int | float | str | list)}
