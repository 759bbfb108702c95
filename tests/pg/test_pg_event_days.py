"""The events table partitioned by day on PostgreSQL: the migration of a table that already
holds rows, partitions made ahead, retention by dropping whole expired days (only once the
pipeline is done with them), and a busy table making a change wait for the next round."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import T0
from tests.events_data import valid
from tests.integration.test_retention import drain
from tests.pg.conftest import _libpq
from tripwire.domain.clock import ManualClock
from tripwire.ingest.retention import DAYS_AHEAD
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.runtime.wiring import Runtime
from tripwire.store import event_days
from tripwire.store.migrate import alembic_config, upgrade
from tripwire.store.retention import deletions

INSERT_OLD = text(
    "INSERT INTO events (id, type, ts, use_case, output_id, received_at, origin, payload, part) "
    "VALUES (:id, 'metric', :ts, 'uc', NULL, :ts, 'ingest', '{}', 3)"
)


def migrate_to(url: str, revision: str, *, down: bool = False) -> None:
    engine = create_engine(url)
    try:
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(config, revision)
    finally:
        engine.dispose()


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(_libpq(url)) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def test_the_migration_partitions_a_table_that_holds_events(db_url: str) -> None:
    migrate_to(db_url, "0110")
    # The migration lays out days around the wall clock (it has no other): a recent event
    # lands in its own day, one from 2001 in the default partition.
    recent = (datetime.now(UTC) - timedelta(days=2)).replace(tzinfo=None)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(INSERT_OLD, {"id": "ancient", "ts": "2001-01-01 10:00:00"})
        conn.execute(INSERT_OLD, {"id": "recent", "ts": recent})
        before = conn.execute(text("SELECT seq, id, ts FROM events ORDER BY seq")).all()
    upgrade(engine)
    with engine.begin() as conn:
        after = conn.execute(text("SELECT seq, id, ts FROM events ORDER BY seq")).all()
        where = dict(conn.execute(text("SELECT id, tableoid::regclass::text FROM events")).all())
        kind = conn.scalar(text("SELECT relkind FROM pg_class WHERE oid = 'events'::regclass"))
        ids = dict(conn.execute(text("SELECT id, day FROM event_ids")).all())
        conn.execute(INSERT_OLD, {"id": "new", "ts": recent})
        seq = conn.scalar(text("SELECT seq FROM events WHERE id = 'new'"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(INSERT_OLD, {"id": "recent", "ts": recent})  # (id, ts): the backstop key
    engine.dispose()
    assert ids == {"ancient": date(2001, 1, 1), "recent": recent.date()}
    assert after == before
    assert str(kind) == "p"
    assert where == {
        "ancient": event_days.DEFAULT_PARTITION,
        "recent": event_days.day_table(recent.date()),
    }
    assert seq == 3  # the seq sequence carries on


def test_a_resent_event_is_stored_once_on_the_partitioned_table(runtime: Runtime) -> None:
    event = valid("metric", id="m-1")
    first = store_events(runtime.db, parse_batch([event]), runtime.clock)
    again = store_events(runtime.db, parse_batch([event, event]), runtime.clock)
    assert (first.accepted, again.accepted, again.duplicates) == (1, 0, 2)


def test_an_id_reused_on_another_day_is_a_duplicate_on_the_partitioned_table(
    runtime: Runtime,
) -> None:
    """The id alone is the key across day partitions: `event_ids` holds it once, whatever the ts."""
    runtime.retention().run_once(leased=False)  # lays out the days around T0 (November 20)
    first = valid("metric", id="m-1", ts="2026-11-20T09:00:00Z")
    next_day = valid("metric", id="m-1", ts="2026-11-21T09:00:00Z")
    store_events(runtime.db, parse_batch([first]), runtime.clock)
    again = store_events(runtime.db, parse_batch([next_day]), runtime.clock)
    assert (again.accepted, again.duplicates) == (0, 1)
    assert rows(runtime.db.url, "SELECT id, tableoid::regclass::text FROM events") == [
        ("m-1", event_days.day_table(date(2026, 11, 20)))
    ]
    assert rows(runtime.db.url, "SELECT id, day FROM event_ids") == [("m-1", date(2026, 11, 20))]


def test_the_migration_goes_down_and_up_again_keeping_every_row(db_url: str) -> None:
    migrate_to(db_url, "0110")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        for n in range(5):
            conn.execute(INSERT_OLD, {"id": f"e{n}", "ts": f"2026-11-{10 + n} 10:00:00"})
    upgrade(engine)
    engine.dispose()
    migrate_to(db_url, "0110", down=True)
    kind = rows(db_url, "SELECT relkind FROM pg_class WHERE oid = 'events'::regclass")
    assert kind == [("r",)]
    migrate_to(db_url, "head")
    assert rows(db_url, "SELECT seq, id FROM events ORDER BY seq") == [
        (n + 1, f"e{n}") for n in range(5)
    ]
    assert rows(db_url, "SELECT id FROM event_ids ORDER BY id") == [(f"e{n}",) for n in range(5)]


def store_days(runtime: Runtime, days: list[int], per_day: int = 3) -> None:
    """`per_day` outputs on each of the given days of November 2026."""
    events = [
        valid("output", id=f"o-{day}-{i}", ts=f"2026-11-{day:02d}T09:00:00Z", user_id="u")
        for day in days
        for i in range(per_day)
    ]
    store_events(runtime.db, parse_batch(events), runtime.clock)


def window_days(today: date, retention_days: int) -> set[date]:
    """From the retention cutoff's day to DAYS_AHEAD days ahead."""
    first = today - timedelta(days=retention_days)
    return {first + timedelta(days=n) for n in range(retention_days + DAYS_AHEAD + 1)}


