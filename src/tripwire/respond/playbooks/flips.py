"""Flag changes made by a person or a playbook, recorded on the incident they belong to."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tripwire.domain.clock import Clock
from tripwire.flags import service as flags
from tripwire.respond.playbooks.service import IncidentService


def change_flag(
    session: Session,
    clock: Clock,
    key: str,
    fields: dict[str, Any] | None,
    actor: flags.Actor,
    *,
    incidents: IncidentService | None = None,
) -> flags.FlagUpdate:
    """Apply `fields` to the flag (None: hit its kill switch) and, when `actor.incident_id` is
    set and `incidents` given, put the change on that incident's timeline in the same
    transaction.

    Raises FlagNotFound, FlagInvalid, or LookupError when the incident does not exist.
    """
    now = clock.now()
    incident_id = actor.incident_id
    if incidents and incident_id and incidents.incident(incident_id) is None:
        raise LookupError(f"no incident {incident_id!r}")
    if fields is None:
        update = flags.kill_flag(session, key, actor, now)
    else:
        update = flags.put_flag(session, key, fields, actor, now)
    if incidents is not None and actor.incident_id is not None and update.changed:
        record_flip(incidents, actor.incident_id, update, actor, killed=fields is None)
    return update


def record_flip(
    incidents: IncidentService,
    incident_id: str,
    update: flags.FlagUpdate,
    actor: flags.Actor,
    *,
    killed: bool = False,
) -> None:
    old = update.old.value if update.old else None
    new = update.new
    what = "kill switch" if killed or new.killed else "flag"
    text = f"{actor.name} set {what} {new.key}: {_show(old)} -> {_show(new.value)}"
    if actor.reason:
        text += f" ({actor.reason})"
    incidents.add_timeline(
        incident_id,
        "kill_switch" if killed or new.killed else "flag_change",
        text,
        actor=actor.name,
        data={"flag": new.key, "old": old, "new": new.value, "version": new.version},
    )


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "(none)" if value is None else str(value)
