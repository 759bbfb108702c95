"""Respond's IncidentService seen through the playbooks' protocol (service.IncidentService)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tripwire.domain.incidents import OPEN_STATUSES
from tripwire.respond import queries, stakeholders, work
from tripwire.respond.core import Conflict
from tripwire.respond.ids import incident_id
from tripwire.respond.paging import resolve_target
from tripwire.respond.playbooks.service import IncidentFacts, Signal
from tripwire.respond.routing import route_page
from tripwire.respond.service import IncidentService
from tripwire.store.tables.respond import IncidentRow, TaskRow


class RespondIncidents:
    """Implements the playbooks' IncidentService protocol on respond's service."""

    def __init__(self, service: IncidentService) -> None:
        self.service = service

    def open_incidents(self) -> list[IncidentFacts]:
        query = select(IncidentRow).where(IncidentRow.status.in_(OPEN_STATUSES))
        return [self.facts(r) for r in self.service.session.scalars(query)]

    def incident(self, ident: str) -> IncidentFacts | None:
        row = queries.get_incident(self.service.session, ident)
        return None if row is None else self.facts(row)

    def facts(self, row: IncidentRow) -> IncidentFacts:
        signals = [
            Signal(s.monitor, s.metric, s.baseline, s.observed)
            for s in queries.signals(self.service.session, row.number)
        ]
        return IncidentFacts(
            id=incident_id(row.number),
            type=row.type,
            severity=row.severity,
            status=row.status,
            use_case=row.use_case,
            started_at=row.started_at,
            detected_at=row.detected_at,
            title=row.title,
            signals=tuple(signals),
        )

    def add_timeline(
        self, ident: str, kind: str, text: str, *, actor: str, data: dict[str, Any]
    ) -> None:
        self.service.log(self.service.get(ident), kind, text, actor, data)

    def create_task(
        self,
        ident: str,
        title: str,
        *,
        role: str,
        due_at: datetime | None,
        description: str,
    ) -> str:
        task = work.add_task(
            self.service,
            ident,
            title,
            source="playbook",
            role=role,
            due_at=due_at,
            data={"why": description} if description else {},
            actor="playbook",
        )
        return str(task.id)

    def task_done_at(self, task_id: str) -> datetime | None:
        task = (
            self.service.session.get(TaskRow, int(task_id))
            if task_id.isascii() and task_id.isdigit()
            else None
        )
        return task.done_at if task is not None and task.status == "done" else None

    def page(
        self, ident: str, roles: Sequence[str], reason: str, *, repeat: bool = False
    ) -> list[str]:
        incident = self.service.get(ident)
        session, now = self.service.session, self.service.clock.now()
        already = {
            str(e.data.get("person"))
            for e in queries.timeline(session, incident.number)
            if e.kind == "page" and isinstance(e.data, dict)
        }
        paged: list[str] = []
        for role in roles:
            target = role if ":" in role else f"role:{role}"
            people = resolve_target(session, self.service.rc, incident, target, now).people
            if not repeat and people and set(people) <= already:
                continue  # respond already paged them when the incident opened
            if route_page(self.service, incident, target, reason, "playbook"):
                paged.extend(people)
                already.update(people)
        return paged

    def notify_groups(
        self,
        ident: str,
        groups: Sequence[str],
        reason: str,
        *,
        due_at: datetime | None,
        escalate_to: str | None,
    ) -> list[str]:
        incident = self.service.get(ident)
        try:
            told = stakeholders.notify_groups(
                self.service, incident, groups, reason, due_at=due_at, escalate_to=escalate_to
            )
        except Conflict as exc:
            raise LookupError(str(exc)) from None
        return told.people

    def set_suspects(self, ident: str, suspects: list[dict[str, Any]]) -> None:
        self.service.set_suspects(ident, suspects)
