"""Who may do what: resolving a token secret to its scopes, for the API and the web UI alike."""

from __future__ import annotations

from dataclasses import dataclass

from tripwire.domain.tokens import hash_secret, same_secret
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import find_active, find_active_hash

# Every route declares a policy through a dependency carrying this attribute: a scope, or
# "public". A test walks the app's routes and fails for any route without one.
POLICY_ATTR = "tripwire_policy"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who holds a token: its name (shown as the actor on timelines) and its scopes."""

    name: str
    scopes: frozenset[str]


def identify(runtime: Runtime, secret: str) -> Identity | None:
    """The identity behind a token secret, or None when it is unknown or revoked."""
    admin = runtime.settings.admin_token
    if admin is not None and same_secret(secret, admin.get_secret_value()):
        return Identity("admin", frozenset({"admin"}))
    with runtime.db.read() as session:
        info = find_active(session, secret)
    return None if info is None else Identity(info.name, info.scopes)


def identify_hash(runtime: Runtime, token_hash: str) -> Identity | None:
    """Like `identify`, from the hash of the secret (what a web session keeps)."""
    admin = runtime.settings.admin_token
    if admin is not None and same_secret(token_hash, hash_secret(admin.get_secret_value())):
        return Identity("admin", frozenset({"admin"}))
    with runtime.db.read() as session:
        info = find_active_hash(session, token_hash)
    return None if info is None else Identity(info.name, info.scopes)


def scopes_for(runtime: Runtime, secret: str) -> frozenset[str] | None:
    """The scopes of a token, or None when it is unknown or revoked."""
    identity = identify(runtime, secret)
    return None if identity is None else identity.scopes
