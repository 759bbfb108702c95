"""Writing and reading raw events."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tripwire.store.tables.events import EventRow

# Keeps each INSERT under SQLite's bound-parameter limit and PostgreSQL's comfort zone.
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the later stages see it: its arrival order and its normalised JSON."""

    seq: int
    id: str
    type: str
    ts: datetime
    use_case: str | None
    payload: dict[str, Any]


def event_row(
    payload: dict[str, Any], ts: datetime, received_at: datetime, origin: str = "ingest"
) -> dict[str, Any]:
    """The column values for one normalised event."""
    return {
        "origin": origin,
        "id": payload["id"],
        "type": payload["type"],
        "ts": ts,
        "use_case": payload.get("use_case"),
        "output_id": payload.get("output_id"),
        "received_at": received_at,
        "payload": payload,
    }


def insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert rows whose id is not stored yet; returns {id: seq} of the rows actually inserted.

    Duplicates, including two with the same id inside `rows`, are skipped by the database itself
    (ON CONFLICT DO NOTHING), so concurrent batches carrying the same id cannot both store it.
    """
    dialect = session.get_bind().dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted: dict[str, int] = {}
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        stmt = insert_fn(EventRow).on_conflict_do_nothing(index_elements=["id"])
        result = session.execute(stmt.returning(EventRow.id, EventRow.seq), list(chunk))
        inserted.update({str(row[0]): int(row[1]) for row in result})
    return inserted


def insert_plain(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows known to be new (used by bulk loaders after their own duplicate check)."""
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(EventRow), list(rows[start : start + _CHUNK]))


def existing_ids(session: Session, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found.update(session.scalars(select(EventRow.id).where(EventRow.id.in_(chunk))))
    return found


def outputs_by_id(session: Session, ids: Sequence[str]) -> dict[str, tuple[str, str | None]]:
    """Stored outputs among `ids`: id -> (id, use case)."""
    found: dict[str, tuple[str, str | None]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = select(EventRow.id, EventRow.use_case).where(
            EventRow.id.in_(chunk), EventRow.type == "output"
        )
        found.update({str(i): (str(i), u) for i, u in session.execute(query)})
    return found


def outputs_by_response_id(
    session: Session, response_ids: Sequence[str], since: datetime
) -> dict[str, tuple[str, str | None]]:
    """Outputs since `since` whose `attributes["gen_ai.response.id"]` is one of `response_ids`:
    response id -> (output id, use case). The time bound keeps the JSON scan small."""
    path = EventRow.payload[("attributes", "gen_ai.response.id")].as_string()
    found: dict[str, tuple[str, str | None]] = {}
    for start in range(0, len(response_ids), _CHUNK):
        chunk = response_ids[start : start + _CHUNK]
        query = select(path, EventRow.id, EventRow.use_case).where(
            EventRow.type == "output", EventRow.ts >= since, path.in_(chunk)
        )
        found.update({str(r): (str(i), u) for r, i, u in session.execute(query)})
    return found


def counts_by_type(session: Session) -> dict[str, int]:
    rows = session.execute(select(EventRow.type, func.count()).group_by(EventRow.type))
    return {str(kind): int(count) for kind, count in rows}


def max_seq(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(EventRow.seq), 0))) or 0)


def read_after(session: Session, position: int, limit: int) -> tuple[list[StoredEvent], int]:
    """Up to `limit` ingested events with seq > position, in seq order, and the new position.

    Events a stage derived inline are skipped (their stage already handed them on) but still
    move the position forward.
    """
    rows = list(
        session.execute(
            select(EventRow).where(EventRow.seq > position).order_by(EventRow.seq).limit(limit)
        ).scalars()
    )
    new_position = rows[-1].seq if rows else position
    return [to_stored(r) for r in rows if r.origin == "ingest"], new_position


def insert_derived(
    session: Session, payloads: Sequence[dict[str, Any]], now: datetime
) -> list[StoredEvent]:
    """Store events a stage computed (e.g. evaluator scores) and return them for later stages.

    Payloads must already be valid normalised events (see `tripwire.domain.events`).
    """
    rows = [event_row(p, _ts(p), now, origin="pipeline") for p in payloads]
    inserted = insert_new(session, rows)
    return [
        StoredEvent(inserted[r["id"]], r["id"], r["type"], r["ts"], r["use_case"], r["payload"])
        for r in rows
        if r["id"] in inserted
    ]


def _ts(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(payload["ts"]).replace("Z", "+00:00"))


def iter_by_time(session: Session, *, batch: int = 5000) -> Iterator[StoredEvent]:
    """Every stored event in (ts, seq) order, streamed in batches."""
    last: tuple[datetime, int] | None = None
    while True:
        query = select(EventRow).order_by(EventRow.ts, EventRow.seq).limit(batch)
        if last is not None:
            query = query.where(
                (EventRow.ts > last[0]) | ((EventRow.ts == last[0]) & (EventRow.seq > last[1]))
            )
        rows = list(session.execute(query).scalars())
        if not rows:
            return
        for row in rows:
            yield to_stored(row)
        last = (rows[-1].ts, rows[-1].seq)


def to_stored(row: EventRow) -> StoredEvent:
    return StoredEvent(row.seq, row.id, row.type, row.ts, row.use_case, row.payload)
