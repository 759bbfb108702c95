"""Raw telemetry: an append-only table keyed by the event id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, BigIntPK, JSONType, UTCDateTime


class EventRow(Base):
    """One accepted event. `seq` orders arrival, so consumers can follow the table by cursor.

    This is the SQLite layout. On PostgreSQL migration 0122 makes the table partitioned by day of
    `ts`, with (seq, ts) as its primary key and (id, ts) as its unique key (see
    `tripwire.store.event_days`); the ORM only needs `seq` to tell rows apart.
    """

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(16))
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    use_case: Mapped[str | None] = mapped_column(String(256))
    output_id: Mapped[str | None] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # "ingest" for what products sent; "pipeline" for events a stage derived inline (a score from
    # a built-in evaluator): later stages see those in the same step, so the follower skips them.
    origin: Mapped[str] = mapped_column(String(16), default="ingest")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The pipeline partition: a stable hash of use_case (see `tripwire.store.partitions`).
    part: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    __table_args__ = (
        Index("ix_events_use_case_type_ts", "use_case", "type", "ts"),
        Index("ix_events_type_ts", "type", "ts"),
        Index("ix_events_ts", "ts"),
        Index("ix_events_output_id", "output_id"),
        Index("ix_events_part_seq", "part", "seq"),
    )


class DataDeletionRow(Base):
    """The audit trail of deleted data: a user's outputs and feedback deleted on request, or
    raw events dropped by retention. Who asked, what, when and how many rows went."""

    __tablename__ = "data_deletions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # "user" or "retention"
    subject: Mapped[str] = mapped_column(String(256))  # the user id, or the cutoff time
    requested_by: Mapped[str] = mapped_column(String(128))
    events_deleted: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