def partition_days(runtime: Runtime) -> list[date]:
    with runtime.db.read() as session:
        return event_days.days(session)


def test_retention_makes_the_days_ahead_and_drops_whole_expired_days(
    runtime: Runtime, clock: ManualClock
) -> None:
    retention = runtime.retention()
    retention.run_once(leased=False)  # lays out the days at T0 (November 20)
    store_days(runtime, [14, 16, 18, 20])
    window = window_days(T0.date(), runtime.settings.retention_days)
    assert window <= set(partition_days(runtime))
    drain(runtime)
    clock.advance(timedelta(days=runtime.settings.retention_days - 3))  # cutoff: Nov 17, 09:00
    assert retention.run_once(leased=False) == 6  # the 14th and the 16th, whole
    days = partition_days(runtime)
    assert date(2026, 11, 16) not in days
    assert date(2026, 11, 17) in days  # the cutoff's own day stays until it has ended
    assert window_days(clock.now().date(), runtime.settings.retention_days) <= set(days)
    remaining = rows(runtime.db.url, "SELECT count(*) FROM events WHERE origin = 'ingest'")
    assert remaining == [(6,)]
    # The dropped days' ids went with them: the key table holds exactly the stored events.
    assert rows(runtime.db.url, "SELECT count(*) FROM event_ids") == rows(
        runtime.db.url, "SELECT count(*) FROM events"
    )
    with runtime.db.read() as session:
        audit = deletions(session)[0]
    assert (audit.kind, audit.events_deleted) == ("retention", 6)


def test_a_day_is_dropped_only_once_the_pipeline_is_done_with_it(
    runtime: Runtime, clock: ManualClock
) -> None:
    retention = runtime.retention()
    retention.run_once(leased=False)
    store_days(runtime, [14])
    clock.advance(timedelta(days=40))
    assert retention.run_once(leased=False) == 0  # stored, never processed: it stays
    assert date(2026, 11, 14) in partition_days(runtime)
    drain(runtime)
    assert retention.run_once(leased=False) == 3
    assert date(2026, 11, 14) not in partition_days(runtime)


def test_events_waiting_in_the_default_partition_move_into_their_new_day(
    runtime: Runtime,
) -> None:
    far = T0 + timedelta(days=DAYS_AHEAD + 3)
    ts = far.isoformat().replace("+00:00", "Z")
    event = valid("output", id="ahead", ts=ts)
    store_events(runtime.db, parse_batch([event]), runtime.clock)
    home = rows(runtime.db.url, "SELECT tableoid::regclass::text FROM events")
    with runtime.db.session() as session:
        moved = event_days.create_day(session, far.date())
    assert (home, moved) == ([(event_days.DEFAULT_PARTITION,)], 1)
    assert rows(runtime.db.url, "SELECT id, tableoid::regclass::text FROM events") == [
        ("ahead", event_days.day_table(far.date()))
    ]


def test_a_busy_table_makes_the_change_wait_for_the_next_round(
    runtime: Runtime, clock: ManualClock
) -> None:
    retention = runtime.retention()
    clock.advance(timedelta(days=DAYS_AHEAD * 30))  # far from any day laid out so far
    with psycopg.connect(_libpq(runtime.db.url)) as reader:
        reader.execute("SELECT count(*) FROM events")  # holds its lock until the commit
        assert retention.run_once(leased=False) == 0
        assert clock.now().date() not in partition_days(runtime)
    retention.run_once(leased=False)
    assert clock.now().date() in partition_days(runtime)


def test_a_day_made_or_dropped_by_another_process_is_left_as_it_is(runtime: Runtime) -> None:
    day = T0.date() + timedelta(days=400)
    with runtime.db.session() as session:
        event_days.create_day(session, day)
    with runtime.db.session() as session:  # a second retention round (or the CLI) racing it
        assert event_days.create_day(session, day) == 0
        assert event_days.drop_day(session, day) == event_days.Dropped(day, 0)
    with runtime.db.session() as session:
        assert event_days.drop_day(session, day) == event_days.Dropped(day, 0)
    assert day not in partition_days(runtime)
