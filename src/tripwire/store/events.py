"""Writing and reading raw events."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import repeat
from typing import Any

import orjson
from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tripwire.domain.clock import as_utc
from tripwire.store import affected_hours
from tripwire.store.affected_hours import OutputFields
from tripwire.store.db import dumps_json
from tripwire.store.partitions import partition_count, partition_of
from tripwire.store.tables.events import EventRow

# Keeps each multi-row INSERT ... RETURNING under SQLite's bound-parameter limit.
_CHUNK = 500
_EVENTS: Table = EventRow.__table__  # type: ignore[assignment]
_STORED_COLUMNS = (
    _EVENTS.c.seq,
    _EVENTS.c.id,
    _EVENTS.c.type,
    _EVENTS.c.ts,
    _EVENTS.c.use_case,
    _EVENTS.c.payload,
)
# The advisory lock between event inserts and the follower on PostgreSQL ("tripwire" in ASCII).
INSERT_LOCK = 0x7472697077697265


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the later stages see it: its arrival order and its normalised JSON."""

    seq: int
    id: str
    type: str
    ts: datetime
    use_case: str | None
    payload: dict[str, Any]


# The `origin` of events received from outside (not derived by a stage).
INGESTED = "ingest"


def event_row(
    payload: dict[str, Any], ts: datetime, received_at: datetime, origin: str = INGESTED
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
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        return _pg_insert(session, [_pg_tuple(r) for r in rows])
    _guard_insert(session)
    _add_parts(session, rows)
    stmt = _insert_ignoring_duplicates()
    stmt = stmt.returning(_EVENTS.c.id, _EVENTS.c.seq)
    inserted: dict[str, int] = {}
    for start in range(0, len(rows), _CHUNK):
        result = conn.execute(stmt, list(rows[start : start + _CHUNK]))
        inserted.update({str(row[0]): int(row[1]) for row in result})
    _count_outputs(conn, len(inserted))
    return inserted


def insert_count(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Like `insert_new`, but only counts the inserted rows. On SQLite that needs no RETURNING,
    so it is one plain executemany, the cheapest way in."""
    if not rows:
        return 0
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        # psycopg's executemany does not report a row count: count what RETURNING gives.
        return len(insert_new(session, rows))
    _add_parts(session, rows)
    result = conn.execute(_insert_ignoring_duplicates(), list(rows))
    _count_outputs(conn, int(result.rowcount))
    return int(result.rowcount)


def _count_outputs(conn: Connection, inserted: int) -> None:
    """SQLite: the affected-users panel's hourly counts take the outputs just inserted."""
    if inserted:
        conn.exec_driver_sql(affected_hours.COUNT_NEWEST, (inserted,))


def _add_parts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    count = partition_count(session)
    for row in rows:
        row["part"] = partition_of(row["use_case"], count)


# id, type, ts, use_case, output_id, received_at, origin, JSON text: one row for `_pg_insert`.
_PgRow = tuple[str, str, datetime, str | None, str | None, datetime, str, str]
# One statement whatever the batch size: the rows travel as one JSON array (each payload embedded
# as the JSON text it already is), so the SQL text never changes and the client does no per-value
# work beyond one orjson call. `events` is partitioned by day of `ts` on PostgreSQL, and a
# partitioned table's unique keys must hold its partition key, so the id alone is kept unique by
# the narrow global table `event_ids` (migration 0122): the rows first claim their ids there, and
# only the claimed ones go into `events`. The (id, ts) conflict clause is a backstop.
_PG_INSERT = (
    "WITH x AS (SELECT * FROM jsonb_to_recordset(%s::jsonb) AS r(id varchar, type varchar, "
    "ts timestamp, use_case varchar, output_id varchar, received_at timestamp, origin varchar, "
    "payload jsonb, part smallint)), "
    "new AS (INSERT INTO event_ids (id, day) SELECT id, CAST(ts AS date) FROM x "
    "ON CONFLICT (id) DO NOTHING RETURNING id) "
    "INSERT INTO events (id, type, ts, use_case, output_id, received_at, origin, payload, part) "
    "SELECT x.id, type, ts, use_case, output_id, received_at, origin, payload, part "
    "FROM x JOIN new ON new.id = x.id ORDER BY x.id ON CONFLICT (id, ts) DO NOTHING "
    "RETURNING id, seq"
)


def _pg_tuple(row: dict[str, Any]) -> _PgRow:
    payload = row["payload"]
    text_ = payload if isinstance(payload, str) else dumps_json(payload)
    return (
        row["id"],
        row["type"],
        row["ts"],
        row.get("use_case"),
        row.get("output_id"),
        row["received_at"],
        row.get("origin", INGESTED),
        text_,
    )


def _pg_insert(session: Session, rows: Sequence[_PgRow]) -> dict[str, int]:
    if not rows:
        return {}
    if any(r[6] == INGESTED for r in rows):
        # Only events the follower reads need it: derived ones (origin "pipeline") are skipped
        # by every reader, so a late commit of theirs cannot be missed. Leaving them out keeps
        # a worker's step from blocking the other workers' `committed_high_water`.
        _guard_insert(session)
    count = partition_count(session)
    # PostgreSQL locks each unique key it inserts; two batches sharing ids in different orders
    # could deadlock. Inserting in id order (into `event_ids`, then `events`) makes them queue.
    ordered = sorted(rows, key=lambda r: r[0])
    part_of: dict[str | None, int] = {}
    records = []
    previous = None
    for event_id, kind, ts, use_case, output_id, received, origin, payload in ordered:
        if event_id == previous:
            continue  # the first copy in the batch wins (sorted() is stable), whatever its ts
        previous = event_id
        part = part_of.get(use_case)
        if part is None:
            part = part_of[use_case] = partition_of(use_case, count)
        records.append(
            {
                "id": event_id,
                "type": kind,
                "ts": sqlite_time(ts),  # naive UTC text: UTCDateTime's storage form
                "use_case": use_case,
                "output_id": output_id,
                "received_at": sqlite_time(received),
                "origin": origin,
                "payload": orjson.Fragment(payload),
                "part": part,
            }
        )
    with _raw_cursor(session) as cursor:
        cursor.execute(_PG_INSERT, (orjson.dumps(records).decode("utf-8"),))
        return {str(i): int(q) for i, q in cursor.fetchall()}


def _insert_ignoring_duplicates() -> Any:
    # SQLite only: every PostgreSQL insert goes through `_pg_insert` (the `event_ids` key).
    # Core, not the ORM: the ORM's bulk path costs several times more per row.
    return sqlite_insert(_EVENTS).on_conflict_do_nothing(index_elements=["id"])


# id, type, ts, use_case, output_id, normalised JSON text: one event for `load_rows`.
LoadRow = tuple[str, str, datetime, str | None, str | None, str]
_LOAD_SQLITE = (
    "INSERT INTO events (id, type, ts, use_case, output_id, received_at, origin, payload, part) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)


def load_rows(session: Session, rows: Sequence[LoadRow], origin: str = INGESTED) -> dict[str, int]:
    """Bulk-load events (received at their own ts); returns {id: seq} of the new ones.

    The replay path: on SQLite it skips SQLAlchemy's per-row work and writes the columns in the
    exact form `UTCDateTime` and `JSONType` would (naive UTC text, JSON text).
    """
    if not rows:
        return {}
    if session.get_bind().dialect.name != "sqlite":
        return _pg_insert(session, [(*r[:5], r[2], origin, r[5]) for r in rows])
    params = _sqlite_params(rows, None, partition_count(session), origin)
    counts = _hour_counts(params, None)
    with _raw_cursor(session) as cursor:
        cursor.executemany(_LOAD_SQLITE, params)
        count = int(cursor.rowcount)
        _add_hour_counts(cursor, count, len(params), counts)
        # This transaction holds SQLite's only write lock, and a new row's rowid is one more
        # than the largest before it: the `count` highest seqs are exactly the rows just added.
        cursor.execute("SELECT id, seq FROM events ORDER BY seq DESC LIMIT ?", (count,))
        return {str(i): int(q) for i, q in cursor.fetchall()}


def load_count(
    session: Session,
    rows: Sequence[LoadRow],
    received_at: datetime,
    fields: Sequence[OutputFields | None] | None = None,
) -> int:
    """Like `load_rows` for events received now (the HTTP path); returns how many were new.
    `fields`: each output's counted fields, beside its row (see `_hour_counts`)."""
    if not rows:
        return 0
    if session.get_bind().dialect.name != "sqlite":
        return len(_pg_insert(session, [(*r[:5], received_at, INGESTED, r[5]) for r in rows]))
    # Every parameter is ready before the transaction begins: on SQLite its BEGIN IMMEDIATE
    # takes the one write lock, which the pipeline and the other batches are waiting for.
    params = _sqlite_params(rows, sqlite_time(received_at), partition_count(session))
    return load_sqlite_params(session, params, fields)


# The parameters of one `_LOAD_SQLITE` row: id, type, ts, use_case, output_id, received_at,
# origin, payload, part (times as UTCDateTime's SQLite text, the payload as JSON text).
SqliteParams = tuple[str, str, str, str | None, str | None, str, str, str, int]


def load_sqlite_params(
    session: Session,
    params: Sequence[SqliteParams],
    fields: Sequence[OutputFields | None] | None = None,
) -> int:
    """SQLite: insert rows whose parameters are ready (`_LOAD_SQLITE`'s order, as
    `sqlite_params` gives them; duplicates skipped), with their hourly counts; returns how many
    were new. For a caller that builds the parameters in the same pass as it serialises the
    events (`tripwire.ingest.writer`), instead of through `LoadRow`s."""
    if not params:
        return 0
    counts = _hour_counts(params, fields)
    with _raw_cursor(session) as cursor:
        cursor.executemany(_LOAD_SQLITE, params)
        count = int(cursor.rowcount)
        _add_hour_counts(cursor, count, len(params), counts)
        return count


def _hour_counts(
    params: Sequence[tuple[Any, ...]], fields: Sequence[OutputFields | None] | None
) -> list[affected_hours.Count] | None:
    """The affected-users hourly counts of `_LOAD_SQLITE` rows, should all of them be new:
    grouped before the transaction begins, so that its write lock is held only to add them.
    `fields` (beside each row, None for all but outputs), when the caller has them at hand,
    saves reading them back from each output's JSON text."""
    beside = zip(params, repeat(None)) if fields is None else zip(params, fields, strict=True)
    outputs = (
        (p[3], p[2], affected_hours.output_fields(p[7]) if f is None else f)
        for p, f in beside
        if p[1] == "output" and p[3] is not None
    )
    return affected_hours.counts_of(outputs)


def _add_hour_counts(
    cursor: Any, inserted: int, given: int, counts: list[affected_hours.Count] | None
) -> None:
    """Count the outputs just inserted: from `counts` when every row given was new, else
    (a duplicate was skipped, or a field needs SQLite's reading) from the inserted rows."""
    if inserted == given and counts is not None:
        if counts:
            cursor.executemany(affected_hours.ADD_COUNTS, counts)
    elif inserted:
        cursor.execute(affected_hours.COUNT_NEWEST, (inserted,))


@contextmanager
def _raw_cursor(session: Session) -> Iterator[Any]:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def _sqlite_params(
    rows: Sequence[LoadRow], received: str | None, parts: int, origin: str = INGESTED
) -> list[tuple[Any, ...]]:
    """The `_LOAD_SQLITE` parameters of each row; `received` None: received at its own ts."""
    params = []
    part_of: dict[str | None, int] = {}  # a batch holds a handful of use cases: hash each once
    for event_id, kind, ts, use_case, output_id, payload in rows:
        # `sqlite_time` inlined (it runs once per event): validated times are already UTC.
        if ts.tzinfo is not UTC:
            ts = as_utc(ts)
        when = ts.isoformat(" ", "microseconds")[:26]
        part = part_of.get(use_case)
        if part is None:
            part = part_of[use_case] = partition_of(use_case, parts)
        params.append(
            (event_id, kind, when, use_case, output_id, received or when, origin, payload, part)
        )
    return params


def sqlite_time(when: datetime) -> str:
    """UTCDateTime's storage form of `when` on SQLite: naive UTC, "YYYY-MM-DD HH:MM:SS.ffffff"."""
    if when.tzinfo is not UTC:
        when = as_utc(when)  # a naive time is UTC, as UTCDateTime reads it (not local time)
    # The first 26 characters, before "+00:00": no naive copy of every event's time.
    return when.isoformat(sep=" ", timespec="microseconds")[:26]


def _guard_insert(session: Session) -> None:
    # Held until this transaction ends; see `committed_high_water`.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": INSERT_LOCK})


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


def count_after(session: Session, position: int) -> int:
    """How many events are stored past `position` (a seq)."""
    return int(session.scalar(select(func.count()).where(EventRow.seq > position)) or 0)


def max_seq(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(EventRow.seq), 0))) or 0)


