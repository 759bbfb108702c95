"""Quarantined events: the pipeline moved past them because a stage failed on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, BigIntPK, UTCDateTime


class DeadLetterRow(Base):
    """One event a stage failed on, with the stage and the error, so the pipeline could go on.

    `status`: `dead` (quarantined), `retry` (an operator asked for another try; the pipeline
    runs it at its next step) or `done` (a retry went through every stage). One row per event.
    """

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    event_id: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="dead")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_dead_letters_status_id", "status", "id"),)
