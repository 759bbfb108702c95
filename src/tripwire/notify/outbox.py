"""Putting notifications in the outbox, in the caller's transaction, and reading its state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tripwire.domain.ids import uuid7
from tripwire.store.tables.runtime import OutboxRow


def enqueue(
    session: Session,
    *,
    channel: str,
    event: str,
    payload: dict[str, Any],
    ordering_key: str | None,
    now: datetime,
) -> str:
    """Add one notification; returns its id, stable across every delivery attempt."""
    note_id = uuid7(int(now.timestamp() * 1000))
    session.add(
        OutboxRow(
            id=note_id,
            kind=event,
            channel=channel,
            ordering_key=ordering_key,
            payload=payload,
            status="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )
    return note_id


@dataclass(frozen=True, slots=True)
class Outgoing:
    channel: str
    event: str
    payload: dict[str, Any]
    ordering_key: str | None


def enqueue_many(session: Session, notes: Sequence[Outgoing], now: datetime) -> int:
    """The rows `enqueue` writes, for many notifications in one INSERT (a fan-out to thousands
    of status-page subscribers); returns how many."""
    stamp = int(now.timestamp() * 1000)
    rows = [
        {"id": uuid7(stamp), "kind": n.event, "channel": n.channel,
         "ordering_key": n.ordering_key, "payload": n.payload, "status": "pending",
         "attempts": 0, "created_at": now, "next_attempt_at": now}
        for n in notes
    ]  # fmt: skip
    if rows:
        session.execute(insert(OutboxRow), rows)
    return len(rows)


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
    return {str(status): int(count) for status, count in rows}
