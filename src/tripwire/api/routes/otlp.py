"""POST /v1/otlp/traces: OpenTelemetry GenAI spans over OTLP/HTTP (CONTRACT 3.2)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tripwire.api.auth import requires
from tripwire.api.body import read_limited
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.ingest.admission import Saturated
from tripwire.ingest.otlp_decode import (
    JSON,
    PROTOBUF,
    OtlpDecodeError,
    decode_request,
    encode_response,
    media_type,
)
from tripwire.ingest.otlp_ingest import OtlpResult, TooManyEvents, ingest_traces
from tripwire.ingest.window import EventWindow
from tripwire.runtime.wiring import Runtime

router = APIRouter(tags=["ingest"])


@router.post(
    "/v1/otlp/traces",
    dependencies=[requires("ingest")],
    responses={200: {"content": {PROTOBUF: {}, JSON: {}}}},
)
async def post_traces(request: Request, runtime: RuntimeDep) -> Response:
    """Store GenAI spans as `output` events and their evaluations as `score` events.

    Answers 200 with an `ExportTraceServiceResponse` in the request's encoding once everything
    valid is durably stored; `partial_success` names the spans that were refused.
    """
    media = media_type(request.headers.get("content-type"))
    if media is None:
        raise ApiError(415, f"send OTLP/HTTP as {PROTOBUF} or {JSON}")
    try:
        with runtime.admission.slot():
            body = await read_limited(request, runtime.settings.max_body_bytes)
            result = await run_in_threadpool(_ingest, runtime, body, media)
    except Saturated as exc:
        raise ApiError(
            429, "ingest is saturated; retry later", headers={"Retry-After": str(exc.retry_after)}
        ) from None
    content = encode_response(result.rejected_spans, result.message, media)
    headers = {
        "Tripwire-Accepted": str(result.accepted),
        "Tripwire-Duplicates": str(result.duplicates),
        "Tripwire-Ignored-Spans": str(result.ignored_spans),
    }
    return Response(content, media_type=media, headers=headers)


def _ingest(runtime: Runtime, body: bytes, media: str) -> OtlpResult:
    try:
        request = decode_request(body, media)
    except OtlpDecodeError as exc:
        raise ApiError(400, str(exc)) from None
    try:
        settings = runtime.settings
        window = EventWindow(settings.event_max_age, settings.event_max_future)
        return ingest_traces(runtime.db, request, runtime.clock, settings.max_batch_events, window)
    except TooManyEvents as exc:
        raise ApiError(413, str(exc)) from None
