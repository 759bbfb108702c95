"""Day partitions of the events table on PostgreSQL.

On PostgreSQL `events` is range-partitioned by `ts`, one partition per UTC day
(`events_pYYYYMMDD`), plus a default partition for events whose day has none (older than the
retention window, or further ahead than the partitions made in advance). Retention then drops a
whole day at once instead of deleting its rows one by one: no dead rows, no vacuum debt, no long
delete competing with ingest. The partition key has to be part of every unique index, so the
id alone is kept unique by the narrow global table `event_ids (id, day)` (see
`tripwire.store.events`); dropping a day deletes that day's ids with it, by the `day` index.

Creating or dropping a partition takes an ACCESS EXCLUSIVE lock on `events` for a moment. Each
does so with a short lock timeout: when inserts or pipeline reads hold the table, the change gives
up (`LockBusy`) and the next round tries again, instead of queueing every later query behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

# Every table name in this module's SQL is made from a date or a constant, never from input
# (hence the `noqa: S608`).
DEFAULT_PARTITION = "events_default"
LOCK_TIMEOUT = "1s"
_DAY_NAME = re.compile(r"^events_p(\d{8})$")
_LOCK_NOT_AVAILABLE = "55P03"


class LockBusy(RuntimeError):
    """`events` stayed busy for longer than the lock timeout; try again later."""


@dataclass(frozen=True, slots=True)
class Dropped:
    """One day partition dropped, and how many events went with it."""

    day: date
    events: int


def is_partitioned(session: Session) -> bool:
    """True on PostgreSQL once migration 0122 made `events` a partitioned table."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    kind = session.scalar(text("SELECT relkind FROM pg_class WHERE oid = to_regclass('events')"))
    return str(kind) == "p"


def day_table(day: date) -> str:
    return f"events_p{day:%Y%m%d}"


def day_of(when: datetime) -> date:
    """The UTC day of an aware time."""
    return when.astimezone(UTC).date()


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def days(session: Session) -> list[date]:
    """The days that have a partition, oldest first."""
    names = session.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass('events')"
        )
    )
    found = []
    for name in names:
        match = _DAY_NAME.match(str(name))
        if match:
            found.append(datetime.strptime(match.group(1), "%Y%m%d").date())
    return sorted(found)


def create_day(session: Session, day: date) -> int:
    """Create the partition of `day` in the caller's transaction; returns how many events moved
    into it from the default partition (events that arrived before their day had a partition:
    PostgreSQL refuses a new partition while the default one holds rows of its range)."""
    _lock_events(session)
    if _exists(session, day_table(day)):  # another process made it while we waited
        return 0
    low, high = _bounds(day)
    waiting = session.scalar(
        text(f"SELECT count(*) FROM {DEFAULT_PARTITION} WHERE ts >= :low AND ts < :high"),  # noqa: S608
        {"low": low, "high": high},
    )
    moved = int(waiting or 0)
    if moved:
        session.execute(text("CREATE TEMP TABLE moving_events (LIKE events) ON COMMIT DROP"))
        session.execute(
            text(
                f"WITH gone AS (DELETE FROM {DEFAULT_PARTITION} WHERE ts >= :low AND ts < :high "  # noqa: S608
                "RETURNING *) INSERT INTO moving_events SELECT * FROM gone"
            ),
            {"low": low, "high": high},
        )
    # DDL takes no bound parameters; the bounds are formatted from a `date`, never from input.
    session.execute(
        text(
            f"CREATE TABLE {day_table(day)} PARTITION OF events "
            f"FOR VALUES FROM ('{low.isoformat()}') TO ('{high.isoformat()}')"
        )
    )
    if moved:
        session.execute(text("INSERT INTO events SELECT * FROM moving_events"))
    return moved


def drop_day(session: Session, day: date) -> Dropped | None:
    """Drop the partition of `day` in the caller's transaction, unless some of its events are
    still ahead of their pipeline partition's cursor (None: try again once they are processed).
    """
    table = day_table(day)
    if not _exists(session, table):
        return Dropped(day, 0)
    counted, top = session.execute(text(f"SELECT count(*), max(seq) FROM {table}")).one()  # noqa: S608
    _lock_events(session)  # no insert can reach the partition from here on
    if not _exists(session, table):  # another process dropped it while we waited
        return Dropped(day, 0)
    late = 0
    if top is not None:  # events stored while this transaction waited for its lock
        late = int(
            session.scalar(text(f"SELECT count(*) FROM {table} WHERE seq > :top"), {"top": top})  # noqa: S608
            or 0
        )
    if _has_unprocessed(session, table):
        return None
    session.execute(text(f"DROP TABLE {table}"))
    # Every event of the day was in its partition (the default one holds only days without one).
    session.execute(text("DELETE FROM event_ids WHERE day = :day"), {"day": day})
    return Dropped(day, int(counted) + late)


def _has_unprocessed(session: Session, table: str) -> bool:
    cursors = int(session.scalar(text("SELECT count(*) FROM pipeline_partitions")) or 0)
    if not cursors:
        return bool(session.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {table})")))  # noqa: S608
    # One index probe of (part, seq) per pipeline partition.
    return bool(
        session.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM pipeline_partitions p WHERE EXISTS ("  # noqa: S608
                f"SELECT 1 FROM {table} e WHERE e.part = p.part AND e.seq > p.position))"
            )
        )
    )


def _exists(session: Session, table: str) -> bool:
    return session.scalar(text("SELECT to_regclass(:t)"), {"t": table}) is not None


def _bounds(day: date) -> tuple[datetime, datetime]:
    # Naive UTC: the storage form of `UTCDateTime`.
    low = datetime.combine(day, time())
    return low, low + timedelta(days=1)


def _lock_events(session: Session) -> None:
    session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    try:
        session.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise LockBusy(f"events stayed busy for {LOCK_TIMEOUT}") from exc
        raise
