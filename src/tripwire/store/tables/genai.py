"""The GenAI content join (OTLP spans and log records) and outputs stored without content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, JSONType, UTCDateTime


class HeldOutputRow(Base):
    """An output from a span without content, held until its content arrives as log records
    or `release_at` passes; then it moves to `events` (see `tripwire.ingest.genai_join`)."""

    __tablename__ = "genai_held_outputs"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    use_case: Mapped[str] = mapped_column(String(256))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    release_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ContentPartRow(Base):
    """One GenAI log record (a message, a choice, the operation details, an evaluation) for the
    output of span `span`. `id` is a hash of the record, so a re-sent export stores nothing
    twice; `joined` parts stay a while after their output left, for the same reason."""

    __tablename__ = "genai_content_parts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    span: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(BigInteger)
    ordinal: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    joined: Mapped[bool] = mapped_column(Boolean, default=False)


class ContentGapRow(Base):
    """How many outputs of a use case arrived without their content, by the setting that
    would turn capture on (counted once per output by the evaluate stage)."""

    __tablename__ = "content_gaps"

    use_case: Mapped[str] = mapped_column(String(256), primary_key=True)
    setting: Mapped[str] = mapped_column(String(512), primary_key=True)
    outputs: Mapped[int] = mapped_column(BigInteger, default=0)
    first_ts: Mapped[datetime] = mapped_column(UTCDateTime())
    last_ts: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_content_gaps_last_ts", "last_ts"),)
