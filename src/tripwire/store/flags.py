"""Reading and writing flag rows and their audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tripwire.store.tables.flags import FlagChangeRow, FlagRow

FLAG_COLUMNS = (
    "type",
    "value",
    "default",
    "kill_value",
    "variants",
    "use_case",
    "description",
    "version",
    "updated_at",
    "updated_by",
)


@dataclass(frozen=True, slots=True)
class FlagChange:
    """One audit entry: `old` is None when the change created the flag."""

    key: str
    version: int
    at: datetime
    actor: str
    reason: str | None
    source: str
    incident_id: str | None
    old: dict[str, Any] | None
    new: dict[str, Any]


def load_flag(session: Session, key: str, *, lock: bool = False) -> dict[str, Any] | None:
    query = select(FlagRow).where(FlagRow.key == key)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query)
    return None if row is None else _as_dict(row)


def load_flags(session: Session) -> list[dict[str, Any]]:
    return [_as_dict(r) for r in session.scalars(select(FlagRow).order_by(FlagRow.key))]


def save_flag(session: Session, data: dict[str, Any], change: FlagChange) -> None:
    """Insert or update the flag row and append its audit entry, in the caller's transaction."""
    row = session.get(FlagRow, data["key"])
    if row is None:
        row = FlagRow(key=data["key"])
        session.add(row)
    for name in FLAG_COLUMNS:
        setattr(row, name, data[name])
    session.add(
        FlagChangeRow(
            key=change.key,
            version=change.version,
            at=change.at,
            actor=change.actor,
            reason=change.reason,
            source=change.source,
            incident_id=change.incident_id,
            old=change.old,
            new=change.new,
        )
    )
    session.flush()


def history(session: Session, key: str, limit: int = 200) -> list[FlagChange]:
    """The newest `limit` changes of a flag, newest first."""
    rows = session.scalars(
        select(FlagChangeRow)
        .where(FlagChangeRow.key == key)
        .order_by(FlagChangeRow.seq.desc())
        .limit(limit)
    )
    return [
        FlagChange(r.key, r.version, r.at, r.actor, r.reason, r.source, r.incident_id, r.old, r.new)
        for r in rows
    ]


def _as_dict(row: FlagRow) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in FLAG_COLUMNS}
    data["key"] = row.key
    return data
