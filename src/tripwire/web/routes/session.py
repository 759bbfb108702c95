"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tripwire.web.session import (
    COOKIE,
    SESSION_TTL,
    ReadViewer,
    cross_site,
    public_page,
    runtime_of,
    sign_in,
    sign_out,
)
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)


def _safe_next(value: str) -> str:
    # Only same-site paths: an attacker must not turn the sign-in page into an open redirect.
    return value if value.startswith("/") and not value.startswith("//") else "/ui"


@router.get("/ui/login", response_class=HTMLResponse, dependencies=[public_page()])
def login_form(request: Request, next: str = "/ui") -> Response:
    return templates.TemplateResponse(
        request, "login.html", {"next": _safe_next(next), "error": None, "viewer": None}
    )


@router.post("/ui/login", response_class=HTMLResponse, dependencies=[public_page()])
def login(
    request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/ui"
) -> Response:
    """Check the token and open a server-side session; the cookie holds only its id."""
    runtime = runtime_of(request)
    if cross_site(request, runtime.settings.public_url):
        context = {"viewer": None, "reason": "Sign in from Tripwire's own page, not another site."}
        return templates.TemplateResponse(request, "forbidden.html", context, status_code=403)
    token = token.strip()
    session_id = sign_in(runtime, token) if token else None
    if session_id is None:
        context = {"next": _safe_next(next), "error": "Unknown or revoked token.", "viewer": None}
        return templates.TemplateResponse(request, "login.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        session_id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(SESSION_TTL.total_seconds()),
    )
    return response


@router.post("/ui/logout")
def logout(request: Request, viewer: ReadViewer) -> Response:
    """End the session on the server too: the cookie's id no longer signs anyone in."""
    sign_out(runtime_of(request), viewer.session_id)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
