"""The status page editor: what the public sees now; publish an incident under a public title,
post public updates, resolve publicly, schedule maintenance. The same rules as the API
(tripwire.communicate.publish), attributed to the signed-in token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from tripwire.communicate import publish
from tripwire.communicate.context import Conflict, Invalid, Missing, PageContext
from tripwire.communicate.page import status_summary
from tripwire.communicate.queries import maintenance, public_row
from tripwire.communicate.statuspage import IMPACTS, PUBLIC_STATUSES
from tripwire.respond.ids import incident_id
from tripwire.respond.queries import get_incident, open_incidents
from tripwire.store.tables.statuspage import PublicIncidentRow, SubscriberRow
from tripwire.web.session import ReadViewer, RespondViewer, Viewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=400)]
Long = Annotated[str, Form(max_length=10_000)]
Optional = Annotated[str, Form(max_length=400)]


@router.get("/ui/status-page", response_class=HTMLResponse)
def editor(request: Request, viewer: ReadViewer) -> Response:
    return _render(request, viewer)


def _render(
    request: Request, viewer: Viewer, error: str | None = None, status: int = 200
) -> Response:
    runtime = runtime_of(request)
    config = runtime.config.communicate.status_page
    with runtime.db.read() as session:
        summary = status_summary(session, config, runtime.clock, runtime.settings.public_url)
        rows = [
            {"id": incident_id(r.number), "title": r.title, "severity": r.severity,
             "use_case": r.use_case, "public": public_row(session, r.number) is not None}
            for r in open_incidents(session)
        ]  # fmt: skip
        published = [
            {"ident": incident_id(p.incident) if p.incident else "", "title": p.title,
             "status": p.status, "by": p.created_by, "updated_at": p.updated_at,
             "components": p.components}
            for p in session.scalars(
                select(PublicIncidentRow)
                .where(PublicIncidentRow.resolved_at.is_(None))
                .order_by(PublicIncidentRow.created_at.desc())
                .limit(200)
            )
        ]  # fmt: skip
        windows = maintenance(session, runtime.clock.now(), publish.MAX_MAINTENANCE * 52)
        count = session.scalar(select(func.count()).select_from(SubscriberRow)) or 0
    context = {
        "viewer": viewer,
        "s": summary,
        "incidents": rows,
        "published": published,
        "statuses": PUBLIC_STATUSES,
        "impacts": IMPACTS,
        "windows": windows,
        "subscribers": count,
        "error": error,
        "maintenance": runtime.config.monitors.maintenance,
    }
    return templates.TemplateResponse(request, "status_editor.html", context, status_code=status)


def _do(request: Request, viewer: Viewer, change: Callable[[PageContext], Any]) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.db.session() as session:
            ctx = PageContext(
                session,
                runtime.config.communicate.status_page,
                runtime.clock.now(),
                runtime.settings.public_url,
                runtime.secret_key(),
            )
            change(ctx)
    except Invalid as exc:
        return _render(request, viewer, str(exc), 422)
    except (Missing, Conflict) as exc:
        return _render(request, viewer, str(exc), 409)
    return RedirectResponse("/ui/status-page", status_code=303)


def _number(ctx: PageContext, ident: str) -> int:
    row = get_incident(ctx.session, ident)
    if row is None:
        raise Missing(f"no incident {ident[:40]}")
    return row.number


def _components(component: str, impact: str) -> dict[str, str]:
    return {component: impact} if component else {}


@router.post("/ui/status-page/incidents/{ident}/publish", response_class=HTMLResponse)
def publish_incident(
    request: Request,
    viewer: RespondViewer,
    ident: str,
    title: Short,
    body: Long,
    status: Short = "investigating",
    component: Optional = "",
    impact: Optional = "degraded_performance",
) -> Response:
    def change(ctx: PageContext) -> None:
        parts = _components(component, impact)
        publish.publish(ctx, _number(ctx, ident), title, body, status, parts, viewer.name)

    return _do(request, viewer, change)


@router.post("/ui/status-page/incidents/{ident}/update", response_class=HTMLResponse)
def post_update(
    request: Request,
    viewer: RespondViewer,
    ident: str,
    status: Short,
    body: Long,
    component: Optional = "",
    impact: Optional = "",
) -> Response:
    def change(ctx: PageContext) -> None:
        parts = _components(component, impact) if impact else None
        publish.post_update(ctx, _number(ctx, ident), status, body, parts, viewer.name)

    return _do(request, viewer, change)


def _utc(value: str) -> datetime:
    """A `datetime-local` value, read as UTC (the form says so)."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise Invalid(f"not a date and time: {value[:40]!r}") from None


@router.post("/ui/status-page/maintenance", response_class=HTMLResponse)
def schedule(
    request: Request,
    viewer: RespondViewer,
    title: Short,
    body: Long,
    component: Short,
    starts_at: Short,
    ends_at: Short,
) -> Response:
    def change(ctx: PageContext) -> None:
        start, end = _utc(starts_at), _utc(ends_at)
        publish.schedule_maintenance(ctx, title, body, [component], start, end, viewer.name)

    return _do(request, viewer, change)


@router.post("/ui/status-page/maintenance/{ident}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request, viewer: RespondViewer, ident: Annotated[int, Path(ge=1, le=2**62)]
) -> Response:
    return _do(request, viewer, lambda ctx: publish.cancel_maintenance(ctx, ident))
