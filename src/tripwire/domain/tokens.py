"""API token scopes and secrets. A token's secret is shown once and stored only as a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

Scope = Literal["ingest", "read", "respond", "admin"]
SCOPES: tuple[Scope, ...] = ("ingest", "read", "respond", "admin")
TOKEN_PREFIX = "tw_"  # noqa: S105  (a public prefix, not a secret)


def new_secret() -> str:
    """A fresh token: 32 random bytes, URL-safe, with a prefix that secret scanners can match."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    # Tokens are high-entropy random strings, so a fast hash is safe here (no dictionary attack).
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(secret: str, expected: str) -> bool:
    return hmac.compare_digest(secret.encode("utf-8"), expected.encode("utf-8"))


# Who acts on incidents must see them: `respond` implies `read`; `admin` implies everything.
IMPLIED: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "respond": frozenset({"respond", "read"}),
    "read": frozenset({"read"}),
    "ingest": frozenset({"ingest"}),
}


def grants(held: frozenset[str], needed: Scope) -> bool:
    """Whether tokens with the scopes `held` may do what needs `needed`."""
    return any(needed in IMPLIED.get(scope, frozenset()) for scope in held)


def parse_scopes(values: list[str]) -> list[Scope]:
    """Validate scope names, keeping order and dropping repeats."""
    result: list[Scope] = []
    for value in values:
        for part in value.replace(",", " ").split():
            if part not in SCOPES:
                raise ValueError(f"unknown scope {part!r}; choose from {', '.join(SCOPES)}")
            if part not in result:
                result.append(part)
    if not result:
        raise ValueError(f"give at least one scope: {', '.join(SCOPES)}")
    return result
