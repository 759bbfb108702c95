"""Signing in to the web UI with an API token, and CSRF protection for every form.

Sessions live on the server (`ui_sessions`): the cookie (HttpOnly, SameSite=Strict) holds only a
random session id, never the token, so a stolen cookie gives no API access, and it stops working
when the session is signed out, expires (12 hours) or its token is revoked. State-changing
requests must carry a CSRF token derived from the session id by HMAC: SameSite already stops
cross-site posts; the token also stops same-site ones. The sign-in form itself, which has no
session yet, refuses posts whose `Origin` or `Sec-Fetch-Site` says they came from another site
(login CSRF: signing a victim into the attacker's token).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request

from tripwire.domain.tokens import Scope, grants, hash_secret
from tripwire.runtime.access import POLICY_ATTR, Identity, identify, identify_hash
from tripwire.runtime.wiring import Runtime
from tripwire.store import sessions

COOKIE = "tripwire_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_TTL = timedelta(hours=12)


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
    session_id: str

    def can(self, scope: Scope) -> bool:
        return grants(self.scopes, scope)


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def csrf_token(runtime: Runtime, session_id: str) -> str:
    key = runtime.secret_key()
    return hmac.new(key, b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def sign_in(runtime: Runtime, token: str) -> str | None:
    """Open a session for `token`; returns its id for the cookie, or None for a bad token."""
    if identify(runtime, token) is None:
        return None
    with runtime.db.session() as session:
        now = runtime.clock.now()
        return sessions.open_session(session, hash_secret(token), now, SESSION_TTL)


def sign_out(runtime: Runtime, session_id: str) -> None:
    with runtime.db.session() as session:
        sessions.end_session(session, session_id, runtime.clock.now())


def _identity(runtime: Runtime, session_id: str) -> Identity | None:
    with runtime.db.read() as session:
        token_hash = sessions.session_token(session, session_id, runtime.clock.now())
    return None if token_hash is None else identify_hash(runtime, token_hash)


def cross_site(request: Request, public_url: str) -> bool:
    """Whether the browser says this request was sent by another site's page. Browsers send
    `Sec-Fetch-Site` and, on a POST, `Origin`; a request with neither (a script) is not a
    browser's cross-site form."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        # Authoritative where sent. Our pages set `Referrer-Policy: no-referrer`, under which
        # Chromium sends `Origin: null` even on a same-origin form post.
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    ours = {request.headers.get("host", ""), urlsplit(public_url).netloc}
    return urlsplit(origin).netloc not in ours or origin == "null"


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
        session_id = request.cookies.get(COOKIE)
        identity = _identity(runtime, session_id) if session_id else None
        if session_id is None or identity is None:
            raise LoginRequired(request.url.path)
        held = identity.scopes
        if not grants(held, scope):
            raise Forbidden(scope)
        expected = csrf_token(runtime, session_id)
        if request.method not in SAFE_METHODS:
            submitted = await _submitted_csrf(request)
            # Bytes: compare_digest raises on non-ASCII str, and the field is the sender's.
            if not hmac.compare_digest(submitted.encode("utf-8"), expected.encode("utf-8")):
                raise Forbidden("csrf")
        return Viewer(identity.name, held, expected, session_id)

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
