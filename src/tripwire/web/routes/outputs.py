"""The outputs explorer: search stored outputs, open one with its feedback, checks, scores and
the tickets of the same user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tripwire.domain.events import parse_rfc3339
from tripwire.store.output_search import OutputFilter, get_output, search_outputs, tickets_of_user
from tripwire.web.incident_view import make_cursor, parse_cursor
from tripwire.web.session import ReadViewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
PAGE = 25
MAX_SPAN = timedelta(days=14)


class BadInput(ValueError):
    """A filter that cannot be read; the message says which and how to write it."""


def _time(value: str, name: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        pass
    try:  # a datetime-local field: no zone, taken as UTC like every time on these pages
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        raise BadInput(f"{name}: write a time such as 2026-11-20T08:00 (UTC)") from None


def _number(value: str, name: str) -> float | None:
    if not value.strip():
        return None
    try:
        number = float(value)
    except ValueError:
        raise BadInput(f"{name}: write a number between 0 and 1") from None
    if not 0.0 <= number <= 1.0:
        raise BadInput(f"{name}: scores lie between 0 and 1")
    return number


def _filter(q: dict[str, str], now: datetime) -> OutputFilter:
    until = _time(q.get("until", ""), "until") or now + timedelta(seconds=1)
    since = _time(q.get("since", ""), "since") or until - timedelta(hours=24)
    if until - since > MAX_SPAN:
        since = until - MAX_SPAN  # bounded: a search never reads more than two weeks
    return OutputFilter(
        since=since,
        until=until,
        use_case=q.get("use_case") or None,
        model_version=q.get("model_version") or None,
        prompt_version=q.get("prompt_version") or None,
        user_id=q.get("user_id") or None,
        text=(q.get("text") or "")[:200] or None,
        flagged=q.get("flagged") == "1",
        score_name=q.get("score_name") or None,
        score_min=_number(q.get("score_min", ""), "score from"),
        score_max=_number(q.get("score_max", ""), "score to"),
        status=q.get("status") or None,
    )


@router.get("/ui/outputs", response_class=HTMLResponse)
def explorer(request: Request, viewer: ReadViewer) -> Response:
    runtime = runtime_of(request)
    q = {k: v[:500] for k, v in request.query_params.items()}
    error, outputs, next_cursor, f = None, [], None, None
    try:
        f = _filter(q, runtime.clock.now())
        with runtime.db.session() as session:
            page = search_outputs(session, f, PAGE, parse_cursor(q.get("before")))
        outputs, next_cursor = page.outputs, make_cursor(page.next_cursor)
    except BadInput as exc:
        error = str(exc)
    more = {k: v for k, v in q.items() if k != "before"} | {"before": next_cursor or ""}
    context = {"viewer": viewer, "q": q, "f": f, "outputs": outputs, "error": error,
               "next": next_cursor, "more": more}  # fmt: skip
    return templates.TemplateResponse(
        request, "outputs.html", context, status_code=422 if error else 200
    )


@router.get("/ui/outputs/{output_id}", response_class=HTMLResponse)
def one_output(request: Request, output_id: str, viewer: ReadViewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        found = get_output(session, output_id)
        tickets: list[Any] = []
        user = found.payload.get("user_id") if found else None
        if found is not None and user:
            tickets = tickets_of_user(session, found.use_case, str(user), found.ts)
        ticket_rows = [{"id": t.id, "ts": t.ts, "payload": t.payload} for t in tickets]
    if found is None:
        context = {"viewer": viewer, "reason": f"There is no stored output {output_id[:128]!r}."}
        return templates.TemplateResponse(request, "missing.html", context, status_code=404)
    context = {"viewer": viewer, "o": found, "tickets": ticket_rows}
    return templates.TemplateResponse(request, "output.html", context)
