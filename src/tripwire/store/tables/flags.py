"""Feature flags and kill switches with their audit trail, playbook runs and rollbacks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, BigIntPK, JSONType, UTCDateTime


class FlagRow(Base):
    """The current state of one flag; `version` grows by one with every change."""

    __tablename__ = "flags"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[Any] = mapped_column(JSONType)
    default: Mapped[Any] = mapped_column(JSONType)
    kill_value: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    variants: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    use_case: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(256))


class FlagChangeRow(Base):
    """One entry of a flag's audit trail: who changed it, when, why, from what to what."""

    __tablename__ = "flag_changes"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(256))
    reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))  # api | cli | playbook | config
    incident_id: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    new: Mapped[dict[str, Any]] = mapped_column(JSONType)

    __table_args__ = (Index("ix_flag_changes_key_version", "key", "version"),)


class PlaybookRunRow(Base):
    """A playbook started for one incident."""

    __tablename__ = "playbook_runs"

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    playbook: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Suspects are ranked again while evidence accumulates; this is when it last happened.
    ranked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)


class PlaybookStepRow(Base):
    """One step of a run: its task (manual), its result (automatic) and its deadline.

    `state`: open (a task without deadline), pending (deadline not reached yet), met (task done
    in time), escalated (deadline missed, escalation paged), overdue (missed, nobody to page),
    done / skipped / failed (automatic steps).
    """

    __tablename__ = "playbook_steps"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident_id: Mapped[str] = mapped_column(String(64))
    step_id: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))  # auto | manual
    state: Mapped[str] = mapped_column(String(16))
    task_id: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_playbook_steps_incident", "incident_id", "step_id", unique=True),
        Index("ix_playbook_steps_state_due", "state", "due_at"),
    )


class RollbackRow(Base):
    """A rollback through a change's `rollback` handle, and whether the signal recovered.

    `state`: applied -> confirmed | not_recovered; reverted when undone; sent for a webhook.
    """

    __tablename__ = "rollbacks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    incident_id: Mapped[str | None] = mapped_column(String(64))
    change_id: Mapped[str] = mapped_column(String(128))
    handle: Mapped[dict[str, Any]] = mapped_column(JSONType)
    flag_key: Mapped[str | None] = mapped_column(String(128))
    previous_value: Mapped[Any | None] = mapped_column(JSONType, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime())
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    metric: Mapped[str | None] = mapped_column(String(256))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)

    __table_args__ = (Index("ix_rollbacks_state_check", "state", "check_at"),)
