"""Reading what the status page shows from the store: only the public tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tripwire.communicate.statuspage import Maintenance, PublicIncident, PublicUpdate
from tripwire.store.tables.events import EventRow
from tripwire.store.tables.respond import IncidentRow
from tripwire.store.tables.statuspage import MaintenanceRow, PublicIncidentRow, PublicUpdateRow

MAX_INCIDENTS = 500


def use_cases(session: Session) -> list[str]:
    """Every use case seen in telemetry or in an incident."""
    seen = set(session.scalars(select(EventRow.use_case).distinct()))
    seen |= set(session.scalars(select(IncidentRow.use_case).distinct()))
    return sorted(u for u in seen if u)


def public_incidents(session: Session, since: datetime) -> list[PublicIncident]:
    """Unresolved published incidents and those resolved after `since`, newest first."""
    rows = list(
        session.scalars(
            select(PublicIncidentRow)
            .where(
                or_(PublicIncidentRow.resolved_at.is_(None), PublicIncidentRow.resolved_at >= since)
            )
            .order_by(PublicIncidentRow.created_at.desc(), PublicIncidentRow.id.desc())
            .limit(MAX_INCIDENTS)
        )
    )
    return as_public(session, rows)


def as_public(session: Session, rows: Sequence[PublicIncidentRow]) -> list[PublicIncident]:
    updates = _updates(session, [r.id for r in rows])
    return [
        PublicIncident(
            id=str(r.id),
            title=r.title,
            status=r.status,
            components=dict(r.components or {}),
            created_at=r.created_at,
            updated_at=r.updated_at,
            resolved_at=r.resolved_at,
            updates=tuple(updates.get(r.id, [])),
        )
        for r in rows
    ]


def _updates(session: Session, ids: list[int]) -> dict[int, list[PublicUpdate]]:
    if not ids:
        return {}
    u = PublicUpdateRow
    rows = session.execute(
        select(u.public_incident, u.id, u.status, u.body, u.created_at, u.components)
        .where(u.public_incident.in_(ids))
        .order_by(u.created_at, u.id)
    )
    found: dict[int, list[PublicUpdate]] = {}
    for owner, ident, status, body, at, components in rows:
        found.setdefault(owner, []).append(
            PublicUpdate(str(ident), status, body, at, dict(components or {}))
        )
    return found


def maintenance(session: Session, now: datetime, horizon: timedelta) -> list[Maintenance]:
    """Windows not cancelled that end after `now` and start within `horizon`, soonest first."""
    rows = session.scalars(
        select(MaintenanceRow)
        .where(
            MaintenanceRow.cancelled_at.is_(None),
            MaintenanceRow.ends_at > now,
            MaintenanceRow.starts_at <= now + horizon,
        )
        .order_by(MaintenanceRow.starts_at)
        .limit(MAX_INCIDENTS)
    )
    return [
        Maintenance(str(m.id), m.title, m.body, tuple(m.components or ()), m.starts_at, m.ends_at)
        for m in rows
    ]


def public_row(session: Session, incident_number: int) -> PublicIncidentRow | None:
    return session.scalar(
        select(PublicIncidentRow).where(PublicIncidentRow.incident == incident_number)
    )
