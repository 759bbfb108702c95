"""Detection state: compact detector state per series, hourly aggregates with retention, and the
alerts detectors raised (the record respond and the UI read, and tests assert on)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, BigIntPK, JSONType, UTCDateTime


class DetectorStateRow(Base):
    """The detectors of one series (`monitor|use_case|source|segment_key|value`): a few hundred
    numbers whatever the history, so `serve` resumes after a restart."""

    __tablename__ = "detector_state"

    key: Mapped[str] = mapped_column(String(700), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DetectWindowRow(Base):
    """One hour of one series: its volume and observed value (rate, mean score, p95 ms)."""

    __tablename__ = "detect_windows"

    key: Mapped[str] = mapped_column(String(700), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    volume: Mapped[float] = mapped_column(Float)
    value: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_detect_windows_hour", "hour"),)


class DetectAlertRow(Base):
    """An alert a detector raised; `resolved_at` is set when it cleared."""

    __tablename__ = "detect_alerts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(800))
    monitor: Mapped[str] = mapped_column(String(128))
    metric: Mapped[str] = mapped_column(String(256))
    incident_type: Mapped[str] = mapped_column(String(32))
    use_case: Mapped[str | None] = mapped_column(String(256))
    segment: Mapped[dict[str, Any]] = mapped_column(JSONType)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    baseline: Mapped[float | None] = mapped_column(Float)
    observed: Mapped[float | None] = mapped_column(Float)
    magnitude: Mapped[float | None] = mapped_column(Float)
    severity_hint: Mapped[str | None] = mapped_column(String(4))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)

    __table_args__ = (
        Index("ix_detect_alerts_dedup_key", "dedup_key", "resolved_at"),
        Index("ix_detect_alerts_detected_at", "detected_at"),
    )
