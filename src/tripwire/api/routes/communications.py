"""User communications: drafts from an incident's facts and affected users, the lint that keeps
them specific, approval by the communications lead, and delivery with per-recipient states.

Every change is attributed to the caller's token (its name), never to a name in the body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from tripwire.api.auth import bearer, requires
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.communicate import messages as msgs
from tripwire.communicate.audience import audience
from tripwire.communicate.delivery import message_json
from tripwire.communicate.drafts import Kind
from tripwire.communicate.lint import Scope, lint
from tripwire.respond.service import Conflict, IncidentService, NotFound
from tripwire.runtime.access import identify
from tripwire.runtime.wiring import Runtime
from tripwire.store.tables.communicate import UserMessageRow

router = APIRouter(tags=["communications"])
Subject = Annotated[str, Field(min_length=1, max_length=300)]
Body = Annotated[str, Field(min_length=1, max_length=20_000)]


class LintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Body
    use_cases: Annotated[list[Annotated[str, Field(max_length=256)]], Field(max_length=20)] = []
    resolved: bool = False
    follow_up: bool = False


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind = "initial"
    subject: Subject | None = None
    text: Body | None = None


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Subject | None = None
    text: Body | None = None


def caller(request: Request, runtime: Runtime) -> str:
    """The name of the token that made the request (the route's scope check already ran)."""
    secret = bearer(request)
    identity = identify(runtime, secret) if secret else None
    if identity is None:
        raise ApiError(401, "unknown or revoked token")
    return identity.name


def _change(runtime: Runtime, act: Callable[[IncidentService], UserMessageRow]) -> dict[str, Any]:
    try:
        with runtime.db.session() as session:
            row = act(runtime.incidents(session))
            return message_json(session, row, detail=True)
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    except msgs.Refused as exc:
        raise ApiError(409, str(exc), findings=[f.as_json() for f in exc.findings]) from None
    except Conflict as exc:
        raise ApiError(409, str(exc)) from None


@router.get("/v1/incidents/{ident}/communications/draft", dependencies=[requires("read")])
def get_draft(ident: str, runtime: RuntimeDep, kind: Kind = "initial") -> dict[str, Any]:
    """A draft message to affected users (`initial`, `resolution` or `follow_up`), linted."""
    with runtime.db.read() as session:
        found = audience(
            session, ident, runtime.clock.now(), runtime.config.communicate.affected_users
        )
        if found is None:
            raise ApiError(404, f"no incident {ident!r}")
        made = msgs.draft_of(session, runtime.config, found, kind)
    return {
        "incident_id": ident,
        "kind": made.kind,
        "subject": made.subject,
        "text": made.text,
        "affected_users": found.totals.users,
        "findings": [f.as_json() for f in made.findings],
    }


@router.get("/v1/incidents/{ident}/communications", dependencies=[requires("read")])
def list_messages(ident: str, runtime: RuntimeDep) -> dict[str, Any]:
    """Every message to this incident's users, with delivery counts per state."""
    with runtime.db.read() as session:
        service = runtime.incidents(session)
        try:
            incident = service.get(ident)
        except NotFound as exc:
            raise ApiError(404, str(exc)) from None
        rows = msgs.messages(session, incident.number)
        return {"messages": [message_json(session, r) for r in rows]}


@router.get("/v1/incidents/{ident}/communications/{message_id}", dependencies=[requires("read")])
def get_message(ident: str, message_id: int, runtime: RuntimeDep) -> dict[str, Any]:
    """One message and each recipient's delivery state (queued, sent, failed; attempts, error)."""
    with runtime.db.read() as session:
        try:
            row = msgs.get(runtime.incidents(session), ident, message_id)
        except NotFound as exc:
            raise ApiError(404, str(exc)) from None
        return message_json(session, row, detail=True)


@router.post(
    "/v1/incidents/{ident}/communications", status_code=201, dependencies=[requires("respond")]
)
def create_message(
    ident: str, body: MessageIn, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """A new draft; without `text`, the generated draft (edit it before approval)."""
    who = caller(request, runtime)
    return _change(
        runtime, lambda s: msgs.create(s, ident, body.kind, who, body.subject, body.text)
    )


@router.put("/v1/incidents/{ident}/communications/{message_id}", dependencies=[requires("respond")])
def edit_message(
    ident: str, message_id: int, body: EditIn, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """Change the subject or text; an approved message returns to draft."""
    who = caller(request, runtime)
    return _change(runtime, lambda s: msgs.edit(s, ident, message_id, who, body.subject, body.text))


@router.post(
    "/v1/incidents/{ident}/communications/{message_id}/approve",
    dependencies=[requires("respond")],
)
def approve_message(
    ident: str, message_id: int, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """Approval by the incident's communications lead (the caller's token name must hold the
    role); refused while the lint finds anything."""
    who = caller(request, runtime)
    return _change(runtime, lambda s: msgs.approve(s, ident, message_id, who))


@router.post(
    "/v1/incidents/{ident}/communications/{message_id}/send",
    dependencies=[requires("respond")],
)
def send_message(
    ident: str, message_id: int, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """Queue the approved message to every affected user through the outbox."""
    who = caller(request, runtime)
    return _change(runtime, lambda s: msgs.send(s, ident, message_id, who))


@router.post("/v1/communications/lint", dependencies=[requires("read")])
def lint_text(body: LintIn) -> dict[str, Any]:
    """Check a message before it goes out: vague scope, no time window, blaming the AI, ..."""
    scope = Scope(tuple(body.use_cases), body.resolved, body.follow_up)
    findings = lint(body.text, scope)
    return {"ok": not findings, "findings": [f.as_json() for f in findings]}
