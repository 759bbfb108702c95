"""Messages to affected users: the text people wrote and approved, and one row per recipient
pointing at the outbox notification that carries it (its delivery state lives there)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, BigIntPK, JSONType, UTCDateTime


class UserMessageRow(Base):
    """One message to an incident's affected users; `status` draft | approved | sent.
    `kind` initial | resolution | follow_up. Editing the text of an approved message returns it
    to draft: what was approved is exactly what is sent."""

    __tablename__ = "user_messages"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    incident: Mapped[int] = mapped_column(ForeignKey("incidents.number"))
    kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(256))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_by: Mapped[str | None] = mapped_column(String(256))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    channel: Mapped[str | None] = mapped_column(String(128))
    recipients: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_user_messages_incident", "incident", "id"),)


class UserMessageRecipientRow(Base):
    """One affected user a sent message went to, and the outbox notification carrying it."""

    __tablename__ = "user_message_recipients"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    message: Mapped[int] = mapped_column(ForeignKey("user_messages.id"))
    user_id: Mapped[str] = mapped_column(String(256))
    address: Mapped[str | None] = mapped_column(String(320))
    outputs: Mapped[int] = mapped_column(Integer, default=0)
    outbox_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)  # refused before queueing (no address)

    __table_args__ = (
        UniqueConstraint("message", "user_id", name="uq_user_message_recipients_user"),
        Index("ix_user_message_recipients_message", "message", "id"),
    )
