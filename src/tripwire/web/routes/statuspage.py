"""The status page editor: what the public sees now, and a public update for each incident.
Updates are posted through respond (`post_update` with a stage), the same path as the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tripwire.communicate.page import status_summary
from tripwire.respond.ids import incident_id
from tripwire.respond.queries import open_incidents
from tripwire.web.incident_view import STAGES
from tripwire.web.session import ReadViewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/ui/status-page", response_class=HTMLResponse)
def editor(request: Request, viewer: ReadViewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        summary = status_summary(
            session,
            runtime.config.communicate.status_page,
            runtime.clock,
            runtime.settings.public_url,
        )
        rows = [
            {"id": incident_id(r.number), "title": r.title, "severity": r.severity,
             "status": r.status, "use_case": r.use_case}
            for r in open_incidents(session)
        ]  # fmt: skip
    public = {i["id"] for i in summary["incidents"]}
    context = {
        "viewer": viewer,
        "s": summary,
        "incidents": rows,
        "public": public,
        "stages": STAGES,
        "maintenance": runtime.config.monitors.maintenance,
    }
    return templates.TemplateResponse(request, "status_editor.html", context)
