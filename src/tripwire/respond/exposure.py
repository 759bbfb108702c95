"""People exposed: distinct users and outputs of a use case during an incident's window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from tripwire.store.tables.events import EventRow

MAX_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Exposure:
    users: int
    outputs: int


def exposure(session: Session, use_case: str | None, start: datetime, end: datetime) -> Exposure:
    """Outputs served between `start` and `end` (at most a week) and their distinct users."""
    if use_case is None or end <= start:
        return Exposure(0, 0)
    start = max(start, end - MAX_WINDOW)
    user = EventRow.payload["user_id"].as_string()
    row = session.execute(
        select(func.count(), func.count(distinct(user))).where(
            EventRow.use_case == use_case,
            EventRow.type == "output",
            EventRow.ts >= start,
            EventRow.ts <= end,
        )
    ).one()
    return Exposure(users=int(row[1] or 0), outputs=int(row[0] or 0))
