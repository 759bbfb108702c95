"""Deleting stored events: retention (raw events older than N days) and a user's data on
request. Both leave an audit row in `data_deletions`.

Retention deletes in batches of `BATCH` rows, each in its own transaction, so writers are never
blocked for long; it only deletes events every pipeline partition has already processed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from tripwire.store.tables.events import DataDeletionRow, EventRow
from tripwire.store.tables.runtime import PipelinePartitionRow

BATCH = 5000


def delete_expired_batch(session: Session, cutoff: datetime, batch: int = BATCH) -> int:
    """Delete up to `batch` events with ts < cutoff that the pipeline is done with; returns how
    many went (0: nothing left to do)."""
    table = PipelinePartitionRow
    processed = select(table.position).where(table.part == EventRow.part).scalar_subquery()
    expired = select(EventRow.seq).where(EventRow.ts < cutoff, EventRow.seq <= processed)
    # One statement: on SQLite a transaction that reads before it writes can fail to upgrade.
    result = session.execute(
        delete(EventRow).where(EventRow.seq.in_(expired.order_by(EventRow.ts).limit(batch)))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_user_data(session: Session, user_id: str) -> int:
    """Delete a user's stored outputs and feedback, and every event that refers to one of
    those outputs (feedback, safety checks, scores); returns how many events went."""
    user = EventRow.payload["user_id"].as_string()
    outputs = select(EventRow.id).where(EventRow.type == "output", user == user_id)
    mine = or_(
        user == user_id,
        EventRow.id.in_(outputs.scalar_subquery()),
        EventRow.output_id.in_(outputs.scalar_subquery()),
    )
    seqs = list(session.scalars(select(EventRow.seq).where(mine)))
    for start in range(0, len(seqs), BATCH):
        session.execute(delete(EventRow).where(EventRow.seq.in_(seqs[start : start + BATCH])))
    return len(seqs)


def audit(
    session: Session, kind: str, subject: str, requested_by: str, count: int, now: datetime
) -> None:
    session.add(
        DataDeletionRow(
            kind=kind, subject=subject, requested_by=requested_by, events_deleted=count, at=now
        )
    )
    session.flush()


def deletions(session: Session, limit: int = 100) -> list[DataDeletionRow]:
    """The audit trail, newest first."""
    query = select(DataDeletionRow).order_by(DataDeletionRow.id.desc()).limit(limit)
    return list(session.scalars(query))
