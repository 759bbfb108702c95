"""Tables that keep the background machinery durable: cursors, leases, the outbox and jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, BigIntPK, JSONType, UTCDateTime


class CursorRow(Base):
    """How far a consumer has read the events table (by `seq`); advanced in its own transaction."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LeaseRow(Base):
    """A named lease: one process at a time leads a periodic task, any process can take over."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PipelinePartitionRow(Base):
    """One partition of the pipeline: its cursor (`position`, a seq), its lease (`holder` until
    `expires_at`) and the member the group's coordinator assigned it to. The lease and the
    cursor share a row, so renewing the lease at the start of a step locks out any other
    holder until the step (cursor and detector state included) commits."""

    __tablename__ = "pipeline_partitions"

    part: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    holder: Mapped[str | None] = mapped_column(String(128))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_to: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PipelineMemberRow(Base):
    """A live pipeline worker: it renews `expires_at` every round; the coordinator (the live
    member with the smallest id) spreads the partitions over the live members."""

    __tablename__ = "pipeline_members"

    holder: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxRow(Base):
    """A side effect waiting to leave: written in the same transaction as the change causing it.

    `id` is stable across retries and is the receiver's idempotency key. `ordering_key` (e.g. an
    incident id) keeps messages of one incident in order: a message is not sent while an earlier
    one with the same key is still pending.
    """

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(128))
    ordering_key: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_ordering", "ordering_key", "seq"),
    )


class JobRow(Base):
    """A unit of background work (scoring an output, a timer); claimed with a conditional UPDATE."""

    __tablename__ = "jobs"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str | None] = mapped_column(String(256), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_jobs_status_run_at", "status", "kind", "run_at"),)


class InstanceSecretRow(Base):
    """Secrets this installation generated for itself (e.g. the key that signs links and CSRF
    tokens when `TRIPWIRE_SECRET_KEY` is not set), so they survive restarts."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
