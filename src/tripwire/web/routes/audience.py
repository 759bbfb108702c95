"""The people an incident reached, from its page: the affected users (a page at a time, or all
of them as CSV or JSON), messages to them (draft, edit, approve, send; each recipient's
delivery) and the stakeholder groups to tell. Every rule is communicate's or respond's: these
routes call the same services as the API (docs/api.md), attributed to the signed-in token."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from tripwire.communicate import messages as msgs
from tripwire.communicate.audience import as_csv, audience, every_user, page_json
from tripwire.respond import stakeholders
from tripwire.respond.service import NotFound
from tripwire.runtime.wiring import Runtime
from tripwire.web.acting import Refused, act, needs
from tripwire.web.audience_view import (
    KINDS,
    PanelCache,
    affected_panel,
    recipients_page,
    users_page,
)
from tripwire.web.session import ReadViewer, RespondViewer, runtime_of
from tripwire.web.templating import templates

router = APIRouter(include_in_schema=False)
Subject = Annotated[str, Form(max_length=300)]
Body = Annotated[str, Form(max_length=20_000)]
Reason = Annotated[str, Form(max_length=2000)]
MAX_WITHIN = 10_080  # a week, as the API


@router.get("/ui/incidents/{ident}/affected-users", response_class=HTMLResponse)
def affected_page(request: Request, ident: str, viewer: ReadViewer, cursor: str = "") -> Response:
    runtime = runtime_of(request)
    with runtime.db.read() as session:
        page = users_page(session, runtime.config, ident, runtime.clock.now(), cursor or None)
    if page is None:
        missing = {"viewer": viewer, "ident": ident}
        return templates.TemplateResponse(request, "not_found.html", missing, status_code=404)
    context = {"viewer": viewer, **page}
    return templates.TemplateResponse(request, "affected_users.html", context)


@router.get("/ui/incidents/{ident}/affected-panel", response_class=HTMLResponse)
def affected_fragment(request: Request, ident: str, viewer: ReadViewer) -> Response:
    """The incident page's affected-users panel alone (htmx fetches it once the page shows)."""
    runtime = runtime_of(request)
    cache = _panel_cache(request)
    with runtime.db.read() as session:
        panel = affected_panel(session, runtime.config, ident, runtime.clock.now(), cache)
    if panel is None:
        missing = {"viewer": viewer, "ident": ident}
        return templates.TemplateResponse(request, "not_found.html", missing, status_code=404)
    context = {"viewer": viewer, "affected": panel}
    return templates.TemplateResponse(request, "_affected_users.html", context)


def _panel_cache(request: Request) -> PanelCache:
    """One cache per application (each holds one runtime, so one database)."""
    state = request.app.state
    if getattr(state, "affected_panels", None) is None:
        state.affected_panels = PanelCache()
    cache: PanelCache = state.affected_panels
    return cache


@router.get("/ui/incidents/{ident}/affected-users.{ext}")
def affected_export(request: Request, ident: str, ext: str, viewer: ReadViewer) -> Response:
    """Every affected user as `user_id,outputs` (CSV) or the API's page shape (JSON)."""
    runtime = runtime_of(request)
    if ext not in ("csv", "json"):
        return Response("csv or json", status_code=404, media_type="text/plain")
    with runtime.db.read() as session:
        found = audience(
            session, ident, runtime.clock.now(), runtime.config.communicate.affected_users
        )
        if found is None:
            return Response(f"no incident {ident[:40]!r}", status_code=404, media_type="text/plain")
        users = list(every_user(session, found.scope))
        if ext == "csv":
            body, media = as_csv(users), "text/csv; charset=utf-8"
        else:
            listed = [{"user_id": u.user_id, "outputs": u.outputs} for u in users]
            page = page_json(session, found, None, 1) | {"users": listed, "cursor": None}
            body, media = json.dumps(page, default=str), "application/json"
    name = f"INC-{found.incident.number}-affected-users.{ext}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media, headers=headers)


