"""The overview page."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tripwire.domain.events import EVENT_TYPES
from tripwire.store.content_gaps import content_gaps
from tripwire.store.events import counts_since
from tripwire.web.session import ReadViewer, public_page, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/", dependencies=[public_page()])
def root() -> Response:
    return RedirectResponse("/ui", status_code=307)


@router.get("/ui", response_class=HTMLResponse)
def overview(request: Request, viewer: ReadViewer) -> Response:
    """Telemetry received in the last 24 hours, per use case and event type, and the use cases
    whose outputs arrive without content (with the setting that turns capture on)."""
    runtime = runtime_of(request)
    since = runtime.clock.now() - timedelta(hours=24)
    with runtime.db.session() as session:
        rows = counts_since(session, since)
        gaps = content_gaps(session)
    table: dict[str, dict[str, int]] = {}
    for use_case, kind, count in rows:
        table.setdefault(use_case or "(all use cases)", {})[kind] = count
    context = {
        "viewer": viewer,
        "types": EVENT_TYPES,
        "table": table,
        "since": since,
        "gaps": gaps,
    }
    return templates.TemplateResponse(request, "overview.html", context)
