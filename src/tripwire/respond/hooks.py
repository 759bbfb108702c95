"""Extension points on the incident lifecycle, for the parts of respond built on top of the
service (change attribution, playbooks). A hook gets the service, so it can add tasks,
timeline entries, deadlines, suspects and page roles within the same transaction.

Hooks are handed to IncidentService by the composition root (`tripwire.runtime`); there is no
global registry, so two runtimes in one process (tests, the demo) never share hooks.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tripwire.respond.service import IncidentService
    from tripwire.store.tables.respond import IncidentRow


class IncidentHook(Protocol):
    """Called inside the transaction that made the change; exceptions propagate (the change
    and the hook's work commit or roll back together)."""

    name: str

    def opened(self, service: IncidentService, incident: IncidentRow) -> None: ...

    def status_changed(
        self, service: IncidentService, incident: IncidentRow, old: str, new: str
    ) -> None: ...

    def tick(self, service: IncidentService) -> None: ...

    def next_due(self, service: IncidentService) -> datetime | None:
        """When `tick` next has something to do; None when nothing is scheduled."""
        ...


class ChangeHook(Protocol):
    """Optional: a hook with `changed` hears when an incident's type or severity changes
    (`what` is "type" or "severity"), in the transaction that changed it."""

    def changed(
        self, service: IncidentService, incident: IncidentRow, what: str, old: str, new: str
    ) -> None: ...
