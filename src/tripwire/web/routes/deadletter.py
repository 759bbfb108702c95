"""Quarantined events: what the pipeline set aside because a stage failed on it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tripwire.store import deadletter
from tripwire.web.session import AdminViewer, ReadViewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/ui/deadletter", response_class=HTMLResponse)
def dead_letters(request: Request, viewer: ReadViewer) -> Response:
    """The newest 200 quarantined (and retried) events, with the stage and the error."""
    runtime = runtime_of(request)
    with runtime.db.read() as session:
        letters = deadletter.list_letters(session, limit=200)
        waiting = deadletter.count_quarantined(session)
    context = {"viewer": viewer, "letters": letters, "waiting": waiting}
    return templates.TemplateResponse(request, "deadletter.html", context)


@router.post("/ui/deadletter/retry")
def retry(request: Request, viewer: AdminViewer, letter: Annotated[int, Form()]) -> Response:
    """Send one quarantined event back to the pipeline (admin: it re-runs stages)."""
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        deadletter.request_retry(session, [letter])
    return RedirectResponse("/ui/deadletter", status_code=303)
