"""On call: who now and next, the week as a calendar, and overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tripwire.domain.events import parse_rfc3339
from tripwire.respond.oncall_view import add_override, now_on_call, shifts
from tripwire.web.session import ReadViewer, RespondViewer, Viewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
WEEK = 7


@router.get("/ui/oncall", response_class=HTMLResponse)
def oncall_page(request: Request, viewer: ReadViewer) -> Response:
    return _render(request, viewer)


def _render(
    request: Request, viewer: Viewer, error: str | None = None, status: int = 200
) -> Response:
    runtime = runtime_of(request)
    config = runtime.config.respond
    now = runtime.clock.now()
    first = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = [first + timedelta(days=d) for d in range(WEEK)]
    with runtime.db.session() as session:
        current = now_on_call(session, config, now)
        week = {name: shifts(session, config, name, first, days[-1] + timedelta(days=1))
                for name in config.schedules}  # fmt: skip
    calendar = {name: [_day(day, items) for day in days] for name, items in week.items()}
    upcoming = {name: _next(items, now) for name, items in week.items()}
    context = {"viewer": viewer, "now": current, "days": days, "calendar": calendar,
               "upcoming": upcoming, "people": sorted(config.people), "error": error}  # fmt: skip
    return templates.TemplateResponse(request, "oncall.html", context, status_code=status)


def _at(text: str | None) -> datetime | None:
    return None if text is None else parse_rfc3339(text)


def _day(day: datetime, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The shifts that overlap `day`, cut to it (times in UTC)."""
    end = day + timedelta(days=1)
    out = []
    for s in items:
        start, stop = _at(s["start"]) or day, _at(s["end"]) or end
        if stop <= day or start >= end:
            continue
        out.append({**s, "from": max(start, day), "to": min(stop, end)})
    return out


def _next(items: list[dict[str, Any]], now: datetime) -> dict[str, Any] | None:
    later = [s for s in items if (_at(s["start"]) or now) > now]
    return later[0] if later else None


@router.post("/ui/oncall/overrides")
def override(
    request: Request, viewer: RespondViewer,
    schedule: Annotated[str, Form(max_length=128)] = "",
    person: Annotated[str, Form(max_length=256)] = "",
    start: Annotated[str, Form(max_length=64)] = "",
    end: Annotated[str, Form(max_length=64)] = "",
) -> Response:  # fmt: skip
    """Someone else covers a schedule from `start` to `end` (UTC)."""
    runtime = runtime_of(request)
    try:
        begins, ends = _utc(start, "start"), _utc(end, "end")
        with runtime.db.session() as session:
            add_override(session, runtime.config.respond, schedule, person, begins, ends,
                         viewer.name, runtime.clock.now())  # fmt: skip
    except ValueError as exc:
        return _render(request, viewer, str(exc), 422)
    return RedirectResponse("/ui/oncall", status_code=303)


def _utc(text: str, name: str) -> datetime:
    text = text.strip()
    try:
        return parse_rfc3339(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"{name}: write a time such as 2026-11-20T18:00 (UTC)") from None
