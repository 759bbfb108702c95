"""Playbooks on the incident lifecycle: respond calls this hook when an incident opens, when
its type or severity changes, and on every tick of its clock (see tripwire.respond.hooks)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tripwire.respond.playbooks import followup
from tripwire.respond.playbooks.adapter import RespondIncidents
from tripwire.respond.playbooks.engine import RERANK_EVERY, RERANK_FOR, Engine
from tripwire.respond.playbooks.extend import extend
from tripwire.store import playbooks as store

if TYPE_CHECKING:
    from tripwire.respond.service import IncidentService
    from tripwire.store.tables.respond import IncidentRow


class PlaybookHook:
    """Starts the incident type's playbook at open; on ticks judges deadlines, confirms
    rollbacks and ranks suspects again."""

    name = "playbooks"

    def opened(self, service: IncidentService, incident: IncidentRow) -> None:
        if not service.config.playbooks.enabled:
            return
        incidents = RespondIncidents(service)
        engine = Engine(service.session, service.clock, service.config, incidents)
        engine.start(incidents.facts(incident))

    def status_changed(
        self, service: IncidentService, incident: IncidentRow, old: str, new: str
    ) -> None:
        return None

    def changed(
        self, service: IncidentService, incident: IncidentRow, what: str, old: str, new: str
    ) -> None:
        """The type or severity changed: add and run the steps the new one calls for."""
        if not service.config.playbooks.enabled:
            return
        incidents = RespondIncidents(service)
        engine = Engine(service.session, service.clock, service.config, incidents)
        extend(engine, incidents.facts(incident), f"{what} {old} -> {new}")

    def tick(self, service: IncidentService) -> None:
        engine = Engine(service.session, service.clock, service.config, RespondIncidents(service))
        engine.judge_deadlines()
        followup.confirm_rollbacks(engine)
        followup.rerank(engine)

    def next_due(self, service: IncidentService) -> datetime | None:
        """When `tick` next has something to do (replay skips the ticks before it)."""
        return store.next_due(service.session, service.clock.now(), RERANK_EVERY, RERANK_FOR)


HOOK = PlaybookHook()
