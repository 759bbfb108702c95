"""Issuing, finding and revoking API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tripwire.domain.ids import uuid7
from tripwire.domain.incidents import reserved_actor
from tripwire.domain.tokens import Scope, hash_secret, new_secret
from tripwire.store.sessions import end_sessions_of
from tripwire.store.tables.tokens import TokenRow


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    name: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None


def create_token(
    session: Session, name: str, scopes: list[Scope], now: datetime
) -> tuple[TokenInfo, str]:
    """Store a new token; returns its record and the secret, which is never stored."""
    if reserved_actor(name):
        raise ValueError(f"{name!r} is the name Tripwire acts under; give the token another name")
    secret = new_secret()
    row = TokenRow(
        id=uuid7(),
        name=name,
        token_hash=hash_secret(secret),
        scopes=" ".join(scopes),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _info(row), secret


def find_active(session: Session, secret: str) -> TokenInfo | None:
    return find_active_hash(session, hash_secret(secret))


def find_active_hash(session: Session, token_hash: str) -> TokenInfo | None:
    """The active token whose secret hashes to `token_hash` (a web session keeps only that)."""
    row = session.scalar(
        select(TokenRow).where(TokenRow.token_hash == token_hash, TokenRow.revoked_at.is_(None))
    )
    return None if row is None else _info(row)


def list_tokens(session: Session) -> list[TokenInfo]:
    return [_info(r) for r in session.scalars(select(TokenRow).order_by(TokenRow.created_at))]


def revoke(session: Session, token_id: str, now: datetime) -> bool:
    """Revoke the token and end the web sessions signed in with it."""
    result = session.execute(
        update(TokenRow)
        .where(TokenRow.id == token_id, TokenRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token_hash = session.scalar(select(TokenRow.token_hash).where(TokenRow.id == token_id))
    if token_hash is not None:
        end_sessions_of(session, token_hash, now)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def any_active(session: Session) -> bool:
    return (
        session.scalar(select(TokenRow.id).where(TokenRow.revoked_at.is_(None)).limit(1))
        is not None
    )


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(
        row.id, row.name, frozenset(row.scopes.split()), row.created_at, row.revoked_at
    )
