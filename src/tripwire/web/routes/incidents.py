"""Incident pages: the list and one incident (its actions are in incident_actions)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tripwire.domain.clock import isoformat_z
from tripwire.domain.incidents import INCIDENT_TYPES, OPEN_STATUSES, STATUSES
from tripwire.respond import queries
from tripwire.respond.ids import incident_id
from tripwire.respond.service import NotFound
from tripwire.web.audience_view import people_context
from tripwire.web.incident_view import page_context
from tripwire.web.session import ReadViewer, Viewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/ui/incidents", response_class=HTMLResponse)
def incident_list(
    request: Request,
    viewer: ReadViewer,
    status: str = "open",
    type: str = "",
    use_case: str = "",
) -> Response:
    """Open incidents by default; `status=all` or one status; optional `type` and use case."""
    runtime = runtime_of(request)
    statuses = OPEN_STATUSES if status == "open" else (() if status == "all" else (status,))
    types = (type,) if type in INCIDENT_TYPES else ()
    with runtime.db.session() as session:
        rows = queries.list_incidents(
            session, status=statuses, type_=types, use_case=use_case or None, limit=PAGE
        )
        incidents = [_row(row) for row in rows]
        counts = queries.counts_by_status(session)
    context = {
        "viewer": viewer,
        "incidents": incidents,
        "status": status,
        "type": type,
        "use_case": use_case,
        "statuses": ("open", "all", *STATUSES),
        "types": INCIDENT_TYPES,
        "counts": counts,
        "limit": PAGE,
    }
    return templates.TemplateResponse(request, "incidents.html", context)


def _row(row: Any) -> dict[str, Any]:
    """What the list shows: no signals, so a page of incidents is one query."""
    return {
        "id": incident_id(row.number),
        "severity": row.severity,
        "status": row.status,
        "type": row.type,
        "use_case": row.use_case,
        "title": row.title,
        "detected_at": isoformat_z(row.detected_at),
    }


@router.get("/ui/incidents/{ident}", response_class=HTMLResponse)
def incident_page(request: Request, ident: str, viewer: ReadViewer) -> Response:
    return render(request, viewer, ident)


def render(
    request: Request,
    viewer: Viewer,
    ident: str,
    error: str | None = None,
    status: int = 200,
    notice: str | None = None,
    where: str = "",
) -> Response:
    """The incident page; `error` and `notice` show in the panel `where` (the top if empty),
    beside the form that was used."""
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        try:
            incident = runtime.incidents(session).get(ident)
        except NotFound:
            missing = {"viewer": viewer, "ident": ident}
            return templates.TemplateResponse(request, "not_found.html", missing, status_code=404)
        signals = queries.signals(session, incident.number)
        query = dict(request.query_params)
        now = runtime.clock.now()
        context = page_context(session, runtime.config, incident, signals, now, query)
        roles = context["i"]["roles"]
        context.update(people_context(session, runtime.config, incident.number, roles))
    detail: dict[str, Any] = context["i"]
    context.update(
        viewer=viewer,
        error=error,
        notice=notice,
        where=where,
        open=detail["status"] in OPEN_STATUSES,
    )
    return templates.TemplateResponse(request, "incident.html", context, status_code=status)
