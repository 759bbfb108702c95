"""Incident pages: the list, one incident, and the response actions (ack, mitigate, resolve)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tripwire.domain.incidents import INCIDENT_TYPES, STATUSES, Action
from tripwire.respond.queries import list_incidents
from tripwire.respond.service import Conflict, NotFound
from tripwire.respond.views import detail_json, summary_json
from tripwire.web.session import ReadViewer, RespondViewer, Viewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)

OPEN = ("triggered", "acknowledged", "mitigated")
ACTIONS: dict[str, Action] = {"ack": "acknowledge", "mitigate": "mitigate", "resolve": "resolve"}


@router.get("/ui/incidents", response_class=HTMLResponse)
def incident_list(
    request: Request, viewer: ReadViewer, status: str = "open", type: str = ""
) -> Response:
    """Open incidents by default; `status=all` or one status; optional `type`."""
    runtime = runtime_of(request)
    statuses: tuple[str, ...] = OPEN if status == "open" else (() if status == "all" else (status,))
    types = (type,) if type in INCIDENT_TYPES else ()
    with runtime.db.session() as session:
        rows = list_incidents(session, status=statuses, type_=types, limit=200)
        incidents = [summary_json(session, row) for row in rows]
    context = {
        "viewer": viewer,
        "incidents": incidents,
        "status": status,
        "type": type,
        "statuses": ("open", "all", *STATUSES),
        "types": INCIDENT_TYPES,
    }
    return templates.TemplateResponse(request, "incidents.html", context)


@router.get("/ui/incidents/{ident}", response_class=HTMLResponse)
def incident_page(request: Request, ident: str, viewer: ReadViewer) -> Response:
    return _render(request, viewer, ident)


@router.post("/ui/incidents/{ident}/note", response_class=HTMLResponse)
def add_note(
    request: Request, ident: str, viewer: RespondViewer, text: Annotated[str, Form()]
) -> Response:
    text = text.strip()
    if not text:
        return _render(request, viewer, ident, error="Write something before adding a note.")
    return _change(request, viewer, ident, lambda s: s.add_note(ident, text[:10_000], viewer.name))


@router.post("/ui/incidents/{ident}/{action}", response_class=HTMLResponse)
def act(request: Request, ident: str, action: str, viewer: RespondViewer) -> Response:
    """Acknowledge, mitigate or resolve; htmx swaps the page body, a plain form redirects."""
    step = ACTIONS.get(action)
    if step is None:
        return _render(request, viewer, ident, error=f"Unknown action {action!r}.", status=404)
    return _change(request, viewer, ident, lambda s: s.transition(ident, step, viewer.name))


def _change(request: Request, viewer: Viewer, ident: str, change: Any) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.db.session() as session:
            change(runtime.incidents(session))
    except NotFound:
        return _render(request, viewer, ident, status=404)
    except Conflict as exc:
        return _render(request, viewer, ident, error=str(exc), status=409)
    if request.headers.get("hx-request"):
        return _render(request, viewer, ident)
    return RedirectResponse(f"/ui/incidents/{ident}", status_code=303)


def _render(
    request: Request, viewer: Viewer, ident: str, error: str | None = None, status: int = 200
) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        try:
            incident = runtime.incidents(session).get(ident)
        except NotFound:
            context = {"viewer": viewer, "ident": ident}
            return templates.TemplateResponse(request, "not_found.html", context, status_code=404)
        detail = detail_json(session, incident)
    context = {"viewer": viewer, "i": detail, "error": error, "open": detail["status"] in OPEN}
    return templates.TemplateResponse(request, "incident.html", context, status_code=status)
