"""Who is on call now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tripwire.respond.oncall_view import now_on_call
from tripwire.web.session import ReadViewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/ui/oncall", response_class=HTMLResponse)
def oncall_page(request: Request, viewer: ReadViewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        now = now_on_call(session, runtime.config.respond, runtime.clock.now())
    return templates.TemplateResponse(request, "oncall.html", {"viewer": viewer, "now": now})
