"""events partitioned by day on PostgreSQL

On PostgreSQL the existing `events` table becomes a table range-partitioned by `ts`, one partition
per UTC day plus a default one, with every row copied (seqs kept, the seq sequence carried over).
Its keys gain `ts`, which PostgreSQL requires of every unique index of a partitioned table: the
primary key is (seq, ts) and the unique key (id, ts). The idempotency key stays the id alone: a
narrow global table `event_ids (id, day)`, filled here from the copied rows, holds every stored
id with the UTC day of its event, and each insert claims its ids there first (see
`tripwire.store.events`); retention deletes a dropped day's ids with it. SQLite is left as it is.

Partitions are made here for the days that hold events (at most 90 days back) and for yesterday to
a week ahead; older rows go to the default partition, which retention empties row by row. From
then on, retention (`tripwire.ingest.retention`) creates the days ahead and drops expired ones.

Revision ID: 0122
Revises: 0110
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0122"
down_revision = "0110"
branch_labels = None
depends_on = None

DAYS_BACK = 90
DAYS_AHEAD = 7
COLUMNS = "seq, id, type, ts, use_case, output_id, received_at, origin, payload, part"
COLUMN_TYPES = """
    seq BIGINT NOT NULL DEFAULT nextval('{sequence}'),
    id VARCHAR(128) NOT NULL,
    type VARCHAR(16) NOT NULL,
    ts TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    use_case VARCHAR(256),
    output_id VARCHAR(128),
    received_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    origin VARCHAR(16) NOT NULL,
    payload JSONB NOT NULL,
    part SMALLINT NOT NULL DEFAULT 0"""
PLAIN_KEYS = """,
    CONSTRAINT pk_events PRIMARY KEY (seq),
    CONSTRAINT uq_events_id UNIQUE (id)
"""
INDEXES = {
    "ix_events_use_case_type_ts": "use_case, type, ts",
    "ix_events_type_ts": "type, ts",
    "ix_events_ts": "ts",
    "ix_events_output_id": "output_id",
    "ix_events_part_seq": "part, seq",
}


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql" or _relkind(conn, "events") == "p":
        return
    _set_aside_and_recreate(conn, "_unpartitioned", partitioned=True)
    op.execute("CREATE TABLE events_default PARTITION OF events DEFAULT")
    for day in _days_to_create(conn):
        low, high = day.isoformat(), (day + timedelta(days=1)).isoformat()
        op.execute(
            f"CREATE TABLE events_p{day:%Y%m%d} PARTITION OF events "
            f"FOR VALUES FROM ('{low}') TO ('{high}')"
        )
    op.execute(f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events_unpartitioned")  # noqa: S608
    op.execute("DROP TABLE events_unpartitioned")
    # Keys and indexes after the copy: one build per partition instead of row-by-row upkeep.
    op.execute("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY (seq, ts)")
    op.execute("ALTER TABLE events ADD CONSTRAINT uq_events_id_ts UNIQUE (id, ts)")
    _create_indexes()
    _create_event_ids()
    op.execute("ANALYZE events")
    op.execute("ANALYZE event_ids")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql" or _relkind(conn, "events") != "p":
        return
    _set_aside_and_recreate(conn, "_partitioned", partitioned=False)
    # An id stored twice with two times (possible only while partitioned) keeps its first copy.
    op.execute(
        f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events_partitioned "  # noqa: S608
        "ORDER BY seq ON CONFLICT (id) DO NOTHING"
    )
    op.execute("DROP TABLE events_partitioned")
    op.execute("DROP TABLE event_ids")
    _create_indexes()


def _set_aside_and_recreate(conn: sa.Connection, suffix: str, *, partitioned: bool) -> None:
    """Rename `events` (and its index names) with `suffix` and create the new `events` in its
    place, on the same seq sequence: partitioned by day with no keys yet (they are built after
    the copy), or plain with its keys on (seq) and (id) as before this migration."""
    sequence = conn.scalar(sa.text("SELECT pg_get_serial_sequence('events', 'seq')"))
    op.execute(f"ALTER TABLE events RENAME TO events{suffix}")
    _rename_indexes(conn, f"events{suffix}", suffix)
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
    keys = "" if partitioned else PLAIN_KEYS
    layout = " PARTITION BY RANGE (ts)" if partitioned else ""
    op.execute(f"CREATE TABLE events ({COLUMN_TYPES.format(sequence=sequence)}{keys}){layout}")
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY events.seq")


def _create_indexes() -> None:
    for name, columns in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON events ({columns})")


def _create_event_ids() -> None:
    """The global id key: one row per stored event (the ids were unique before the conversion)."""
    op.execute("CREATE TABLE event_ids (id VARCHAR(128) NOT NULL, day DATE NOT NULL)")
    op.execute("INSERT INTO event_ids (id, day) SELECT id, CAST(ts AS DATE) FROM events")
    op.execute("ALTER TABLE event_ids ADD CONSTRAINT pk_event_ids PRIMARY KEY (id)")
    op.execute("CREATE INDEX ix_event_ids_day ON event_ids (day)")


def _relkind(conn: sa.Connection, table: str) -> str | None:
    kind = conn.scalar(
        sa.text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    )
    return None if kind is None else str(kind)


def _rename_indexes(conn: sa.Connection, table: str, suffix: str) -> None:
    """Free the index names (they are unique per schema) for the new table's own indexes."""
    names = conn.scalars(
        sa.text(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = to_regclass(:t) AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        ),
        {"t": table},
    ).all()
    for name in names:
        op.execute(f'ALTER INDEX "{name}" RENAME TO "{name}{suffix}"')
    constraints = conn.scalars(
        sa.text("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t)"), {"t": table}
    ).all()
    for name in constraints:
        op.execute(f'ALTER TABLE {table} RENAME CONSTRAINT "{name}" TO "{name}{suffix}"')


def _days_to_create(conn: sa.Connection) -> list[date]:
    today = datetime.now(UTC).date()
    oldest = today - timedelta(days=DAYS_BACK)
    rows = conn.scalars(
        sa.text(
            "SELECT DISTINCT CAST(ts AS DATE) FROM events_unpartitioned "
            "WHERE ts >= :oldest AND ts < :newest"
        ),
        {"oldest": oldest, "newest": today + timedelta(days=DAYS_AHEAD + 1)},
    ).all()
    wanted = {today + timedelta(days=n) for n in range(-1, DAYS_AHEAD + 1)}
    return sorted(wanted | set(rows))
