"""Who is on call now and next, as JSON for the API and CLI."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tripwire.config.respond import RespondConfig
from tripwire.domain.clock import isoformat_z
from tripwire.respond import queries
from tripwire.respond.oncall import Cover, Shift, all_covers, on_call, upcoming
from tripwire.store.tables.respond import OverrideRow


def _covers(session: Session, config: RespondConfig, name: str, after: datetime) -> list[Cover]:
    stored = [Cover(o.person, o.start, o.end) for o in queries.overrides(session, name, after)]
    return all_covers(config.schedules[name], stored)


def _shift(shift: Shift | None) -> dict[str, Any] | None:
    if shift is None:
        return None
    return {
        "person": shift.person,
        "start": isoformat_z(shift.start),
        "end": isoformat_z(shift.end) if shift.end else None,
        "source": shift.source,
    }


def now_on_call(session: Session, config: RespondConfig, at: datetime) -> dict[str, Any]:
    schedules = []
    for name, schedule in config.schedules.items():
        covers = _covers(session, config, name, at - timedelta(days=1))
        shift = on_call(schedule, covers, at)
        schedules.append(
            {"schedule": name, "time_zone": schedule.time_zone, "on_call": _shift(shift)}
        )
    roles = {
        role: {"schedule": src.schedule, "person": src.person, "types": src.types}
        for role, src in config.roles.items()
    }
    return {"at": isoformat_z(at), "schedules": schedules, "roles": roles}


def shifts(
    session: Session, config: RespondConfig, name: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    covers = _covers(session, config, name, start)
    return [
        s for s in (_shift(x) for x in upcoming(config.schedules[name], covers, start, end)) if s
    ]


def add_override(
    session: Session,
    config: RespondConfig,
    name: str,
    person: str,
    start: datetime,
    end: datetime,
    by: str,
    now: datetime,
) -> OverrideRow:
    """Store an override; ValueError when the schedule or person is unknown or times are off."""
    if name not in config.schedules:
        raise ValueError(
            f"no schedule {name!r}; configured: {', '.join(config.schedules) or 'none'}"
        )
    if person not in config.people:
        raise ValueError(f"no person {person!r} in respond.people")
    if end <= start:
        raise ValueError("end must be after start")
    row = OverrideRow(
        schedule=name, person=person, start=start, end=end, created_by=by, created_at=now
    )
    session.add(row)
    session.flush()
    return row
