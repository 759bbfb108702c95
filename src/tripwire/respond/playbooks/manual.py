"""A person rolls back a suspect change from the incident (the same rollback the playbook
does automatically, recorded with who asked and why)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tripwire.config.file import TripwireConfig
from tripwire.domain.clock import Clock
from tripwire.respond.attribution.query import load_change
from tripwire.respond.playbooks import rollback
from tripwire.respond.playbooks.service import IncidentService
from tripwire.store.tables.flags import RollbackRow


def roll_back_suspect(
    session: Session,
    clock: Clock,
    config: TripwireConfig,
    incidents: IncidentService,
    incident_id: str,
    change_id: str,
    who: str,
    reason: str,
) -> RollbackRow:
    """Roll `change_id` back for the incident. Raises rollback.RollbackError (404 when the
    incident or change does not exist; 409 when the change has no usable handle)."""
    facts = incidents.incident(incident_id)
    if facts is None:
        raise rollback.RollbackError(f"no incident {incident_id!r}", 404)
    change = load_change(session, change_id)
    if change is None:
        raise rollback.RollbackError(f"no change {change_id!r} in the deployment log", 404)
    row = rollback.apply(session, clock, config, incidents, facts, change)
    how = f"flag {row.flag_key} set back" if row.flag_key else "rollback webhook called"
    incidents.add_timeline(
        incident_id,
        "rollback",
        f"{who} rolled back {change.id} ({change.kind} {change.version}): {how}; {reason}",
        actor=who,
        data={"rollback_id": row.id, "change_id": change.id, "reason": reason},
    )
    return row
