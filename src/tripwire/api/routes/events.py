"""POST /v1/events: the batch ingest endpoint (CONTRACT 3.2)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tripwire.api.auth import requires
from tripwire.api.body import read_json
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.ingest.admission import Saturated
from tripwire.ingest.validate import BatchInvalid, parse_batch
from tripwire.ingest.writer import store_events

router = APIRouter(tags=["ingest"])


@router.post("/v1/events", status_code=202, dependencies=[requires("ingest")])
async def post_events(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Store a batch of events: all valid and durably committed (202), or none (422)."""
    try:
        with runtime.admission.slot():
            raw = await read_json(request, runtime.settings.max_body_bytes)
            events = _events_of(raw, runtime.settings.max_batch_events)
            try:
                batch = parse_batch(events)
            except BatchInvalid as exc:
                raise ApiError(
                    422,
                    f"{exc.total_bad} invalid event(s); nothing from this batch was stored",
                    invalid=[e.as_json() for e in exc.errors],
                ) from None
            result = await run_in_threadpool(store_events, runtime.db, batch, runtime.clock)
    except Saturated as exc:
        raise ApiError(
            429, "ingest is saturated; retry later", headers={"Retry-After": str(exc.retry_after)}
        ) from None
    return JSONResponse(
        {"accepted": result.accepted, "duplicates": result.duplicates}, status_code=202
    )


def _events_of(raw: Any, limit: int) -> list[Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("events"), list):
        raise ApiError(422, 'body must be {"events": [EVENT, ...]}')
    events: list[Any] = raw["events"]
    if len(events) > limit:
        raise ApiError(413, f"{len(events)} events in one batch; at most {limit} are accepted")
    return events
