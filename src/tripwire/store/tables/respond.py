"""Incidents and everything attached to them: signals, timeline, roles, tasks, deadlines, and
on-call overrides added at run time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, BigIntPK, JSONType, UTCDateTime

_INCIDENT_FK = "incidents.number"


class IncidentRow(Base):
    """One incident; its public id is `INC-<number>`. `version` grows with every change."""

    __tablename__ = "incidents"

    number: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16))
    use_case: Mapped[str | None] = mapped_column(String(256))
    join_key: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mitigated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
    review_done: Mapped[bool] = mapped_column(Boolean, default=False)
    severity_reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    type_reason: Mapped[str | None] = mapped_column(Text)  # why it has its type (evidence)
    exposed_users: Mapped[int] = mapped_column(Integer, default=0)
    exposed_outputs: Mapped[int] = mapped_column(Integer, default=0)
    reassess_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspects: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    policy: Mapped[str | None] = mapped_column(String(128))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalation_round: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_incidents_status_join", "status", "join_key"),
        Index("ix_incidents_detected", "detected_at"),
        Index("ix_incidents_next_escalation", "next_escalation_at"),
    )


class SignalRow(Base):
    """A signal (detector alert, Alertmanager fingerprint, PagerDuty dedup_key) in an incident."""

    __tablename__ = "incident_signals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int] = mapped_column(ForeignKey(_INCIDENT_FK))
    dedup_key: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(32))
    monitor: Mapped[str] = mapped_column(String(256))
    metric: Mapped[str] = mapped_column(String(256))
    baseline: Mapped[float | None]
    observed: Mapped[float | None]
    magnitude: Mapped[float | None]
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    segment: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (
        Index("ix_incident_signals_dedup", "dedup_key", "state"),
        Index("ix_incident_signals_incident", "incident"),
    )


class TimelineRow(Base):
    """One entry of an incident's append-only timeline."""

    __tablename__ = "incident_timeline"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int] = mapped_column(ForeignKey(_INCIDENT_FK))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    version: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_incident_timeline_incident", "incident", "seq"),)


class RoleRow(Base):
    __tablename__ = "incident_roles"

    incident: Mapped[int] = mapped_column(ForeignKey(_INCIDENT_FK), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    person: Mapped[str] = mapped_column(String(256))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TaskRow(Base):
    """A to-do on an incident (playbook steps, follow-ups); `status` open | done | skipped."""

    __tablename__ = "incident_tasks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int] = mapped_column(ForeignKey(_INCIDENT_FK))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    role: Mapped[str | None] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(String(256))
    source: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    __table_args__ = (Index("ix_incident_tasks_incident", "incident"),)


class DeadlineRow(Base):
    """Something that must happen by `due_at` (e.g. tell legal within an hour); when it passes
    unmet, `page_role` is paged and the miss goes on the timeline."""

    __tablename__ = "incident_deadlines"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int] = mapped_column(ForeignKey(_INCIDENT_FK))
    name: Mapped[str] = mapped_column(String(256))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    page_role: Mapped[str | None] = mapped_column(String(32))
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_incident_deadlines_due", "met_at", "missed_at", "due_at"),)


class OverrideRow(Base):
    """An on-call override added through the API or CLI."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    schedule: Mapped[str] = mapped_column(String(128))
    person: Mapped[str] = mapped_column(String(256))
    start: Mapped[datetime] = mapped_column(UTCDateTime())
    end: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_oncall_overrides_schedule", "schedule", "end"),)


class ChannelStateRow(Base):
    """A channel the worker stopped using (a receiver answered 410 Gone)."""

    __tablename__ = "channel_state"

    channel: Mapped[str] = mapped_column(String(128), primary_key=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(Text)


class NoticeRow(Base):
    """One message to one person (or a group's channel) about an incident, beyond the plain
    page log: a page held back to working hours, a P3 waiting for the digest, a task's
    assignee told, a stakeholder group's member asked to acknowledge. `state` is deferred |
    sent | cancelled; `outbox_id` is the message that carried it (its delivery state)."""

    __tablename__ = "incident_notices"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int] = mapped_column(ForeignKey(_INCIDENT_FK))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    person: Mapped[str | None] = mapped_column(String(256))
    group_name: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outbox_id: Mapped[str | None] = mapped_column(String(64))
    deadline: Mapped[int | None] = mapped_column(Integer)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acked_via: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_incident_notices_due", "state", "send_at"),
        Index("ix_incident_notices_incident", "incident"),
    )


class AckRow(Base):
    """One person's acknowledgement of an incident's page: who, when, and how (`via`: link,
    api, ui, cli; `channel`: the channel that carried the link)."""

    __tablename__ = "incident_acks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int] = mapped_column(ForeignKey(_INCIDENT_FK))
    person: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    via: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(128))
    notice: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_incident_acks_incident", "incident"),)
