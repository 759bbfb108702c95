"""The overview: each use case's health at a glance, the last changes, who is on call now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tripwire.config.monitors import effective_monitors
from tripwire.detect.readings import overview_charts
from tripwire.domain.incidents import SEVERITIES
from tripwire.respond.ids import incident_id, parse_incident_id
from tripwire.respond.oncall_view import now_on_call
from tripwire.respond.queries import open_incidents, recent_changes
from tripwire.store.content_gaps import content_gaps
from tripwire.web.charts import chart_view, fmt
from tripwire.web.session import ReadViewer, public_page, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
DAY = timedelta(hours=24)


@router.get("/", dependencies=[public_page()])
def root() -> Response:
    return RedirectResponse("/ui", status_code=307)


@router.get("/incidents/{ident}", dependencies=[public_page()])
def incident_link(ident: str) -> Response:
    """The links in notifications (`INC-n` or the bare number) open the incident in the UI,
    which asks to sign in first; a redirect tells nothing about the incident."""
    number = parse_incident_id(ident)
    if number is None:
        return Response("no such incident id", status_code=404, media_type="text/plain")
    return RedirectResponse(f"/ui/incidents/{incident_id(number)}", status_code=303)


@router.get("/ui", response_class=HTMLResponse)
def overview(request: Request, viewer: ReadViewer) -> Response:
    """Per use case: status, open incidents and 24-hour sparklines; then changes, on-call and
    the use cases whose outputs arrive without content (with the setting that turns capture on)."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    monitors = effective_monitors(runtime.config.monitors)
    with runtime.db.session() as session:
        charts = overview_charts(session, monitors, end - DAY, end)
        incidents = open_incidents(session)
        changes = recent_changes(session, 8)
        oncall = now_on_call(session, runtime.config.respond, now)
        gaps = content_gaps(session)
        open_rows = [_incident(i) for i in incidents]
        change_rows = [_change(c.id, c.ts, c.use_case, c.payload) for c in changes]
    use_cases = sorted(set(charts) | {i["use_case"] or "" for i in open_rows})
    cards = [_card(u, charts.get(u, []), open_rows) for u in use_cases]
    context = {
        "viewer": viewer,
        "cards": cards,
        "changes": change_rows,
        "oncall": oncall,
        "incidents": open_rows,
        "now": now,
        "gaps": gaps,
    }
    return templates.TemplateResponse(request, "overview.html", context)


def _incident(row: Any) -> dict[str, Any]:
    return {
        "id": incident_id(row.number),
        "severity": row.severity,
        "status": row.status,
        "type": row.type,
        "use_case": row.use_case,
        "title": row.title,
        "detected_at": row.detected_at,
    }


def _change(ident: str, ts: Any, use_case: str | None, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ident,
        "at": ts,
        "use_case": use_case,
        "kind": payload.get("kind"),
        "version": payload.get("version"),
        "previous_version": payload.get("previous_version"),
        "description": payload.get("description"),
        "author": payload.get("author"),
        "rollback": bool(payload.get("rollback")),
        "eval_gate": payload.get("eval_gate"),
    }


def _card(use_case: str, charts: list[Any], incidents: list[dict[str, Any]]) -> dict[str, Any]:
    mine = [i for i in incidents if (i["use_case"] or "") == use_case]
    worst = min((SEVERITIES.index(i["severity"]) for i in mine), default=None)
    sparks = []
    for chart in charts:
        title = chart.monitor + (f" ({chart.source})" if chart.source else "")
        latest = chart.latest
        sparks.append(
            {
                "monitor": chart.monitor,
                "view": chart_view(chart, title, small=True),
                "latest": fmt(latest.value if latest else None, chart.unit),
                "firing": any(a.resolved_at is None for a in chart.alerts),
            }
        )
    return {
        "use_case": use_case,
        "status": SEVERITIES[worst] if worst is not None else "healthy",
        "incidents": mine,
        "sparks": sparks,
    }
