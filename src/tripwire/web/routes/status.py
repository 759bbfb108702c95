"""The public status page (no sign-in)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tripwire.communicate.page import status_summary
from tripwire.web.session import public_page, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/status", response_class=HTMLResponse, dependencies=[public_page()])
def status_page(request: Request) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        summary = status_summary(
            session,
            runtime.config.communicate.status_page,
            runtime.clock,
            runtime.settings.public_url,
        )
    return templates.TemplateResponse(request, "status.html", {"viewer": None, "s": summary})
