"""POST /v1/events: the batch ingest endpoint (docs/api.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tripwire.api.auth import requires
from tripwire.api.body import read_limited
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.ingest.admission import Saturated
from tripwire.ingest.validate import BatchInvalid, BodyError, parse_body
from tripwire.ingest.window import EventWindow, check_window
from tripwire.ingest.writer import WriteResult, store_events
from tripwire.runtime.wiring import Runtime

router = APIRouter(tags=["ingest"])


@router.post("/v1/events", status_code=202, dependencies=[requires("ingest")])
async def post_events(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Store a batch of events: all valid and durably committed (202), or none (422)."""
    try:
        with runtime.admission.slot():
            body = await read_limited(request, runtime.settings.max_body_bytes)
            result = await run_in_threadpool(_ingest, runtime, body)
    except Saturated as exc:
        raise ApiError(
            429, "ingest is saturated; retry later", headers={"Retry-After": str(exc.retry_after)}
        ) from None
    return JSONResponse(
        {"accepted": result.accepted, "duplicates": result.duplicates}, status_code=202
    )


def _ingest(runtime: Runtime, body: bytes) -> WriteResult:
    settings = runtime.settings
    try:
        events = parse_body(body, settings.max_batch_events)
        window = EventWindow(settings.event_max_age, settings.event_max_future)
        check_window(events, window, runtime.clock.now())
    except BodyError as exc:
        raise ApiError(exc.status, exc.message) from None
    except BatchInvalid as exc:
        raise ApiError(
            422,
            f"{exc.total_bad} invalid event(s); nothing from this batch was stored",
            invalid=[e.as_json() for e in exc.errors],
        ) from None
    return store_events(runtime.db, events, runtime.clock)
