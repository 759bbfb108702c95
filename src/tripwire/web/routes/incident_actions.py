"""What a responder does on an incident page. Each action calls the service that owns the rule
(respond, flags, playbooks, learn); htmx swaps the page in place, a plain form redirects back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from tripwire.domain.incidents import Action
from tripwire.flags import service as flags
from tripwire.learn import postmortem, review
from tripwire.respond import work
from tripwire.respond.playbooks.flips import change_flag
from tripwire.respond.playbooks.manual import roll_back_suspect
from tripwire.respond.service import NotFound
from tripwire.runtime.wiring import Runtime
from tripwire.web.acting import Refused, act, needs
from tripwire.web.routes.incidents import render
from tripwire.web.session import RespondViewer, runtime_of

router = APIRouter(include_in_schema=False)
STEPS: dict[str, Action] = {
    "ack": "acknowledge",
    "mitigate": "mitigate",
    "resolve": "resolve",
    "close": "close",
}
MAX_TEXT = 10_000
MAX_REASON = 2000
Text = Annotated[str, Form(max_length=MAX_TEXT)]
Reason = Annotated[str, Form(max_length=MAX_REASON)]


@router.post("/ui/incidents/{ident}/note", response_class=HTMLResponse)
def add_note(request: Request, ident: str, viewer: RespondViewer, text: Text = "") -> Response:
    def change(session: Session, runtime: Runtime) -> None:
        runtime.incidents(session).add_note(ident, needs(text, "a note"), viewer.name)

    return act(request, viewer, ident, change, "Note added.")


@router.post("/ui/incidents/{ident}/update", response_class=HTMLResponse)
def post_update(
    request: Request, ident: str, viewer: RespondViewer, text: Text = "", stage: str = Form("")
) -> Response:
    """A public update (with a status-page stage) for the people following the incident."""

    def change(session: Session, runtime: Runtime) -> None:
        if stage not in ("investigating", "identified", "monitoring", "resolved"):
            raise Refused("Choose the stage the update announces.")
        service = runtime.incidents(session)
        service.post_update(ident, needs(text, "the update"), viewer.name, stage)

    return act(request, viewer, ident, change, "Update posted.")


@router.post("/ui/incidents/{ident}/severity", response_class=HTMLResponse)
def set_severity(
    request: Request, ident: str, viewer: RespondViewer, severity: str = Form(""),
    reason: Reason = "",
) -> Response:  # fmt: skip
    def change(session: Session, runtime: Runtime) -> None:
        why = needs(reason, "why the severity changes")
        runtime.incidents(session).set_severity(ident, severity, why, viewer.name)  # type: ignore[arg-type]

    return act(request, viewer, ident, change, f"Severity set to {severity}.")


@router.post("/ui/incidents/{ident}/type", response_class=HTMLResponse)
def set_type(
    request: Request, ident: str, viewer: RespondViewer,
    kind: Annotated[str, Form(alias="type", max_length=64)] = "", reason: Reason = "",
) -> Response:  # fmt: skip
    def change(session: Session, runtime: Runtime) -> None:
        why = needs(reason, "why the type changes")
        runtime.incidents(session).set_type(ident, kind, viewer.name, why)

    return act(request, viewer, ident, change, f"Type set to {kind}.")


@router.post("/ui/incidents/{ident}/role", response_class=HTMLResponse)
def assign_role(
    request: Request, ident: str, viewer: RespondViewer, role: str = Form(""),
    person: Annotated[str, Form(max_length=256)] = "",
) -> Response:  # fmt: skip
    def change(session: Session, runtime: Runtime) -> None:
        who = needs(person, "who takes the role")
        runtime.incidents(session).assign_role(ident, role, who, viewer.name)

    return act(request, viewer, ident, change, "Role assigned.")


@router.post("/ui/incidents/{ident}/tasks/{task_id}", response_class=HTMLResponse)
def set_task(
    request: Request, ident: str, task_id: int, viewer: RespondViewer, status: str = Form("")
) -> Response:
    def change(session: Session, runtime: Runtime) -> None:
        work.set_task_status(runtime.incidents(session), ident, task_id, status, viewer.name)

    return act(request, viewer, ident, change, f"Step marked {status}.")


@router.post("/ui/incidents/{ident}/rollback", response_class=HTMLResponse)
def roll_back(
    request: Request, ident: str, viewer: RespondViewer,
    change_id: Annotated[str, Form(max_length=128)] = "", reason: Reason = "",
) -> Response:  # fmt: skip
    def change(session: Session, runtime: Runtime) -> None:
        why = needs(reason, "why you roll it back")
        incidents = runtime.playbook_incidents(session)
        roll_back_suspect(
            session, runtime.clock, runtime.config, incidents, ident, change_id, viewer.name, why
        )

    return act(request, viewer, ident, change, f"Rolled back {change_id}.")


@router.post("/ui/incidents/{ident}/kill", response_class=HTMLResponse)
def kill(
    request: Request, ident: str, viewer: RespondViewer,
    flag: Annotated[str, Form(max_length=256)] = "", reason: Reason = "", confirm: str = Form(""),
) -> Response:  # fmt: skip
    """Flip a kill switch: needs a reason and the confirmation box ticked."""

    def change(session: Session, runtime: Runtime) -> None:
        why = needs(reason, "why you flip the kill switch")
        if confirm != "yes":
            raise Refused(
                "Tick the box to confirm: the kill switch stops the feature for everyone."
            )
        actor = flags.Actor(viewer.name, "ui", why, ident)
        incidents = runtime.playbook_incidents(session)
        try:
            change_flag(session, runtime.clock, flag, None, actor, incidents=incidents)
        except flags.FlagNotFound:
            raise Refused(f"There is no flag {flag!r}.") from None

    return act(request, viewer, ident, change, f"Kill switch {flag} flipped.")


@router.post("/ui/incidents/{ident}/postmortem")
def open_postmortem(request: Request, ident: str, viewer: RespondViewer) -> Response:
    """Draft the post-mortem (once) and go to its editor."""
    runtime = runtime_of(request)
    try:
        with runtime.db.session() as session:
            incident = runtime.incidents(session).get(ident)
            postmortem.draft(session, incident, runtime.clock, viewer.name)
    except NotFound:
        return render(request, viewer, ident, status=404)
    return RedirectResponse(f"/ui/postmortems/{ident}", status_code=303)


@router.post("/ui/incidents/{ident}/review", response_class=HTMLResponse)
def review_done(request: Request, ident: str, viewer: RespondViewer) -> Response:
    """Confirm the review; refused (with what to do) unless the post-mortem is completed."""

    def change(session: Session, runtime: Runtime) -> None:
        review.mark_review_done(runtime.incidents(session), ident, viewer.name)

    return act(request, viewer, ident, change, "Review marked done.")


@router.post("/ui/incidents/{ident}/{action}", response_class=HTMLResponse)
def step(request: Request, ident: str, action: str, viewer: RespondViewer) -> Response:
    """Acknowledge, mitigate, resolve or close (closing follows the post-incident rules)."""
    chosen = STEPS.get(action)
    if chosen is None:
        return render(request, viewer, ident, error=f"Unknown action {action[:40]!r}.", status=404)

    def change(session: Session, runtime: Runtime) -> None:
        runtime.incidents(session).transition(ident, chosen, viewer.name, via="ui")

    return act(request, viewer, ident, change, f"{chosen.capitalize()}d.")
