"""The AI incident readiness checklist, answered from configuration and data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tripwire.learn.readiness import run_checks
from tripwire.web.session import ReadViewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/ui/readiness", response_class=HTMLResponse)
def readiness_page(request: Request, viewer: ReadViewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        checks = run_checks(session, runtime.config, runtime.clock.now())
    sections: dict[str, list[object]] = {}
    for check in checks:
        sections.setdefault(check.section, []).append(check)
    counts = {s: sum(1 for c in checks if c.status == s) for s in ("ok", "warn", "fail")}
    context = {"viewer": viewer, "sections": sections, "counts": counts}
    return templates.TemplateResponse(request, "readiness.html", context)
