"""The dead-letter table: events the pipeline quarantined because a stage failed on them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tripwire.domain.clock import isoformat_z
from tripwire.store.events import StoredEvent
from tripwire.store.tables.deadletter import DeadLetterRow
from tripwire.store.tables.events import EventRow

MAX_ERROR_CHARS = 4000
QUARANTINED = ("dead", "retry")
Status = Literal["dead", "retry", "done"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One quarantined event as operators see it."""

    id: int
    event_seq: int
    event_id: str
    event_type: str
    stage: str
    error: str
    status: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    resolved_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event_seq": self.event_seq,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "stage": self.stage,
            "error": self.error,
            "status": self.status,
            "attempts": self.attempts,
            "first_failed_at": isoformat_z(self.first_failed_at),
            "last_failed_at": isoformat_z(self.last_failed_at),
            "resolved_at": None if self.resolved_at is None else isoformat_z(self.resolved_at),
        }


def quarantine(session: Session, event: StoredEvent, stage: str, error: str, now: datetime) -> None:
    """Record that `stage` failed on `event` (again, if it was quarantined before)."""
    error = error[:MAX_ERROR_CHARS]
    row = session.scalar(select(DeadLetterRow).where(DeadLetterRow.event_seq == event.seq))
    if row is None:
        session.add(
            DeadLetterRow(
                event_seq=event.seq,
                event_id=event.id,
                event_type=event.type,
                stage=stage,
                error=error,
                status="dead",
                attempts=1,
                first_failed_at=now,
                last_failed_at=now,
            )
        )
    else:
        row.stage, row.error, row.status = stage, error, "dead"
        row.attempts += 1
        row.last_failed_at = now
        row.resolved_at = None
    session.flush()


def count_quarantined(session: Session) -> int:
    """Events waiting in quarantine (`dead`, or asked to be retried)."""
    query = select(func.count()).where(DeadLetterRow.status.in_(QUARANTINED))
    return int(session.scalar(query) or 0)


def list_letters(
    session: Session, status: Status | None = None, limit: int = 100
) -> list[DeadLetter]:
    """Newest first; every status unless `status` is given."""
    query = select(DeadLetterRow).order_by(DeadLetterRow.id.desc()).limit(limit)
    if status is not None:
        query = query.where(DeadLetterRow.status == status)
    return [_letter(r) for r in session.scalars(query)]


def request_retry(session: Session, ids: Sequence[int] | None) -> int:
    """Ask the pipeline to try these quarantined events again (all of them when `ids` is None);
    returns how many were marked."""
    query = update(DeadLetterRow).where(DeadLetterRow.status == "dead")
    if ids is not None:
        query = query.where(DeadLetterRow.id.in_(list(ids)))
    result = session.execute(query.values(status="retry"))
    return int(result.rowcount)  # type: ignore[attr-defined]


def parts_to_retry(session: Session) -> set[int]:
    """The pipeline partitions holding events an operator asked to retry."""
    query = (
        select(EventRow.part)
        .join(DeadLetterRow, DeadLetterRow.event_seq == EventRow.seq)
        .where(DeadLetterRow.status == "retry")
        .distinct()
    )
    return {int(part) for part in session.scalars(query)}


def claim_retries(
    session: Session, limit: int, part: int | None = None
) -> list[tuple[str, StoredEvent]]:
    """Events asked to be retried (of pipeline partition `part`, when given), each with the
    stage that failed on it, oldest first. The claim is a conditional UPDATE, so two followers
    never take the same one."""
    query = select(DeadLetterRow.id, DeadLetterRow.stage, DeadLetterRow.event_seq).where(
        DeadLetterRow.status == "retry"
    )
    if part is not None:
        query = query.where(
            DeadLetterRow.event_seq.in_(select(EventRow.seq).where(EventRow.part == part))
        )
    rows = session.execute(query.order_by(DeadLetterRow.id).limit(limit)).all()
    claimed: dict[int, str] = {}
    for letter_id, stage, seq in rows:
        taken = session.execute(
            update(DeadLetterRow)
            .where(DeadLetterRow.id == letter_id, DeadLetterRow.status == "retry")
            .values(status="retrying")
        )
        if taken.rowcount:  # type: ignore[attr-defined]
            claimed[int(seq)] = str(stage)
    return [(claimed[e.seq], e) for e in _events(session, list(claimed))]


def mark_done(session: Session, seqs: Sequence[int], now: datetime) -> None:
    """These claimed events went through every stage: out of quarantine."""
    if seqs:
        session.execute(
            update(DeadLetterRow)
            .where(DeadLetterRow.event_seq.in_(list(seqs)), DeadLetterRow.status == "retrying")
            .values(status="done", resolved_at=now)
        )


def _events(session: Session, seqs: list[int]) -> list[StoredEvent]:
    if not seqs:
        return []
    rows = session.execute(
        select(
            EventRow.seq,
            EventRow.id,
            EventRow.type,
            EventRow.ts,
            EventRow.use_case,
            EventRow.payload,
        )
        .where(EventRow.seq.in_(seqs))
        .order_by(EventRow.ts, EventRow.seq)
    ).all()
    return [StoredEvent(int(s), str(i), str(t), ts, u, dict(p)) for s, i, t, ts, u, p in rows]


def _letter(row: DeadLetterRow) -> DeadLetter:
    return DeadLetter(
        row.id,
        row.event_seq,
        row.event_id,
        row.event_type,
        row.stage,
        row.error,
        row.status,
        row.attempts,
        row.first_failed_at,
        row.last_failed_at,
        row.resolved_at,
    )
