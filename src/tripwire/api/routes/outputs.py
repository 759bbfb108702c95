"""GET /v1/outputs: stored outputs, newest first, each with its scores (docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from tripwire.api.auth import requires
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.api.openapi import INSTANT_PATTERN
from tripwire.domain.events import parse_rfc3339
from tripwire.store.outputs import MAX_LIMIT, BadCursor, OutputsQuery, outputs_page

router = APIRouter(tags=["outputs"])
Status = Literal["ok", "error", "timeout"]
INSTANT = Query(json_schema_extra={"pattern": INSTANT_PATTERN})


@router.get("/v1/outputs", dependencies=[requires("read")])
def list_outputs(
    runtime: RuntimeDep,
    use_case: str | None = None,
    since: Annotated[str | None, INSTANT] = None,
    until: Annotated[str | None, INSTANT] = None,
    status: Status | None = None,
    model: str | None = None,
    model_version: str | None = None,
    prompt_version: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Outputs newest event time first (`since` inclusive, `until` exclusive, RFC 3339), each
    with `scores` (the product's own, sent inside the output, and every `score` event, with
    their `source`) and `cost` when its tokens and model price are known. An output whose
    content was not captured has no `input`/`output` keys. `cursor` pages on."""
    query = OutputsQuery(
        use_case=use_case,
        since=_time("since", since),
        until=_time("until", until),
        status=status,
        model=model,
        model_version=model_version,
        prompt_version=prompt_version,
        limit=limit,
        cursor=cursor,
    )
    try:
        with runtime.db.session() as session:
            page = outputs_page(session, query, runtime.config.costs)
    except BadCursor as exc:
        raise ApiError(422, str(exc)) from None
    return {"outputs": page.outputs, "cursor": page.cursor}


def _time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_rfc3339(value)
    except ValueError as exc:
        raise ApiError(422, f"{name}: {exc}") from None
