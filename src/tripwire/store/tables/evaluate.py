"""Evaluate's own tables: ticket classifications and the LLM judge's cache and spend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, JSONType, UTCDateTime


class TicketTopicRow(Base):
    """The topic Tripwire gave a `ticket` event that arrived without one."""

    __tablename__ = "ticket_topics"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    use_case: Mapped[str | None] = mapped_column(String(256))
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    topic: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(128))
    classified_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_ticket_topics_use_case_ts", "use_case", "ts"),)


class JudgeCacheRow(Base):
    """A judge verdict keyed by a hash of (model, prompt): the same question is paid once."""

    __tablename__ = "judge_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(256))
    verdict: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JudgeSpendRow(Base):
    """Requests, tokens and dollars spent on the judge in one clock hour (the spend cap)."""

    __tablename__ = "judge_spend"

    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost: Mapped[float] = mapped_column(Float, default=0.0)
