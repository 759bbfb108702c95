"""The GenAI content join's storage: held outputs and the log-record parts waiting for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tripwire.store.tables.genai import ContentPartRow, HeldOutputRow

_CHUNK = 500
_PARTS: Table = ContentPartRow.__table__  # type: ignore[assignment]
_HELD: Table = HeldOutputRow.__table__  # type: ignore[assignment]
# The advisory lock that serialises the join on PostgreSQL ("genaijoin" folded into 63 bits).
JOIN_LOCK = 0x67656E61696A6F69


@dataclass(frozen=True, slots=True)
class Part:
    """One stored log-record part of an output's content (see `ContentPartRow`)."""

    id: str
    span: str
    kind: str
    position: int
    ordinal: int
    data: dict[str, Any]


def lock_join(session: Session) -> None:
    """Make this transaction the only one joining until it ends, before it reads anything.

    A join reads (is the span held? which parts are there?) and then writes; two interleaved
    joins could each miss the other's write and strand a part. PostgreSQL: a transaction-level
    advisory lock. SQLite: a write that matches nothing takes the database's write lock now,
    instead of failing to upgrade a stale read snapshot later.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": JOIN_LOCK})
    else:
        session.execute(delete(HeldOutputRow).where(text("0 = 1")))


def held_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(HeldOutputRow)) or 0)


def unjoined_count(session: Session) -> int:
    query = select(func.count()).select_from(ContentPartRow).where(ContentPartRow.joined.is_(False))
    return int(session.scalar(query) or 0)


def hold(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert held outputs: dicts with id, use_case, payload, received_at, release_at."""
    for start in range(0, len(rows), _CHUNK):
        session.execute(_insert(session, _HELD), list(rows[start : start + _CHUNK]))


def held_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """The ids among `ids` that are held."""
    found: set[str] = set()
    for chunk in _chunks(ids):
        query = select(HeldOutputRow.id).where(HeldOutputRow.id.in_(chunk))
        found.update(str(i) for i in session.scalars(query))
    return found


def held_payloads(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The held outputs among `ids`: id -> normalised output event."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        query = select(HeldOutputRow.id, HeldOutputRow.payload).where(HeldOutputRow.id.in_(chunk))
        found.update({str(i): dict(p) for i, p in session.execute(query)})
    return found


def held_by_response_id(
    session: Session, response_ids: Sequence[str]
) -> dict[str, tuple[str, str | None]]:
    """Held outputs whose `attributes["gen_ai.response.id"]` is one of `response_ids`:
    response id -> (output id, use case)."""
    path = HeldOutputRow.payload[("attributes", "gen_ai.response.id")].as_string()
    found: dict[str, tuple[str, str | None]] = {}
    for chunk in _chunks(response_ids):
        query = select(path, HeldOutputRow.id, HeldOutputRow.use_case).where(path.in_(chunk))
        found.update({str(r): (str(i), u) for r, i, u in session.execute(query)})
    return found


def take_held(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Remove the held outputs among `ids` and return them (id -> payload). Call under
    `lock_join`, so no other transaction takes the same output."""
    found = held_payloads(session, ids)
    for chunk in _chunks(list(found)):
        session.execute(delete(HeldOutputRow).where(HeldOutputRow.id.in_(chunk)))
    return found


def due_held(session: Session, now: datetime, limit: int) -> list[str]:
    """Held outputs whose join window has passed, oldest first."""
    query = (
        select(HeldOutputRow.id)
        .where(HeldOutputRow.release_at <= now)
        .order_by(HeldOutputRow.release_at)
        .limit(limit)
    )
    return [str(i) for i in session.scalars(query)]


def add_parts(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert parts not stored yet (a re-sent record is skipped); returns how many were new."""
    if not rows:
        return 0
    stmt = _insert(session, _PARTS)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.returning(_PARTS.c.id)
        return sum(len(session.execute(stmt, list(c)).all()) for c in _chunks(rows))
    inserted = 0
    for chunk in _chunks(rows):
        result: Any = session.execute(stmt, list(chunk))
        inserted += int(result.rowcount)
    return inserted


def existing_parts(session: Session, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        query = select(ContentPartRow.id).where(ContentPartRow.id.in_(chunk))
        found.update(str(i) for i in session.scalars(query))
    return found


def parts_for(session: Session, spans: Sequence[str]) -> dict[str, list[Part]]:
    """The unjoined parts of each span, in message order."""
    found: dict[str, list[Part]] = {}
    columns = (
        ContentPartRow.id,
        ContentPartRow.span,
        ContentPartRow.kind,
        ContentPartRow.position,
        ContentPartRow.ordinal,
        ContentPartRow.data,
    )
    for chunk in _chunks(spans):
        query = (
            select(*columns)
            .where(ContentPartRow.span.in_(chunk), ContentPartRow.joined.is_(False))
            .order_by(ContentPartRow.position, ContentPartRow.ordinal)
        )
        for row in session.execute(query):
            part = Part(str(row[0]), str(row[1]), str(row[2]), int(row[3]), int(row[4]), row[5])
            found.setdefault(part.span, []).append(part)
    return found


def mark_joined(session: Session, spans: Sequence[str]) -> None:
    for chunk in _chunks(spans):
        session.execute(
            update(ContentPartRow)
            .where(ContentPartRow.span.in_(chunk), ContentPartRow.joined.is_(False))
            .values(joined=True)
        )


def purge_parts(session: Session, before: datetime) -> int:
    """Forget parts received before `before`: joined ones (kept so far to recognise a re-sent
    export) and orphans whose span never came. Parts of a held output stay with it. Returns how
    many orphans were dropped."""
    old = ContentPartRow.received_at < before
    waiting = ContentPartRow.span.in_(select(HeldOutputRow.id))
    orphans = delete(ContentPartRow).where(old, ContentPartRow.joined.is_(False), ~waiting)
    result: Any = session.execute(orphans)
    dropped = int(result.rowcount)
    session.execute(delete(ContentPartRow).where(old, ContentPartRow.joined.is_(True)))
    return dropped


def _insert(session: Session, table: Table) -> Any:
    dialect = session.get_bind().dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert_fn(table).on_conflict_do_nothing(index_elements=["id"])


def _chunks(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
