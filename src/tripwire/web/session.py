"""Signing in to the web UI with an API token, and CSRF protection for every form.

The session cookie holds the token itself (HttpOnly, SameSite=Strict), so revoking the token
signs the browser out at once. State-changing requests must carry a CSRF token derived from the
session by HMAC: SameSite already stops cross-site posts; the token also stops same-site ones.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from tripwire.domain.tokens import Scope, grants
from tripwire.runtime.access import POLICY_ATTR, identify
from tripwire.runtime.wiring import Runtime

COOKIE = "tripwire_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """The browser has no valid session; the app redirects to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class Forbidden(Exception):
    """Signed in, but the token lacks the scope this page needs."""

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person looking at a page: their scopes and the CSRF token for their forms."""

    name: str
    scopes: frozenset[str]
    csrf: str

    def can(self, scope: Scope) -> bool:
        return grants(self.scopes, scope)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def csrf_token(runtime: Runtime, secret: str) -> str:
    return hmac.new(runtime.secret_key(), b"csrf:" + secret.encode(), hashlib.sha256).hexdigest()


async def _submitted_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def page(scope: Scope) -> Any:
    """A dependency for a page needing `scope`: resolves the Viewer and checks CSRF on writes."""

    async def check(request: Request) -> Viewer:
        runtime = runtime_of(request)
        secret = request.cookies.get(COOKIE)
        identity = identify(runtime, secret) if secret else None
        if secret is None or identity is None:
            raise LoginRequired(request.url.path)
        held = identity.scopes
        if not grants(held, scope):
            raise Forbidden(scope)
        expected = csrf_token(runtime, secret)
        if request.method not in SAFE_METHODS:
            submitted = await _submitted_csrf(request)
            # Bytes: compare_digest raises on non-ASCII str, and the field is the sender's.
            if not hmac.compare_digest(submitted.encode("utf-8"), expected.encode("utf-8")):
                raise Forbidden("csrf")
        return Viewer(identity.name, held, expected)

    # `page:` marks a browser page: it redirects to sign-in rather than answering 401.
    setattr(check, POLICY_ATTR, f"page:{scope}")
    return Depends(check)


def public_page() -> Any:
    """Marks a page as deliberately open (sign-in, the public status page)."""

    def open_page() -> None:
        return None

    setattr(open_page, POLICY_ATTR, "public")
    return Depends(open_page)


ReadViewer = Annotated[Viewer, page("read")]
RespondViewer = Annotated[Viewer, page("respond")]
AdminViewer = Annotated[Viewer, page("admin")]
