"""Bearer-token auth. Every route declares a policy: a scope it requires, or `public`.

A test walks the app's routes and fails for any route without one, so a new route cannot be
added open by accident.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from tripwire.api.deps import get_runtime
from tripwire.api.errors import ApiError
from tripwire.domain.tokens import Scope, grants
from tripwire.runtime.access import POLICY_ATTR, identify, scopes_for
from tripwire.runtime.wiring import Runtime

__all__ = ["POLICY_ATTR", "Caller", "bearer", "caller", "public", "requires", "scopes_for"]


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    api_key = request.headers.get("x-api-key")  # OFREP clients may send this instead
    return api_key.strip() if api_key else None


def requires(scope: Scope, *alternatives: Scope) -> Any:
    """A dependency that lets the request through only with a token granting `scope` (or one
    of the `alternatives`); its policy is the scopes joined by `|`."""
    accepted = (scope, *alternatives)

    def check(
        request: Request, runtime: Annotated[Runtime, Depends(get_runtime)]
    ) -> frozenset[str]:
        secret = bearer(request)
        if secret is None:
            raise ApiError(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        identity = identify(runtime, secret)
        if identity is None:
            raise ApiError(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        held = identity.scopes
        if not any(grants(held, s) for s in accepted):
            names = " or ".join(f"`{s}`" for s in accepted)
            raise ApiError(403, f"this token lacks the {names} scope")
        request.state.caller = identity.name  # who acts: see `caller`
        return held

    setattr(check, POLICY_ATTR, "|".join(accepted))
    return Depends(check)


def caller(request: Request) -> str:
    """The name of the token that passed `requires` on this request: actions are attributed
    to it, never to a name the body declares."""
    name = getattr(request.state, "caller", None)
    if not isinstance(name, str):  # a route without `requires` asked: a programming error
        raise ApiError(500, "no authenticated caller on this route")
    return name


Caller = Annotated[str, Depends(caller)]


def public() -> Any:
    """Marks a route as deliberately open (health, the public status page)."""

    def open_route() -> None:
        return None

    setattr(open_route, POLICY_ATTR, "public")
    return Depends(open_route)
