"""Server-side web UI sessions: opened at sign-in, ended at sign-out, expiry or token revocation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tripwire.store.tables.sessions import UiSessionRow


def _hash(session_id: str) -> str:
    # Session ids are 256 random bits: a fast hash is enough to make the table useless to a thief.
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def open_session(session: Session, token_hash: str, now: datetime, ttl: timedelta) -> str:
    """A new session for the token with hash `token_hash`; returns the id for the cookie (only
    its hash is stored). Sessions that ended a day ago or more are cleared on the way."""
    session_id = secrets.token_urlsafe(32)
    session.execute(delete(UiSessionRow).where(UiSessionRow.expires_at < now - timedelta(days=1)))
    session.add(
        UiSessionRow(
            id_hash=_hash(session_id), token_hash=token_hash, created_at=now, expires_at=now + ttl
        )
    )
    session.flush()
    return session_id


def session_token(session: Session, session_id: str, now: datetime) -> str | None:
    """The token hash of a live session (not expired, not ended), or None."""
    return session.scalar(
        select(UiSessionRow.token_hash).where(
            UiSessionRow.id_hash == _hash(session_id),
            UiSessionRow.revoked_at.is_(None),
            UiSessionRow.expires_at > now,
        )
    )


def end_session(session: Session, session_id: str, now: datetime) -> None:
    session.execute(
        update(UiSessionRow)
        .where(UiSessionRow.id_hash == _hash(session_id), UiSessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def end_sessions_of(session: Session, token_hash: str, now: datetime) -> int:
    """End every session opened with this token (it was revoked)."""
    result = session.execute(
        update(UiSessionRow)
        .where(UiSessionRow.token_hash == token_hash, UiSessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
