"""Reading what the status page shows from the store."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tripwire.communicate.statuspage import IncidentFacts, PublicUpdate
from tripwire.respond.ids import incident_id
from tripwire.store.tables.events import EventRow
from tripwire.store.tables.respond import IncidentRow, TimelineRow

OPEN = ("triggered", "acknowledged", "mitigated")


def use_cases(session: Session) -> list[str]:
    """Every use case seen in telemetry or in an incident."""
    seen = set(session.scalars(select(EventRow.use_case).distinct()))
    seen |= set(session.scalars(select(IncidentRow.use_case).distinct()))
    return sorted(u for u in seen if u)


def recent_incidents(session: Session, now: datetime, window: timedelta) -> list[IncidentFacts]:
    """Open incidents, and those resolved within `window` before `now`, newest first."""
    rows = list(
        session.scalars(
            select(IncidentRow)
            .where(or_(IncidentRow.status.in_(OPEN), IncidentRow.resolved_at >= now - window))
            .order_by(IncidentRow.detected_at.desc())
            .limit(200)
        )
    )
    updates = _updates(session, [r.number for r in rows])
    return [
        IncidentFacts(
            id=incident_id(r.number),
            title=r.title,
            type=r.type,
            severity=r.severity,
            status=r.status,
            use_case=r.use_case,
            detected_at=r.detected_at,
            updated_at=r.updated_at,
            resolved_at=r.resolved_at,
            updates=tuple(updates.get(r.number, [])),
        )
        for r in rows
    ]


def _updates(session: Session, numbers: list[int]) -> dict[int, list[PublicUpdate]]:
    if not numbers:
        return {}
    entries = session.scalars(
        select(TimelineRow)
        .where(TimelineRow.incident.in_(numbers), TimelineRow.kind == "update")
        .order_by(TimelineRow.seq)
    )
    found: dict[int, list[PublicUpdate]] = {}
    for e in entries:
        stage = (e.data or {}).get("stage")
        found.setdefault(e.incident, []).append(
            PublicUpdate(f"upd-{e.seq}", stage if isinstance(stage, str) else None, e.text, e.at)
        )
    return found
