"""Cursors and leases: how background consumers resume and how one process leads a task."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tripwire.store.tables.runtime import CursorRow, LeaseRow


def get_cursor(session: Session, name: str) -> int:
    row = session.get(CursorRow, name)
    return 0 if row is None else row.position


def set_cursor(session: Session, name: str, position: int, now: datetime) -> None:
    row = session.get(CursorRow, name)
    if row is None:
        session.add(CursorRow(name=name, position=position, updated_at=now))
    else:
        row.position = position
        row.updated_at = now
    session.flush()


def lease_holder(session: Session, name: str) -> str | None:
    return session.scalar(select(LeaseRow.holder).where(LeaseRow.name == name))


def try_lease(
    session: Session,
    name: str,
    holder: str,
    now: datetime,
    ttl: timedelta,
    dead: Sequence[str] = (),
) -> bool:
    """Take or renew the lease `name` for `holder`; False while another holder's lease is live
    (unless that holder is among `dead`: known to have exited).

    A conditional UPDATE decides between competing processes: only one row count can be 1.
    """
    expires = now + ttl
    free = (LeaseRow.holder == holder) | (LeaseRow.expires_at < now)
    if dead:
        free = free | LeaseRow.holder.in_(list(dead))
    result = session.execute(
        update(LeaseRow)
        .where(LeaseRow.name == name, free)
        .values(holder=holder, expires_at=expires)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    if session.scalar(select(LeaseRow.name).where(LeaseRow.name == name)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(LeaseRow(name=name, holder=holder, expires_at=expires))
    except IntegrityError:
        return False
    return True
