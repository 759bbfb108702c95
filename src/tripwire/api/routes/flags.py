"""Feature flags and kill switches: /v1/flags (docs/api.md), with ETags and an audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from tripwire.api.auth import bearer, requires
from tripwire.api.body import read_json, read_optional_json
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.domain.clock import isoformat_z
from tripwire.flags import service
from tripwire.flags.model import FlagInvalid, etag_matches, etag_of
from tripwire.respond.playbooks import rollback
from tripwire.respond.playbooks.adapter import RespondIncidents
from tripwire.respond.playbooks.flips import change_flag
from tripwire.runtime.access import identify
from tripwire.runtime.wiring import Runtime
from tripwire.store import playbooks as playbook_store

router = APIRouter(tags=["flags"])
MAX_FLAG_BODY = 64 * 1024


def read_flags() -> Any:
    """`read` or `ingest`: a product holding only its ingest token may read its kill switches."""
    return requires("read", "ingest")


def caller(request: Request, runtime: Runtime) -> str:
    """The audit name of whoever sent the request (the token's name)."""
    identity = identify(runtime, bearer(request) or "")
    if identity is None:
        return "unknown"
    return f"token {identity.name!r}"


def _conditional(request: Request, body: dict[str, Any]) -> Response:
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(body, headers=headers)


@router.get("/v1/flags", dependencies=[read_flags()])
def list_flags(request: Request, runtime: RuntimeDep) -> Response:
    """Every flag; `304` when `If-None-Match` carries the current ETag."""
    with runtime.db.session() as session:
        service.seed_declared(session, runtime.config.flags, runtime.clock.now())
        flags = service.list_flags(session)
    return _conditional(request, {"flags": [f.as_json() for f in flags]})


@router.get("/v1/flags/{key}", dependencies=[read_flags()])
def get_flag(key: str, request: Request, runtime: RuntimeDep) -> Response:
    with runtime.db.session() as session:
        service.seed_declared(session, runtime.config.flags, runtime.clock.now())
        flag = service.find_flag(session, key)
    if flag is None:
        raise ApiError(404, f"no flag {key[:128]!r}; create it with PUT /v1/flags/{{key}}")
    return _conditional(request, flag.as_json())


@router.put("/v1/flags/{key}", dependencies=[requires("respond")])
async def put_flag(key: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Create or change a flag (plus `reason?`, `incident_id?`); answers the stored flag."""
    body = await read_json(request, MAX_FLAG_BODY)
    if not isinstance(body, dict):
        raise ApiError(422, "body must be a JSON object: the flag, plus `reason` if you like")
    reason, incident_id = _why(body)
    fields = {k: v for k, v in body.items() if k not in ("reason", "incident_id", "updated_at")}
    actor = service.Actor(caller(request, runtime), "api", reason, incident_id)
    try:
        with runtime.db.session() as session:
            incidents = _incidents(session, runtime, actor)
            update = change_flag(session, runtime.clock, key, fields, actor, incidents=incidents)
    except service.VersionConflict as exc:
        raise ApiError(409, str(exc)) from None
    except FlagInvalid as exc:
        raise ApiError(422, str(exc)) from None
    except LookupError as exc:  # the incident named by `incident_id`
        raise ApiError(404, str(exc)) from None
    return JSONResponse(update.new.as_json(), headers={"ETag": etag_of(update.new.as_json())})


@router.post("/v1/flags/{key}/kill", dependencies=[requires("respond")])
async def kill_flag(key: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Flip the kill switch: the flag serves its kill value. Body `{"reason", "incident_id"?}`."""
    body = await read_json(request, MAX_FLAG_BODY)
    reason, incident_id = _why(body if isinstance(body, dict) else {})
    if not reason:
        raise ApiError(422, "say why: a kill switch needs a `reason`")
    actor = service.Actor(caller(request, runtime), "api", reason, incident_id)
    try:
        with runtime.db.session() as session:
            incidents = _incidents(session, runtime, actor)
            update = change_flag(session, runtime.clock, key, None, actor, incidents=incidents)
    except service.FlagNotFound:
        raise ApiError(404, f"no flag {key[:128]!r}") from None
    except FlagInvalid as exc:
        raise ApiError(422, str(exc)) from None
    except LookupError as exc:
        raise ApiError(404, str(exc)) from None
    return JSONResponse(update.new.as_json())


@router.get("/v1/flags/{key}/history", dependencies=[requires("read")])
def flag_history(
    key: str, runtime: RuntimeDep, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> dict[str, Any]:
    """The audit trail, newest first: who changed what, when, why, old -> new."""
    try:
        with runtime.db.session() as session:
            changes = service.history(session, key, limit)
    except service.FlagNotFound:
        raise ApiError(404, f"no flag {key[:128]!r}") from None
    return {
        "key": key,
        "changes": [
            {
                "version": c.version,
                "at": isoformat_z(c.at),
                "actor": c.actor,
                "source": c.source,
                "reason": c.reason,
                "incident_id": c.incident_id,
                "old": c.old,
                "new": c.new,
            }
            for c in changes
        ],
    }


def _why(body: dict[str, Any]) -> tuple[str | None, str | None]:
    reason = body.get("reason")
    incident_id = body.get("incident_id")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 2000):
        raise ApiError(422, "`reason` must be a string of at most 2000 characters")
    if incident_id is not None and (not isinstance(incident_id, str) or len(incident_id) > 64):
        raise ApiError(422, "`incident_id` must be an incident id such as INC-1")
    return reason, incident_id


def _incidents(session: Session, runtime: Runtime, actor: service.Actor) -> RespondIncidents | None:
    """The incident service, when the change belongs to an incident (its timeline)."""
    if actor.incident_id is None:
        return None
    return runtime.playbook_incidents(session)


@router.get("/v1/rollbacks", dependencies=[requires("read")])
def list_rollbacks(runtime: RuntimeDep, incident_id: str | None = None) -> dict[str, Any]:
    """Rollbacks done by playbooks, newest first, with their recovery verdicts."""
    with runtime.db.session() as session:
        rows = playbook_store.list_rollbacks(session, incident_id)
        return {"rollbacks": [rollback.as_json(r) for r in rows]}


@router.post("/v1/rollbacks/{rollback_id}/revert", dependencies=[requires("respond")])
async def revert_rollback(rollback_id: str, request: Request, runtime: RuntimeDep) -> Any:
    """Undo a flag rollback: the flag serves what it served before (on the timeline)."""
    body = await read_optional_json(request, MAX_FLAG_BODY)
    reason, _ = _why(body if isinstance(body, dict) else {})
    try:
        with runtime.db.session() as session:
            incidents = runtime.playbook_incidents(session)
            row = rollback.revert(
                session, runtime.clock, incidents, rollback_id, caller(request, runtime), reason
            )
            return rollback.as_json(row)
    except rollback.RollbackError as exc:
        raise ApiError(exc.status, str(exc)) from None
