"""Web UI sessions, kept on the server: the browser holds only a random session id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tripwire.store.base import Base, UTCDateTime


class UiSessionRow(Base):
    """A signed-in browser. Only a hash of the session id is stored (a copy of this table signs
    no one in), with the hash of the token it was opened with: revoking that token ends it."""

    __tablename__ = "ui_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_ui_sessions_token_hash", "token_hash"),)
