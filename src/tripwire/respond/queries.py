"""Reading incidents and what hangs off them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tripwire.domain.incidents import AUTOMATION, OPEN_STATUSES
from tripwire.respond.ids import parse_incident_id
from tripwire.store.tables.events import EventRow
from tripwire.store.tables.respond import (
    DeadlineRow,
    IncidentRow,
    OverrideRow,
    RoleRow,
    SignalRow,
    TaskRow,
    TimelineRow,
)


def get_incident(session: Session, incident_id: str | int) -> IncidentRow | None:
    number = incident_id if isinstance(incident_id, int) else parse_incident_id(incident_id)
    return None if number is None else session.get(IncidentRow, number)


def open_signal(session: Session, dedup_key: str) -> tuple[IncidentRow, SignalRow] | None:
    """The signal with `dedup_key` in a still-open incident (firing or not), newest first."""
    row = session.execute(
        select(IncidentRow, SignalRow)
        .join(SignalRow, SignalRow.incident == IncidentRow.number)
        .where(SignalRow.dedup_key == dedup_key, IncidentRow.status.in_(OPEN_STATUSES))
        .order_by(SignalRow.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def open_by_join_key(session: Session, join_key: str) -> list[IncidentRow]:
    return list(
        session.scalars(
            select(IncidentRow)
            .where(IncidentRow.status.in_(OPEN_STATUSES), IncidentRow.join_key == join_key)
            .order_by(IncidentRow.number.desc())
        )
    )


def signals(session: Session, number: int) -> list[SignalRow]:
    return list(
        session.scalars(
            select(SignalRow).where(SignalRow.incident == number).order_by(SignalRow.id)
        )
    )


def timeline(session: Session, number: int) -> list[TimelineRow]:
    return list(
        session.scalars(
            select(TimelineRow).where(TimelineRow.incident == number).order_by(TimelineRow.seq)
        )
    )


def overruled_severity(session: Session, number: int) -> str | None:
    """The severity a person (API, CLI or console) moved the incident away from in their
    latest severity change (None: no person changed it): what they judged and overruled. A
    rise by Tripwire's rules since then does not undo that judgement."""
    data = session.scalar(
        select(TimelineRow.data)
        .where(
            TimelineRow.incident == number,
            TimelineRow.kind == "severity_changed",
            TimelineRow.actor != AUTOMATION,
        )
        .order_by(TimelineRow.seq.desc())
        .limit(1)
    )
    old = (data or {}).get("from")
    return old if isinstance(old, str) else None


def roles(session: Session, number: int) -> list[RoleRow]:
    return list(session.scalars(select(RoleRow).where(RoleRow.incident == number)))


def tasks(session: Session, number: int) -> list[TaskRow]:
    return list(
        session.scalars(select(TaskRow).where(TaskRow.incident == number).order_by(TaskRow.id))
    )


def deadlines(session: Session, number: int) -> list[DeadlineRow]:
    query = select(DeadlineRow).where(DeadlineRow.incident == number).order_by(DeadlineRow.due_at)
    return list(session.scalars(query))


def list_incidents(
    session: Session,
    *,
    status: Sequence[str] = (),
    type_: Sequence[str] = (),
    use_case: str | None = None,
    severity: Sequence[str] = (),
    limit: int = 100,
    before: tuple[datetime, int] | None = None,
) -> list[IncidentRow]:
    """Newest `detected_at` first; `before` = (detected_at, number) of the last row seen."""
    query = select(IncidentRow)
    if status:
        query = query.where(IncidentRow.status.in_(status))
    if type_:
        query = query.where(IncidentRow.type.in_(type_))
    if severity:
        query = query.where(IncidentRow.severity.in_(severity))
    if use_case is not None:
        query = query.where(IncidentRow.use_case == use_case)
    if before is not None:
        at, number = before
        query = query.where(
            (IncidentRow.detected_at < at)
            | ((IncidentRow.detected_at == at) & (IncidentRow.number < number))
        )
    query = query.order_by(IncidentRow.detected_at.desc(), IncidentRow.number.desc())
    return list(session.scalars(query.limit(limit)))


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(IncidentRow.status, func.count()).group_by(IncidentRow.status))
    return {str(status): int(count) for status, count in rows}


def overrides(session: Session, schedule: str, after: datetime) -> list[OverrideRow]:
    return list(
        session.scalars(
            select(OverrideRow)
            .where(OverrideRow.schedule == schedule, OverrideRow.end > after)
            .order_by(OverrideRow.id)
        )
    )


def recent_changes(
    session: Session, limit: int = 10, use_case: str | None = None
) -> list[EventRow]:
    """The newest entries of the deployment log (change events), newest first; with
    `use_case`, that use case's changes and those that affect every use case."""
    query = select(EventRow).where(EventRow.type == "change")
    if use_case is not None:
        query = query.where((EventRow.use_case == use_case) | EventRow.use_case.is_(None))
    return list(session.scalars(query.order_by(EventRow.ts.desc()).limit(limit)))


def open_incidents(session: Session, limit: int = 500) -> list[IncidentRow]:
    """Incidents not yet resolved, newest first."""
    return list_incidents(session, status=OPEN_STATUSES, limit=limit)