def read_after(
    session: Session,
    position: int,
    limit: int,
    upto: int | None = None,
    part: int | None = None,
) -> tuple[list[StoredEvent], int]:
    """Up to `limit` ingested events with position < seq (<= upto), in seq order, and the new
    position.

    Events a stage derived inline are skipped (their stage already handed them on) but still
    move the position forward.
    """
    if session.get_bind().dialect.name == "sqlite":
        return _read_after_sqlite(session, position, limit, upto, part)
    query = select(*_STORED_COLUMNS, _EVENTS.c.origin).where(_EVENTS.c.seq > position)
    if part is not None:
        query = query.where(_EVENTS.c.part == part)
    if upto is not None:
        query = query.where(_EVENTS.c.seq <= upto)
    rows = session.execute(query.order_by(_EVENTS.c.seq).limit(limit)).all()
    new_position = int(rows[-1][0]) if rows else position
    # Unpacking tuples, not Row attributes by name: this loop runs for every event.
    return [
        StoredEvent(seq, event_id, kind, ts, use_case, payload)
        for seq, event_id, kind, ts, use_case, payload, origin in rows
        if origin == INGESTED
    ], new_position


_READ_SQLITE = (
    "SELECT seq, id, type, ts, use_case, payload, origin FROM events "
    "WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
)
_READ_PART_SQLITE = (
    "SELECT seq, id, type, ts, use_case, payload, origin FROM events "
    "WHERE part = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
)
_NO_LIMIT = 2**62


