"""The base of IncidentService: its transaction, clock and config, finding incidents and
writing the timeline (every entry is a change, so the version grows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.config.respond import RespondConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import Clock
from tripwire.respond import queries
from tripwire.respond.exposure import ExposureOf, exposure
from tripwire.respond.hooks import IncidentHook
from tripwire.respond.paging import Pager
from tripwire.store.tables.respond import IncidentRow, TimelineRow


class NotFound(LookupError):
    """No incident with that id."""


class Conflict(ValueError):
    """The change is not allowed now (illegal transition, stale version, unknown name)."""


class ServiceCore:
    """Bound to one transaction (`session`) and the injected clock. Built by the composition
    root (`Runtime.incidents`), which hands it the process's hooks."""

    def __init__(
        self,
        session: Session,
        clock: Clock,
        config: TripwireConfig,
        settings: Settings,
        *,
        hooks: Sequence[IncidentHook] = (),
        exposure_of: ExposureOf = exposure,
    ) -> None:
        self.session = session
        self.hooks = tuple(hooks)
        self.exposure_of = exposure_of  # replay passes an ExposureMemo
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
