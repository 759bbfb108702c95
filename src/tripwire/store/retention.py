"""Deleting stored events: retention (raw events older than N days) and a user's data on
request. Both leave an audit row in `data_deletions`.

On PostgreSQL retention drops whole day partitions (`tripwire.store.event_days`); what is left to
delete row by row is the default partition's share. On SQLite it deletes in batches of `BATCH`
rows, each in its own transaction, so writers are never blocked for long. Either way it only
deletes events every pipeline partition has already processed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from tripwire.store.event_days import DEFAULT_PARTITION, is_partitioned
from tripwire.store.tables.events import DataDeletionRow, EventRow
from tripwire.store.tables.genai import ContentPartRow, HeldOutputRow
from tripwire.store.tables.runtime import PipelinePartitionRow

BATCH = 5000

# The deleted events' ids leave `event_ids` in the same statement (the id key, see `store.events`).
_DELETE_EXPIRED_DEFAULT = (
    f"WITH gone AS (DELETE FROM {DEFAULT_PARTITION} WHERE seq IN ("  # noqa: S608
    f"SELECT e.seq FROM {DEFAULT_PARTITION} e JOIN pipeline_partitions p ON p.part = e.part "
    "WHERE e.ts < :cutoff AND e.seq <= p.position ORDER BY e.ts LIMIT :batch) RETURNING id), "
    "ids AS (DELETE FROM event_ids WHERE id IN (SELECT id FROM gone)) "
    "SELECT count(*) FROM gone"
)

_DELETE_IDS = text("DELETE FROM event_ids WHERE id = ANY(:ids)")


@dataclass(frozen=True, slots=True)
class UserDeletion:
    """What a user's deletion removed: stored events, outputs still held for their GenAI content,
    and GenAI content parts (messages) of the user's outputs."""

    events: int
    held_outputs: int
    content_parts: int


def delete_expired_batch(session: Session, cutoff: datetime, batch: int = BATCH) -> int:
    """Delete up to `batch` events with ts < cutoff that the pipeline is done with; returns how
    many went (0: nothing left to do). On partitioned PostgreSQL only the default partition is
    deleted from: the day partitions go whole."""
    if is_partitioned(session):
        gone = session.scalar(
            text(_DELETE_EXPIRED_DEFAULT),
            {"cutoff": cutoff.astimezone(UTC).replace(tzinfo=None), "batch": batch},
        )
        return int(gone or 0)
    table = PipelinePartitionRow
    processed = select(table.position).where(table.part == EventRow.part).scalar_subquery()
    expired = select(EventRow.seq).where(EventRow.ts < cutoff, EventRow.seq <= processed)
    # One statement: on SQLite a transaction that reads before it writes can fail to upgrade.
    result = session.execute(
        delete(EventRow).where(EventRow.seq.in_(expired.order_by(EventRow.ts).limit(batch)))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def delete_user_data(session: Session, user_id: str) -> UserDeletion:
    """Delete a user's stored outputs and feedback, every event that refers to one of those
    outputs (feedback, safety checks, scores), the user's outputs still held for their content,
    and the content parts (messages) of all those outputs."""
    user = EventRow.payload["user_id"].as_string()
    outputs = select(EventRow.id).where(EventRow.type == "output", user == user_id)
    mine = or_(
        user == user_id,
        EventRow.id.in_(outputs.scalar_subquery()),
        EventRow.output_id.in_(outputs.scalar_subquery()),
    )
    query = select(EventRow.seq, EventRow.ts, EventRow.id, EventRow.type).where(mine)
    rows = sorted(((s, ts, i, k) for s, ts, i, k in session.execute(query)), key=lambda r: r[1])
    partitioned = is_partitioned(session)
    # Each chunk is bounded by its time range too, so PostgreSQL visits only its day partitions.
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        session.execute(
            delete(EventRow).where(
                EventRow.seq.in_([r[0] for r in chunk]),
                EventRow.ts.between(chunk[0][1], chunk[-1][1]),
            )
        )
        if partitioned:  # the ids' key table (see `tripwire.store.events`)
            session.execute(_DELETE_IDS, {"ids": [r[2] for r in chunk]})
    held_user = HeldOutputRow.payload["user_id"].as_string()
    held = list(session.scalars(select(HeldOutputRow.id).where(held_user == user_id)))
    _delete_in(session, HeldOutputRow.id, held)
    spans = held + [r[2] for r in rows if r[3] == "output"]
    parts = _delete_in(session, ContentPartRow.span, spans)
    return UserDeletion(len(rows), len(held), parts)


def _delete_in(session: Session, column: InstrumentedAttribute[str], values: Sequence[str]) -> int:
    count = 0
    for start in range(0, len(values), BATCH):
        chunk = values[start : start + BATCH]
        result = session.execute(delete(column.class_).where(column.in_(chunk)))
        count += int(result.rowcount)  # type: ignore[attr-defined]
    return count


def audit(
    session: Session, kind: str, subject: str, requested_by: str, count: int, now: datetime
) -> None:
    session.add(
        DataDeletionRow(
            kind=kind, subject=subject, requested_by=requested_by, events_deleted=count, at=now
        )
    )
    session.flush()


def last_deletion(session: Session) -> int:
    """The id of the newest audit row (0: none yet): it changes whenever stored events were
    deleted, in the transaction that deleted them."""
    return int(session.scalar(select(func.max(DataDeletionRow.id))) or 0)


def deletions(session: Session, limit: int = 100) -> list[DataDeletionRow]:
    """The audit trail, newest first."""
    query = select(DataDeletionRow).order_by(DataDeletionRow.id.desc()).limit(limit)
    return list(session.scalars(query))