def _read_after_sqlite(
    session: Session, position: int, limit: int, upto: int | None, part: int | None
) -> tuple[list[StoredEvent], int]:
    # The follower's hot path while ingest is busy: decode the two typed columns directly
    # (UTCDateTime's naive UTC text, JSON text) instead of through SQLAlchemy's row processing.
    top = _NO_LIMIT if upto is None else upto
    with _raw_cursor(session) as cursor:
        if part is None:
            cursor.execute(_READ_SQLITE, (position, top, limit))
        else:
            cursor.execute(_READ_PART_SQLITE, (part, position, top, limit))
        rows = cursor.fetchall()
    new_position = int(rows[-1][0]) if rows else position
    return [
        StoredEvent(seq, event_id, kind, _from_sqlite_time(ts), use_case, orjson.loads(payload))
        for seq, event_id, kind, ts, use_case, payload, origin in rows
        if origin == INGESTED
    ], new_position


def _from_sqlite_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def committed_high_water(session: Session) -> int | None:
    """A seq at or below which every event that will ever exist is already committed, or None
    when there is no such problem (SQLite: one writer at a time, so seq order is commit order).

    PostgreSQL allocates seq at INSERT but commits later, so a reader following by seq could see
    seq 11 commit before seq 10 and skip 10 forever. Every insert holds a shared advisory lock
    until it commits (`_guard_insert`); taking it exclusively here waits for those in flight,
    after which no seq below max(seq) can still appear. Call in its own short transaction.
    """
    if session.get_bind().dialect.name != "postgresql":
        return None
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INSERT_LOCK})
    return max_seq(session)