@router.get("/ui/incidents/{ident}/messages/{message_id}", response_class=HTMLResponse)
def message_page(
    request: Request, ident: str, message_id: int, viewer: ReadViewer, after: int = 0
) -> Response:
    """One message to the affected users and each recipient's delivery state."""
    runtime = runtime_of(request)
    with runtime.db.read() as session:
        try:
            row = msgs.get(runtime.incidents(session), ident, message_id)
        except NotFound:
            missing = {"viewer": viewer, "ident": f"{ident} message {message_id}"}
            return templates.TemplateResponse(request, "not_found.html", missing, status_code=404)
        context = {"viewer": viewer, "ident": ident, **recipients_page(session, row, after)}
    return templates.TemplateResponse(request, "user_message.html", context)


@router.post("/ui/incidents/{ident}/messages", response_class=HTMLResponse)
def new_message(
    request: Request, ident: str, viewer: RespondViewer, kind: str = Form("initial")
) -> Response:
    """A new draft from the incident's facts and affected users (to be edited, then approved)."""

    def change(session: Session, runtime: Runtime) -> None:
        if kind not in KINDS:
            raise Refused("Choose what the message is: initial, resolution or follow-up.")
        msgs.create(runtime.incidents(session), ident, kind, viewer.name)

    return act(request, viewer, ident, change, "Message drafted.", "#messages")


@router.post("/ui/incidents/{ident}/messages/{message_id}/edit", response_class=HTMLResponse)
def edit_message(
    request: Request, ident: str, message_id: int, viewer: RespondViewer,
    subject: Subject = "", text: Body = "",
) -> Response:  # fmt: skip
    """Save the text; an approved message goes back to draft (approval is of the exact text)."""

    def change(session: Session, runtime: Runtime) -> None:
        service = runtime.incidents(session)
        body = needs(text, "the message")
        msgs.edit(service, ident, message_id, viewer.name, needs(subject, "a subject"), body)

    return act(request, viewer, ident, change, "Message saved and checked.", "#messages")


@router.post("/ui/incidents/{ident}/messages/{message_id}/approve", response_class=HTMLResponse)
def approve_message(
    request: Request, ident: str, message_id: int, viewer: RespondViewer
) -> Response:
    def change(session: Session, runtime: Runtime) -> None:
        msgs.approve(runtime.incidents(session), ident, message_id, viewer.name)

    return act(request, viewer, ident, change, "Message approved.", "#messages")


@router.post("/ui/incidents/{ident}/messages/{message_id}/send", response_class=HTMLResponse)
def send_message(
    request: Request, ident: str, message_id: int, viewer: RespondViewer,
    confirm: str = Form(""),
) -> Response:  # fmt: skip
    """Queue the approved message to every affected user; needs the confirmation ticked."""

    def change(session: Session, runtime: Runtime) -> None:
        if confirm != "yes":
            raise Refused("Tick the box to confirm: the message goes to every affected user.")
        msgs.send(runtime.incidents(session), ident, message_id, viewer.name)

    return act(request, viewer, ident, change, "Message queued to the affected users.",
               "#messages")  # fmt: skip


@router.post("/ui/incidents/{ident}/stakeholders", response_class=HTMLResponse)
def tell_stakeholders(
    request: Request, ident: str, viewer: RespondViewer,
    groups: Annotated[list[str], Form(max_length=20)] = [],  # noqa: B006 - FastAPI copies it
    reason: Reason = "", within: str = Form(""),
) -> Response:  # fmt: skip
    """Tell stakeholder groups now, each member with an acknowledge link; with `within`
    (minutes), their acknowledgement is a deadline that escalates when missed."""

    def change(session: Session, runtime: Runtime) -> None:
        if not groups:
            raise Refused("Choose the groups to tell.")
        why = needs(reason, "what the stakeholders need to know")
        minutes = _minutes(within)
        service = runtime.incidents(session)
        due = runtime.clock.now() + timedelta(minutes=minutes) if minutes else None
        told = stakeholders.notify_groups(
            service, service.get(ident), groups, why, due_at=due, actor=viewer.name
        )
        if not told.people:
            raise Refused(f"No members are configured for {', '.join(groups)}.")

    return act(request, viewer, ident, change, "Stakeholders notified.", "#stakeholders")


def _minutes(within: str) -> int | None:
    if not within.strip():
        return None
    if not within.strip().isdigit() or not 1 <= int(within) <= MAX_WITHIN:
        raise Refused(f"The deadline is a number of minutes from 1 to {MAX_WITHIN}.")
    return int(within)
