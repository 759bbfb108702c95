"""IncidentService: every change to an incident, for detectors, people and webhooks alike.

Each change bumps the incident's version, appends to its timeline and writes the
notifications it causes to the outbox, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tripwire.domain.incidents import (
    Action,
    IllegalTransition,
    IncidentType,
    Lifecycle,
    Severity,
    apply,
    rank,
)
from tripwire.respond import queries
from tripwire.respond.acks import add_ack
from tripwire.respond.closing import close_refused
from tripwire.respond.core import Conflict, NotFound
from tripwire.respond.escalation import first_step
from tripwire.respond.ids import incident_id
from tripwire.respond.paging import describe, resolve_target, who_is_on_call
from tripwire.respond.records import Records
from tripwire.respond.routing import route_open, route_page
from tripwire.respond.severity import (
    Assessment,
    Facts,
    assess,
    criticality_of,
    held,
    hint_reason,
)
from tripwire.store.tables.respond import IncidentRow

__all__ = ["Conflict", "IncidentService", "NewIncident", "NotFound"]

EVENT_OF: dict[Action, str] = {
    "acknowledge": "incident.acknowledged",
    "mitigate": "incident.mitigated",
    "resolve": "incident.resolved",
    "close": "incident.closed",
}


@dataclass(frozen=True, slots=True)
class NewIncident:
    type: IncidentType
    title: str
    use_case: str | None
    started_at: datetime
    detected_at: datetime
    source: str = "manual"
    severity: Severity | None = None  # chosen by a person: the rules do not apply
    severity_hint: Severity | None = None  # the detector's estimate: the rules may raise it
    type_reason: str | None = None
    join_key: str | None = None
    magnitude: float | None = None
    exposed_users: int = 0
    exposed_outputs: int = 0
    confirmed: bool = True  # False: one detector stream's alert, not yet confirmed
    events: float | None = None  # what that alert's rate counted (None: not a count)
    signals: frozenset[str] = frozenset()  # the kinds of the detector signals behind it
    confirm_in: float | None = None  # minutes its detector needs to confirm it, if real


class IncidentService(Records):
    """Every change to an incident; see Records and ServiceCore for the rest of its methods."""

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
        facts = Facts(
            new.type,
            criticality,
            new.magnitude,
            new.exposed_users,
            new.exposed_outputs,
            new.confirmed,
            new.events,
            new.signals,
            new.confirm_in,
        )
        severity, reasons = self._opening_severity(new, assess(self.rc, facts), actor)
        if new.severity is None:  # the evidence holds the rules and the hint alike
            kept = held(self.rc, facts, Assessment(severity, tuple(reasons)))
            severity, reasons = kept.severity, list(kept.reasons)
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
            type_reason=new.type_reason,
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
        typed = f"; {new.type}: {new.type_reason}" if new.type_reason else ""
        data = {"type": new.type, "type_reason": new.type_reason} if new.type_reason else {}
        self.log(incident, "opened", f"Opened as {severity} ({because}){typed}", actor, data)
        self._assign_roles(incident)
        self.pager.broadcast(incident, "incident.opened", f"Opened: {describe(incident)}", now)
        if before_hooks is not None:
            before_hooks(incident)
        route_open(self, incident)  # page now, in working hours, or only in the digest
        for hook in self.hooks:
            hook.opened(self, incident)
        return incident

    @staticmethod
    def _opening_severity(
        new: NewIncident, judged: Assessment, actor: str
    ) -> tuple[Severity, list[str]]:
        """A person's choice stands; otherwise the written rules apply at open, and the
        detector's estimate of the change only counts when it is more severe."""
        if new.severity:
            return new.severity, [f"set by {actor}"]
        hint = new.severity_hint
        if hint is not None and rank(hint) < rank(judged.severity):
            return hint, [hint_reason(actor)]
        return judged.severity, list(judged.reasons)

    def fill_type_roles(self, incident: IncidentRow) -> None:
        """The type changed: fill the roles kept for the new type that nobody holds yet (the
        safety lead of an incident that became a safety incident), paging as at open."""
        held = {r.role for r in queries.roles(self.session, incident.number)}
        self._assign_roles(incident, only_typed=True, skip=held)

    def _assign_roles(
        self, incident: IncidentRow, only_typed: bool = False, skip: set[str] | None = None
    ) -> None:
        now = self.clock.now()
        for role, source in self.rc.roles.items():
            if source.types is not None and incident.type not in source.types:
                continue
            if (only_typed and source.types is None) or role in (skip or set()):
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
                reason = f"{role.replace('_', ' ')} at open"
                route_page(self, incident, f"person:{person}", reason, "tripwire")

    def start_escalation(self, incident: IncidentRow) -> None:
        name = self.policy_name(incident)
        if name is None:
            return
        step = first_step(self.rc.escalation_policies[name], self.clock.now())
        incident.policy = name
        incident.next_escalation_at = step.next_at
        self.page_level(incident, 0, 0)

    def policy_name(self, incident: IncidentRow) -> str | None:
        """The severity's policy (`urgency.severities`), else the use case's, else the default."""
        use_case = self.rc.use_cases.get(incident.use_case or "")
        name = (
            self.rc.urgency.route(incident.severity).escalation_policy
            or (use_case.escalation_policy if use_case else None)
            or self.rc.default_escalation_policy
        )
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

    def severity_raised(self, incident: IncidentRow, old: str) -> None:
        """Page the people of the new severity: the current escalation level hears that the
        incident got worse (the paging policy may page more people per severity)."""
        if incident.policy is None or incident.policy not in self.rc.escalation_policies:
            return
        policy = self.rc.escalation_policies[incident.policy]
        level = min(incident.escalation_level, len(policy.levels) - 1)
        reason = f"severity raised {old} -> {incident.severity}"
        for target in policy.levels[level].targets:
            self.page(incident, target, reason)

    # -- status ------------------------------------------------------------------------------

    def reopen(self, incident: IncidentRow, reason: str) -> None:
        """The problem is back: an incident Tripwire mitigated or resolved by itself because
        its signals cleared returns to triggered (acknowledged if someone had), and its
        escalation starts again when nobody has acknowledged it."""
        old = incident.status
        back = "acknowledged" if incident.acknowledged_at else "triggered"
        now = self.clock.now()
        incident.status, incident.mitigated_at, incident.resolved_at = back, None, None
        incident.reassess_at = now + self.rc.severity.reassess_every
        self.log(incident, "reopened", f"Reopened: {reason}", "tripwire", {"from": old, "to": back})
        self.pager.broadcast(incident, "incident.updated", f"Reopened: {describe(incident)}", now)
        if back == "triggered":
            self.start_escalation(incident)
        for hook in self.hooks:
            hook.status_changed(self, incident, old, back)

    def transition(
        self,
        ident: str | int,
        action: Action,
        actor: str,
        note: str | None = None,
        expected_version: int | None = None,
        via: str = "api",
        channel: str | None = None,
    ) -> IncidentRow:
        """`via` (api, ui, cli, link) and the `channel` that carried a link are recorded with
        an acknowledgement."""
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
        if action == "close" and (why := close_refused(self.session, incident, self.config.learn)):
            raise Conflict(why)
        incident.status = new.status
        incident.acknowledged_at, incident.mitigated_at = new.acknowledged_at, new.mitigated_at
        incident.resolved_at, incident.closed_at = new.resolved_at, new.closed_at
        incident.next_escalation_at = None  # any step past triggered stops the escalation
        text = f"{new.status.capitalize()} by {actor}" + (f": {note}" if note else "")
        acked = action == "acknowledge"
        data = {"from": old, "to": new.status} | ({"via": via, "channel": channel} if acked else {})
        self.log(incident, new.status, text, actor, data)
        if acked:
            add_ack(self.session, incident.number, actor, self.clock.now(), via, channel)
        self.pager.broadcast(
            incident, EVENT_OF[action], text + f". {describe(incident)}", self.clock.now()
        )
        for hook in self.hooks:
            hook.status_changed(self, incident, old, new.status)
        return incident

    def acknowledge(
        self,
        ident: str | int,
        actor: str,
        note: str | None = None,
        via: str = "api",
        channel: str | None = None,
    ) -> IncidentRow:
        return self.transition(ident, "acknowledge", actor, note, via=via, channel=channel)

    def mitigate(self, ident: str | int, actor: str, note: str | None = None) -> IncidentRow:
        return self.transition(ident, "mitigate", actor, note)

    def resolve(self, ident: str | int, actor: str, note: str | None = None) -> IncidentRow:
        return self.transition(ident, "resolve", actor, note)

    def close(self, ident: str | int, actor: str, note: str | None = None) -> IncidentRow:
        return self.transition(ident, "close", actor, note)

    def _check_version(self, incident: IncidentRow, expected: int | None) -> None:
        if expected is not None and expected != incident.version:
            raise Conflict(
                f"{incident_id(incident.number)} changed (version {incident.version}, you had "
                f"{expected}); reload and try again"
            )