def insert_derived(
    session: Session, payloads: Sequence[dict[str, Any]], now: datetime
) -> list[StoredEvent]:
    """Store events a stage computed (e.g. evaluator scores) and return them for later stages.

    Payloads must already be valid normalised events (see `tripwire.domain.events`).
    """
    rows: list[LoadRow] = [
        (
            p["id"],
            p["type"],
            _ts(p),
            p.get("use_case"),
            p.get("output_id"),
            orjson.dumps(p).decode("utf-8"),
        )
        for p in payloads
    ]
    inserted = load_rows(session, rows, origin="pipeline")
    payload_of = {p["id"]: p for p in payloads}
    stored: list[StoredEvent] = []
    for event_id, kind, ts, use_case, _, _ in rows:
        seq = inserted.pop(event_id, None)  # pop: a repeated id is stored once
        if seq is not None:
            stored.append(StoredEvent(seq, event_id, kind, ts, use_case, payload_of[event_id]))
    return stored


def _ts(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(payload["ts"]).replace("Z", "+00:00"))


def iter_by_time(session: Session, *, batch: int = 5000) -> Iterator[StoredEvent]:
    """Every stored event in (ts, seq) order, streamed in batches."""
    last: tuple[datetime, int] | None = None
    while True:
        query = select(*_STORED_COLUMNS).order_by(_EVENTS.c.ts, _EVENTS.c.seq).limit(batch)
        if last is not None:
            ts, seq = _EVENTS.c.ts, _EVENTS.c.seq
            query = query.where((ts > last[0]) | ((ts == last[0]) & (seq > last[1])))
        rows = session.execute(query).all()
        if not rows:
            return
        for seq, event_id, kind, ts, use_case, payload in rows:
            yield StoredEvent(seq, event_id, kind, ts, use_case, payload)
        last = (rows[-1][3], rows[-1][0])


def to_stored(row: EventRow) -> StoredEvent:
    return StoredEvent(row.seq, row.id, row.type, row.ts, row.use_case, row.payload)


def counts_since(session: Session, since: datetime) -> list[tuple[str | None, str, int]]:
    """(use_case, type, count) for events with ts >= since."""
    rows = session.execute(
        select(EventRow.use_case, EventRow.type, func.count())
        .where(EventRow.ts >= since)
        .group_by(EventRow.use_case, EventRow.type)
        .order_by(EventRow.use_case, EventRow.type)
    )
    return [(u, str(t), int(c)) for u, t, c in rows]
