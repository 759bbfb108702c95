"""What playbooks, rollbacks and flag flips need from the incident service.

The incident service (timeline, tasks, paging) belongs to respond; playbooks talk to it only
through this protocol, so the engine is testable with any implementation and the incident code
never depends on playbooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Signal:
    """One signal of an incident: `metric` names what moved, in its own units."""

    monitor: str
    metric: str
    baseline: float | None = None
    observed: float | None = None


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What playbooks and attribution read about an incident."""

    id: str
    type: str
    severity: str
    status: str
    use_case: str | None
    started_at: datetime
    detected_at: datetime
    title: str = ""
    signals: Sequence[Signal] = field(default_factory=tuple)


class IncidentService(Protocol):
    """The incident operations a playbook uses; every call joins the caller's transaction."""

    def open_incidents(self) -> list[IncidentFacts]:
        """Incidents not yet resolved or closed."""

    def incident(self, incident_id: str) -> IncidentFacts | None: ...

    def add_timeline(
        self, incident_id: str, kind: str, text: str, *, actor: str, data: dict[str, Any]
    ) -> None:
        """Append an entry to the incident's timeline."""

    def create_task(
        self,
        incident_id: str,
        title: str,
        *,
        role: str,
        due_at: datetime | None,
        description: str,
    ) -> str:
        """Create a task owned by the holder of `role`; returns the task id."""

    def task_done_at(self, task_id: str) -> datetime | None:
        """When the task was completed, or None while it is open."""

    def page(
        self, incident_id: str, roles: Sequence[str], reason: str, *, repeat: bool = False
    ) -> list[str]:
        """Page whoever holds each role (or `schedule:X`, `person:X`) through the outbox;
        people already paged for this incident are skipped unless `repeat`. Returns who was
        paged."""

    def notify_groups(
        self,
        incident_id: str,
        groups: Sequence[str],
        reason: str,
        *,
        due_at: datetime | None,
        escalate_to: str | None,
    ) -> list[str]:
        """Tell the members of stakeholder `groups` (respond.stakeholders), each with an
        acknowledge link; with `due_at`, their acknowledgement is a deadline that pages
        `escalate_to` and the groups' escalation contacts when missed. Returns who was told
        (empty: the groups have no members). LookupError names an unknown group."""

    def set_suspects(self, incident_id: str, suspects: list[dict[str, Any]]) -> None:
        """Store the ranked suspects (`suspects` in docs/attribution.md)."""
