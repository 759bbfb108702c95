"""What people and playbooks add to an incident besides its status: severity changes with
their reasons, roles, notes, status updates, evidence, flag flips, suspects, the review."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from tripwire.config.respond import ROLES
from tripwire.domain.incidents import (
    INCIDENT_TYPES,
    SEVERITIES,
    Severity,
    is_open,
    rank,
    severity_change_refused,
)
from tripwire.respond.core import Conflict, ServiceCore
from tripwire.respond.paging import describe
from tripwire.respond.routing import page_for_severity
from tripwire.respond.severity import Assessment, Facts, assess, held, hint_reason
from tripwire.store.tables.respond import IncidentRow, RoleRow, TimelineRow

if TYPE_CHECKING:
    from tripwire.respond.service import IncidentService


class Records(ServiceCore):
    """Timeline-writing changes shared by every source of incidents."""

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

    # -- severity ----------------------------------------------------------------------------

    def set_severity(
        self, ident: str | int, severity: Severity, reason: str, actor: str
    ) -> IncidentRow:
        if severity not in SEVERITIES:
            raise Conflict(f"unknown severity {severity!r}; choose from {', '.join(SEVERITIES)}")
        incident = self.get(ident)
        if incident.severity == severity:
            return incident
        refused = severity_change_refused(incident.status, severity, incident.review_done)  # type: ignore[arg-type]
        if refused:
            raise Conflict(refused)
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
        page_for_severity(cast("IncidentService", self), incident, old, severity)
        self.changed(incident, "severity", old, severity)
        return incident

    def set_type(self, ident: str | int, kind: str, actor: str, reason: str) -> IncidentRow:
        """A person reclassifies the incident; playbooks add the steps of the new type."""
        if kind not in INCIDENT_TYPES:
            raise Conflict(f"unknown type {kind!r}; choose from {', '.join(INCIDENT_TYPES)}")
        incident = self.get(ident)
        if incident.type == kind:
            return incident
        old = incident.type
        incident.type, incident.type_reason = kind, reason
        data = {"from": old, "to": kind, "reason": reason}
        self.log(
            incident, "type_changed", f"Type {old} -> {kind} by {actor}: {reason}", actor, data
        )
        self.changed(incident, "type", old, kind)
        return incident

    def severity_raised(self, incident: IncidentRow, old: str) -> None:
        """Page the people of the new severity (IncidentService pages; nothing here)."""

    def changed(self, incident: IncidentRow, what: str, old: str, new: str) -> None:
        """The type or severity changed: hooks that care (playbooks) add the new steps."""
        for hook in self.hooks:
            on_change = getattr(hook, "changed", None)
            if on_change is not None:
                on_change(self, incident, what, old, new)

    def raise_severity_if(
        self,
        incident: IncidentRow,
        facts: Facts,
        hint: Severity | None = None,
        hint_source: str = "detector",
    ) -> None:
        """Re-run the rules (held at the evidence's ceiling); severity only rises
        automatically (people may lower it). `hint`, the severity `hint_source` estimated
        (the detector from the size of the change, PagerDuty from the sender's severity),
        counts as at open: when it is more severe than the rules."""
        judged = assess(self.rc, facts)
        if hint is not None and rank(hint) < rank(judged.severity):
            judged = Assessment(hint, (hint_reason(hint_source),))
        judged = held(self.rc, facts, judged)
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
        """Change attribution's ranking, best first (`suspects` in docs/attribution.md)."""
        incident = self.get(ident)
        incident.suspects = list(suspects)
        top = suspects[0].get("change_id") if suspects else None
        text = f"{len(suspects)} suspect change(s) ranked" + (f"; top: {top}" if top else "")
        self.log(incident, "suspects", text, "tripwire", {"count": len(suspects)})
        return incident

    def is_open(self, ident: str | int) -> bool:
        return is_open(self.get(ident).status)
