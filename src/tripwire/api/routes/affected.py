"""An incident's affected users (docs/api.md): a page at a time, or all of them as CSV/JSON."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from tripwire.api.auth import requires
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.communicate.audience import (
    Audience,
    BadCursor,
    as_csv,
    audience,
    every_user,
    page_json,
)
from tripwire.runtime.wiring import Runtime

router = APIRouter(tags=["communications"])
Limit = Annotated[int, Query(ge=1, le=5000)]


def _find(runtime: Runtime, ident: str, session: Any) -> Audience:
    found = audience(session, ident, runtime.clock.now(), runtime.config.communicate.affected_users)
    if found is None:
        raise ApiError(404, f"no incident {ident!r}; list them with GET /v1/incidents")
    return found


@router.get("/v1/incidents/{ident}/affected-users", dependencies=[requires("read")])
def affected_users(
    ident: str,
    runtime: RuntimeDep,
    cursor: str | None = None,
    limit: Limit = 1000,
    format: Literal["json", "csv"] = "json",
) -> Any:
    """The users who received the incident's affected outputs: its use case, its segment when
    every signal is segment-scoped, its window; for safety and hallucination incidents only
    flagged or low-scored outputs. `format=csv` exports every user (no paging)."""
    if format == "csv":
        return affected_users_csv(ident, runtime)
    with runtime.db.read() as session:
        found = _find(runtime, ident, session)
        try:
            return page_json(session, found, cursor, limit)
        except BadCursor as exc:
            raise ApiError(422, str(exc)) from None


@router.get("/v1/incidents/{ident}/affected-users.csv", dependencies=[requires("read")])
def affected_users_csv(ident: str, runtime: RuntimeDep) -> Response:
    """Every affected user as `user_id,outputs` (an attachment)."""
    with runtime.db.read() as session:
        found = _find(runtime, ident, session)
        body = as_csv(list(every_user(session, found.scope)))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(found, "csv")},
    )


def _attachment(found: Audience, ext: str) -> str:
    return f'attachment; filename="INC-{found.incident.number}-affected-users.{ext}"'


@router.get("/v1/incidents/{ident}/affected-users.json", dependencies=[requires("read")])
def affected_users_export(ident: str, runtime: RuntimeDep) -> Response:
    """Every affected user in one JSON document (the shape of a page, `cursor` null)."""
    with runtime.db.read() as session:
        found = _find(runtime, ident, session)
        users = [
            {"user_id": u.user_id, "outputs": u.outputs} for u in every_user(session, found.scope)
        ]
        body = page_json(session, found, None, 1) | {"users": users, "cursor": None}
    return Response(
        json.dumps(body, default=str),
        media_type="application/json",
        headers={"Content-Disposition": _attachment(found, "json")},
    )
