"""Post-mortems: the list, and the editor (sections, blameless lint, action items, eval cases,
completion)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tripwire.learn import evalcases, postmortem
from tripwire.learn.queries import add_incident_case, lint_messages, list_postmortems
from tripwire.learn.views import postmortem_json
from tripwire.respond.queries import get_incident
from tripwire.respond.service import IncidentService, NotFound
from tripwire.store.tables.learn import PostmortemRow
from tripwire.store.tables.respond import IncidentRow
from tripwire.web.session import ReadViewer, RespondViewer, Viewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=20_000)]
Short = Annotated[str, Form(max_length=1000)]
KINDS = ("prevent", "detect", "mitigate", "process")
Work = Callable[[Session, IncidentService, IncidentRow, PostmortemRow], Any]


class Refused(ValueError):
    """Input the editor cannot use; the message says what to fix."""


@router.get("/ui/postmortems", response_class=HTMLResponse)
def postmortems_page(request: Request, viewer: ReadViewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        rows = list_postmortems(session)
    context = {"viewer": viewer, "rows": rows}
    return templates.TemplateResponse(request, "postmortems.html", context)


@router.get("/ui/postmortems/{ident}", response_class=HTMLResponse)
def editor(request: Request, ident: str, viewer: ReadViewer) -> Response:
    return _render(request, viewer, ident)


def _render(
    request: Request,
    viewer: Viewer,
    ident: str,
    errors: list[str] | None = None,
    status: int = 200,
    notice: str | None = None,
) -> Response:
    runtime = runtime_of(request)
    with runtime.db.session() as session:
        incident = get_incident(session, ident)
        row = session.get(PostmortemRow, incident.number) if incident else None
        if incident is None or row is None:
            reason = f"No post-mortem for {ident[:64]!r} yet: open it from the incident page."
            context = {"viewer": viewer, "reason": reason}
            return templates.TemplateResponse(request, "missing.html", context, status_code=404)
        data = postmortem_json(session, row)
        lint = lint_messages(row)
        title, severity = incident.title, incident.severity
    context = {"viewer": viewer, "pm": data, "lint": lint, "errors": errors or [],
               "notice": notice, "title": title, "severity": severity, "kinds": KINDS,
               "assertion_types": evalcases.ASSERTION_TYPES}  # fmt: skip
    return templates.TemplateResponse(request, "postmortem.html", context, status_code=status)


def _do(request: Request, viewer: Viewer, ident: str, work: Work, notice: str) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.db.session() as session:
            service = runtime.incidents(session)
            incident = service.get(ident)
            row = session.get(PostmortemRow, incident.number)
            if row is None:
                row = postmortem.draft(session, incident, runtime.clock, viewer.name)
            work(session, service, incident, row)
    except NotFound:
        return _render(request, viewer, ident, status=404)
    except postmortem.NotReady as exc:
        return _render(request, viewer, ident, exc.reasons, 409)
    except (Refused, evalcases.CaseError, ValueError) as exc:
        return _render(request, viewer, ident, [str(exc)], 422)
    if request.headers.get("hx-request"):
        return _render(request, viewer, ident, notice=notice)
    return RedirectResponse(f"/ui/postmortems/{ident}", status_code=303)


@router.post("/ui/postmortems/{ident}/edit", response_class=HTMLResponse)
def edit(
    request: Request, ident: str, viewer: RespondViewer,
    summary: Text = "", impact: Text = "", root_cause: Text = "", contributing_factors: Text = "",
    what_went_well: Text = "", what_went_wrong: Text = "", lessons: Text = "",
) -> Response:  # fmt: skip
    factors = [line.strip() for line in contributing_factors.splitlines() if line.strip()]
    changes = {"summary": summary, "impact": impact, "root_cause": root_cause,
               "contributing_factors": factors, "what_went_well": what_went_well,
               "what_went_wrong": what_went_wrong, "lessons": lessons}  # fmt: skip
    runtime = runtime_of(request)
    return _do(
        request, viewer, ident,
        lambda s, svc, i, row: postmortem.edit(row, changes, runtime.clock), "Saved.",
    )  # fmt: skip


@router.post("/ui/postmortems/{ident}/action-items", response_class=HTMLResponse)
def action_item(
    request: Request, ident: str, viewer: RespondViewer, title: Short = "",
    kind: str = Form("prevent"), owner: Annotated[str, Form(max_length=256)] = "",
    due_days: Annotated[str, Form(max_length=4)] = "",
) -> Response:  # fmt: skip
    runtime = runtime_of(request)

    def work(s: Session, svc: IncidentService, i: IncidentRow, row: PostmortemRow) -> None:
        if not title.strip():
            raise Refused("Write what will change (the action item's title).")
        if kind not in KINDS:
            raise Refused(f"Choose a kind: {', '.join(KINDS)}.")
        days = int(due_days) if due_days.strip().isdigit() else None
        postmortem.add_action_item(
            s, i.number, title.strip(), kind, owner.strip() or None, runtime.clock, days
        )

    return _do(request, viewer, ident, work, "Action item added.")


@router.post("/ui/postmortems/{ident}/eval-cases", response_class=HTMLResponse)
def eval_case(
    request: Request, ident: str, viewer: RespondViewer,
    output_id: Annotated[str, Form(max_length=128)] = "", input: Text = "", output: Text = "",
    expected_output: Text = "", description: Short = "", assertion: str = Form(""),
    assertion_value: Short = "",
) -> Response:  # fmt: skip
    """A regression test from a stored output, or from an input and the bad output."""
    runtime = runtime_of(request)
    assertions = [{"type": assertion, "value": assertion_value}] if assertion else []
    case = evalcases.CaseIn(
        description=description.strip() or None,
        output_id=output_id.strip() or None,
        input=input or None,
        output=output or None,
        expected_output=expected_output or None,
        assertions=assertions,
    )

    def work(s: Session, svc: IncidentService, i: IncidentRow, row: PostmortemRow) -> None:
        add_incident_case(s, svc, i, case, viewer.name, runtime.clock)

    return _do(request, viewer, ident, work, "Evaluation test case added.")


@router.post("/ui/postmortems/{ident}/complete", response_class=HTMLResponse)
def complete(request: Request, ident: str, viewer: RespondViewer) -> Response:
    """Done when blameless, with a root cause, an action item and an eval case."""

    def work(s: Session, svc: IncidentService, i: IncidentRow, row: PostmortemRow) -> None:
        postmortem.complete(s, svc, row, viewer.name)

    return _do(request, viewer, ident, work, "Post-mortem complete.")
