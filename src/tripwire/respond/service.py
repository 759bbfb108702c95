"""IncidentService: every change to an incident, for detectors, people and webhooks alike.

Each change bumps the incident's version, appends to its timeline and writes the
notifications it causes to the outbox, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.respond import ROLES, RespondConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock
from tripwire.domain.incidents import (
    SEVERITIES,
    Action,
    IllegalTransition,
    IncidentType,
    Lifecycle,
    Severity,
    apply,
    is_open,
    rank,
)
from tripwire.respond import hooks, queries
from tripwire.respond.escalation import first_step
from tripwire.respond.ids import incident_id
from tripwire.respond.paging import Pager, describe, resolve_target, who_is_on_call
from tripwire.respond.severity import Facts, assess, criticality_of
from tripwire.store.tables.respond import IncidentRow, RoleRow, TimelineRow

EVENT_OF: dict[Action, str] = {
    "acknowledge": "incident.acknowledged",
    "mitigate": "incident.mitigated",
    "resolve": "incident.resolved",
    "close": "incident.closed",
}


class NotFound(LookupError):
    """No incident with that id."""


class Conflict(ValueError):
    """The change is not allowed now (illegal transition, stale version, unknown person)."""


@dataclass(frozen=True, slots=True)
class NewIncident:
    type: IncidentType
    title: str
    use_case: str | None
    started_at: datetime
    detected_at: datetime
    source: str = "manual"
    severity: Severity | None = None
    join_key: str | None = None
    magnitude: float | None = None
    exposed_users: int = 0
    exposed_outputs: int = 0


class IncidentService:
    """Bound to one transaction (`session`) and the injected clock."""

    def __init__(
        self, session: Session, clock: Clock, config: TripwireConfig, settings: Settings
    ) -> None:
        self.session = session
        self.clock = clock
        self.config = config
        self.settings = settings
        self.pager = Pager(session, config.respond, settings)

    @property
    def rc(self) -> RespondConfig:
        return self.config.respond

    # -- reading ---------------------------------------------------------------------------

    def get(self, ident: str | int) -> IncidentRow:
        incident = queries.get_incident(self.session, ident)
        if incident is None:
            raise NotFound(f"no incident {ident}; list them with GET /v1/incidents")
        return incident

    # -- the timeline ------------------------------------------------------------------------

    def log(
        self,
        incident: IncidentRow,
        kind: str,
        text: str,
        actor: str = "tripwire",
        data: dict[str, Any] | None = None,
    ) -> TimelineRow:
        """Append a timeline entry; every entry is a change, so the version grows."""
        now = self.clock.now()
        incident.version += 1
        incident.updated_at = now
        entry = TimelineRow(
            incident=incident.number,
            at=now,
            kind=kind,
            actor=actor,
            text=text,
            data=data or {},
            version=incident.version,
        )
        self.session.add(entry)
        self.session.flush()
        return entry

    # -- opening -----------------------------------------------------------------------------

    def open(
        self,
        new: NewIncident,
        actor: str = "tripwire",
        before_hooks: Callable[[IncidentRow], None] | None = None,
    ) -> IncidentRow:
        """Open an incident: severity from the rules (unless given), roles from on-call,
        level 1 of the escalation policy paged, broadcast channels told, hooks run."""
        now = self.clock.now()
        criticality = criticality_of(self.rc, new.use_case)
        facts = Facts(new.type, criticality, new.magnitude, new.exposed_users, new.exposed_outputs)
        judged = assess(self.rc, facts)
        severity = new.severity or judged.severity
        reasons = [f"set by {actor}"] if new.severity else list(judged.reasons)
        incident = IncidentRow(
            type=new.type,
            severity=severity,
            status="triggered",
            use_case=new.use_case,
            join_key=new.join_key or new.use_case or f"manual:{now.isoformat()}",
            title=new.title[:1000],
            source=new.source,
            started_at=min(new.started_at, new.detected_at),
            detected_at=new.detected_at,
            updated_at=now,
            version=0,
            review_done=False,
            severity_reasons=reasons,
            exposed_users=new.exposed_users,
            exposed_outputs=new.exposed_outputs,
            reassess_at=now + self.rc.severity.reassess_every,
            suspects=[],
            escalation_level=0,
            escalation_round=0,
        )
        self.session.add(incident)
        self.session.flush()
        because = "; ".join(reasons) if reasons else "no severity rule matched: the default"
        self.log(incident, "opened", f"Opened as {severity} ({because})", actor)
        self._assign_roles(incident)
        self.pager.broadcast(incident, "incident.opened", f"Opened: {describe(incident)}", now)
        if before_hooks is not None:
            before_hooks(incident)
        self._start_escalation(incident)
        for hook in hooks.registered():
            hook.opened(self, incident)
        return incident

    def _assign_roles(self, incident: IncidentRow) -> None:
        now = self.clock.now()
        for role, source in self.rc.roles.items():
            if source.types is not None and incident.type not in source.types:
                continue
            person = source.person or (
                who_is_on_call(self.session, self.rc, source.schedule, now)
                if source.schedule
                else None
            )
            if person is None:
                continue
            self._set_role(incident, role, person, "tripwire", "from on-call at open")
            if source.page_at_open:
                self.page(incident, f"person:{person}", f"{role.replace('_', ' ')} at open")

    def _start_escalation(self, incident: IncidentRow) -> None:
        name = self._policy_name(incident)
        if name is None:
            return
        step = first_step(self.rc.escalation_policies[name], self.clock.now())
        incident.policy = name
        incident.next_escalation_at = step.next_at
        self.page_level(incident, 0, 0)

    def _policy_name(self, incident: IncidentRow) -> str | None:
        use_case = self.rc.use_cases.get(incident.use_case or "")
        name = (
            use_case.escalation_policy if use_case else None
        ) or self.rc.default_escalation_policy
        return name if name in self.rc.escalation_policies else None

    # -- paging ------------------------------------------------------------------------------

    def page_level(self, incident: IncidentRow, level: int, round_: int) -> None:
        assert incident.policy is not None
        policy = self.rc.escalation_policies[incident.policy]
        incident.escalation_level, incident.escalation_round = level, round_
        reason = f"escalation level {level + 1}" + (f", round {round_ + 1}" if round_ else "")
        for target in policy.levels[level].targets:
            self.page(incident, target, reason)

    def page(self, incident: IncidentRow, target: str, reason: str, actor: str = "tripwire") -> int:
        """Page a target (`person:X`, `schedule:X` or `role:X`); returns how many people."""
        now = self.clock.now()
        found = resolve_target(self.session, self.rc, incident, target, now)
        if not found.people:
            self.log(incident, "page_failed", f"Could not page {target}: {found.problem}", actor)
            return 0
        for person in found.people:
            channels = self.pager.page_person(incident, person, reason, now)
            via = ", ".join(channels) if channels else "no channel configured"
            data = {"person": person, "target": target, "channels": channels, "reason": reason}
            self.log(incident, "page", f"Paged {person} ({reason}) via {via}", actor, data)
        return len(found.people)

    def page_role(self, ident: str | int, role: str, reason: str, actor: str = "tripwire") -> int:
        return self.page(self.get(ident), f"role:{role}", reason, actor)

    # -- status ------------------------------------------------------------------------------

    def transition(
        self,
        ident: str | int,
        action: Action,
        actor: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> IncidentRow:
        incident = self.get(ident)
        self._check_version(incident, expected_version)
        old = incident.status
        state = Lifecycle(
            incident.status,  # type: ignore[arg-type]
            incident.version,
            incident.detected_at,
            incident.acknowledged_at,
            incident.mitigated_at,
            incident.resolved_at,
            incident.closed_at,
        )
        try:
            new = apply(
                state,
                action,
                self.clock.now(),
                incident.severity,  # type: ignore[arg-type]
                incident.review_done,
            )
        except IllegalTransition as exc:
            raise Conflict(f"{incident_id(incident.number)}: {exc}") from None
        incident.status = new.status
        incident.acknowledged_at, incident.mitigated_at = new.acknowledged_at, new.mitigated_at
        incident.resolved_at, incident.closed_at = new.resolved_at, new.closed_at
        incident.next_escalation_at = None  # any step past triggered stops the escalation
        text = f"{new.status.capitalize()} by {actor}" + (f": {note}" if note else "")
        self.log(incident, new.status, text, actor, {"from": old, "to": new.status})
        self.pager.broadcast(
            incident, EVENT_OF[action], text + f". {describe(incident)}", self.clock.now()
        )
        for hook in hooks.registered():
            hook.status_changed(self, incident, old, new.status)
        return incident

    def acknowledge(self, ident: str | int, actor: str, note: str | None = None) -> IncidentRow:
        return self.transition(ident, "acknowledge", actor, note)

    def mitigate(self, ident: str | int, actor: str, note: str | None = None) -> IncidentRow:
        return self.transition(ident, "mitigate", actor, note)

    def resolve(self, ident: str | int, actor: str, note: str | None = None) -> IncidentRow:
        return self.transition(ident, "resolve", actor, note)

    def close(self, ident: str | int, actor: str, note: str | None = None) -> IncidentRow:
        return self.transition(ident, "close", actor, note)

    def mark_review_done(
        self, ident: str | int, actor: str, link: str | None = None
    ) -> IncidentRow:
        """The post-incident review (post-mortem) is done: P0/P1 incidents may now close."""
        incident = self.get(ident)
        incident.review_done = True
        self.log(
            incident,
            "review_done",
            f"Post-incident review marked done by {actor}",
            actor,
            {"link": link} if link else {},
        )
        return incident

    def _check_version(self, incident: IncidentRow, expected: int | None) -> None:
        if expected is not None and expected != incident.version:
            raise Conflict(
                f"{incident_id(incident.number)} changed (version {incident.version}, you had "
                f"{expected}); reload and try again"
            )

    # -- severity ----------------------------------------------------------------------------

    def set_severity(
        self, ident: str | int, severity: Severity, reason: str, actor: str
    ) -> IncidentRow:
        if severity not in SEVERITIES:
            raise Conflict(f"unknown severity {severity!r}; choose from {', '.join(SEVERITIES)}")
        incident = self.get(ident)
        if incident.severity == severity:
            return incident
        old = incident.severity
        incident.severity = severity
        incident.severity_reasons = [reason]
        text = f"Severity {old} -> {severity} by {actor}: {reason}"
        self.log(
            incident,
            "severity_changed",
            text,
            actor,
            {"from": old, "to": severity, "reason": reason},
        )
        self.pager.broadcast(incident, "incident.severity_changed", text, self.clock.now())
        return incident

    def raise_severity_if(self, incident: IncidentRow, facts: Facts) -> None:
        """Re-run the rules; severity only rises automatically (people may lower it)."""
        judged = assess(self.rc, facts)
        if rank(judged.severity) < rank(incident.severity):  # type: ignore[arg-type]
            self.set_severity(incident.number, judged.severity, judged.because(), "tripwire")

    # -- roles, notes, updates, tasks, flags -------------------------------------------------

    def assign_role(self, ident: str | int, role: str, person: str, actor: str) -> IncidentRow:
        if role not in ROLES:
            raise Conflict(f"unknown role {role!r}; choose from {', '.join(ROLES)}")
        incident = self.get(ident)
        self._set_role(incident, role, person, actor, f"set by {actor}")
        return incident

    def _set_role(
        self, incident: IncidentRow, role: str, person: str, actor: str, why: str
    ) -> None:
        row = self.session.get(RoleRow, (incident.number, role))
        if row is None:
            row = RoleRow(
                incident=incident.number, role=role, person=person, assigned_at=self.clock.now()
            )
            self.session.add(row)
        elif row.person == person:
            return
        else:
            row.person, row.assigned_at = person, self.clock.now()
        label = role.replace("_", " ")
        self.log(
            incident,
            "role",
            f"{person} is {label} ({why})",
            actor,
            {"role": role, "person": person},
        )

    def add_note(self, ident: str | int, text: str, actor: str) -> TimelineRow:
        return self.log(self.get(ident), "note", text, actor)

    def post_update(
        self, ident: str | int, text: str, actor: str, stage: str | None = None
    ) -> TimelineRow:
        """A status update for people following the incident (status page, channels)."""
        incident = self.get(ident)
        entry = self.log(incident, "update", text, actor, {"stage": stage} if stage else {})
        self.pager.broadcast(
            incident,
            "incident.updated",
            f"Update on {describe(incident)}: {text}",
            self.clock.now(),
        )
        return entry

    def add_evidence(
        self, ident: str | int, text: str, data: dict[str, Any], actor: str = "tripwire"
    ) -> TimelineRow:
        return self.log(self.get(ident), "evidence", text, actor, data)

    def record_flag_flip(
        self, ident: str | int, flag: str, old: Any, new: Any, actor: str, reason: str
    ) -> TimelineRow:
        data = {"flag": flag, "from": old, "to": new, "reason": reason}
        text = f"Flag {flag} set from {old!r} to {new!r} by {actor}: {reason}"
        return self.log(self.get(ident), "flag_flip", text, actor, data)

    def set_suspects(self, ident: str | int, suspects: list[dict[str, Any]]) -> IncidentRow:
        """Change attribution's ranking, best first (see CONTRACT 3.3 `suspects`)."""
        incident = self.get(ident)
        incident.suspects = list(suspects)
        top = suspects[0].get("change_id") if suspects else None
        text = f"{len(suspects)} suspect change(s) ranked" + (f"; top: {top}" if top else "")
        self.log(incident, "suspects", text, "tripwire", {"count": len(suspects)})
        return incident

    def is_open(self, ident: str | int) -> bool:
        return is_open(self.get(ident).status)
