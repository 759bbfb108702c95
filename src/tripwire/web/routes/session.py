"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tripwire.runtime.access import scopes_for
from tripwire.web.session import COOKIE, ReadViewer, public_page, runtime_of
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
    """Check the token and keep it in an HttpOnly cookie."""
    token = token.strip()
    if not token or scopes_for(runtime_of(request), token) is None:
        context = {"next": _safe_next(next), "error": "Unknown or revoked token.", "viewer": None}
        return templates.TemplateResponse(request, "login.html", context, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
    )
    return response


@router.post("/ui/logout")
def logout(_: ReadViewer) -> Response:
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
