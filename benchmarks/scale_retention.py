"""The retention part of benchmarks/scale.py: on PostgreSQL, dropping one day partition of N
stored, processed events, against the baseline of deleting the same number of rows in 5,000-row
batches (what retention does on SQLite and in the default partition) plus the VACUUM that
reclaims them, in the same run, on two days of the same size. And migration 0122 on a table that
already holds events, against a bare copy of the same rows."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import orjson
from alembic import command
from ingest import make_events
from sqlalchemy import text

from tripwire.store import event_days
from tripwire.store.db import Database
from tripwire.store.events import LoadRow, load_rows
from tripwire.store.migrate import alembic_config, upgrade
from tripwire.store.partitions import ensure_partitions, set_all_positions
from tripwire.store.retention import BATCH

DROPPED = date(2026, 10, 1)
DELETED = date(2026, 10, 2)


def day_rows(day: date, count: int) -> list[LoadRow]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    rows: list[LoadRow] = []
    for n, event in enumerate(make_events(count, seed=5, prefix=f"r{day:%d}-")):
        ts = start + timedelta(seconds=n * 86_400 / count)
        event["ts"] = ts.isoformat().replace("+00:00", "Z")
        rows.append(
            (
                event["id"],
                event["type"],
                ts,
                event["use_case"],
                event.get("output_id"),
                orjson.dumps(event).decode(),
            )
        )
    return rows


def bench_retention(url: str, count: int) -> dict[str, float]:
    """Seconds to drop a day of `count` events, and to delete another day's rows in batches."""
    db = Database(url)
    try:
        upgrade(db.engine)
        now = datetime.now(UTC)
        with db.session() as session:
            ensure_partitions(session, 64, now)
            for day in (DROPPED, DELETED):
                if day not in event_days.days(session):
                    event_days.create_day(session, day)
        for day in (DROPPED, DELETED):
            rows = day_rows(day, count)
            for start in range(0, count, 5000):
                with db.session() as session:
                    load_rows(session, rows[start : start + 5000])
        with db.session() as session:
            top = int(session.scalar(text("SELECT max(seq) FROM events")) or 0)
            set_all_positions(session, top, now)
        began = time.perf_counter()
        with db.session() as session:
            dropped = event_days.drop_day(session, DROPPED)
        drop_seconds = time.perf_counter() - began
        if dropped is None or dropped.events != count:
            raise RuntimeError(f"dropped {dropped}, expected {count} events")
        began = time.perf_counter()
        deleted = 0
        table = event_days.day_table(DELETED)
        while True:
            with db.session() as session:
                result = session.execute(
                    text(
                        f"DELETE FROM {table} WHERE seq IN "  # noqa: S608
                        f"(SELECT seq FROM {table} ORDER BY ts LIMIT {BATCH})"
                    )
                )
            deleted += int(result.rowcount)  # type: ignore[attr-defined]
            if result.rowcount < BATCH:  # type: ignore[attr-defined]
                break
        delete_seconds = time.perf_counter() - began
        assert deleted == count
        # PostgreSQL only marks deleted rows: VACUUM does the deferred work (the heap and every
        # index), and it is part of what row-by-row retention costs.
        began = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM {table}"))
        vacuum_seconds = time.perf_counter() - began
    finally:
        db.dispose()
    return {
        "events": count,
        "drop": drop_seconds,
        "delete": delete_seconds,
        "vacuum": vacuum_seconds,
    }


def bench_migration(url: str, count: int) -> dict[str, float]:
    """Seconds for migration 0122 to partition a table of `count` events spread over 30 days,
    and the baseline: a bare copy of the same rows into a new unindexed table."""
    db = Database(url)
    try:
        config = alembic_config()
        with db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0110")
        payload = orjson.dumps(make_events(1, seed=1)[0]).decode()
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO events (id, type, ts, use_case, output_id, received_at, origin, "
                    "payload, part) SELECT 'e' || g, 'output', "
                    "now()::timestamp - (g % 43200) * interval '1 minute', 'uc-' || (g % 20), "
                    "NULL, now()::timestamp, 'ingest', CAST(:payload AS jsonb), g % 64 "
                    "FROM generate_series(1, :count) g"
                ),
                {"payload": payload, "count": count},
            )
        began = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE copied AS SELECT * FROM events"))
            conn.execute(text("DROP TABLE copied"))
        copy_seconds = time.perf_counter() - began
        began = time.perf_counter()
        upgrade(db.engine)
        migrate_seconds = time.perf_counter() - began
        with db.read() as session:
            if not event_days.is_partitioned(session):
                raise RuntimeError("migration 0122 did not partition events")
    finally:
        db.dispose()
    return {"events": count, "migrate": migrate_seconds, "copy": copy_seconds}
