"""POST /v1/otlp/traces and /v1/otlp/logs: OpenTelemetry GenAI telemetry over OTLP/HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tripwire.api.auth import requires
from tripwire.api.body import read_limited
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.ingest.admission import Saturated
from tripwire.ingest.genai_join import JoinLimits
from tripwire.ingest.otlp_decode import (
    JSON,
    PROTOBUF,
    OtlpDecodeError,
    decode_logs_request,
    decode_request,
    encode_logs_response,
    encode_response,
    media_type,
)
from tripwire.ingest.otlp_ingest import OtlpResult, TooManyEvents, ingest_traces
from tripwire.ingest.otlp_logs_ingest import JoinFull, LogsResult, ingest_logs
from tripwire.runtime.wiring import Runtime

router = APIRouter(tags=["ingest"])
Result = TypeVar("Result")
OTLP_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {PROTOBUF: {}, JSON: {}}}}


@router.post("/v1/otlp/traces", dependencies=[requires("ingest")], responses=OTLP_RESPONSES)
async def post_traces(request: Request, runtime: RuntimeDep) -> Response:
    """Store GenAI spans as `output` events and their evaluations as `score` events.

    Answers 200 with an `ExportTraceServiceResponse` in the request's encoding once everything
    valid is durably stored; `partial_success` names the spans that were refused. A span
    without content waits (durably) for its content from `/v1/otlp/logs`.
    """
    media = _media(request)
    result = await _admitted(request, runtime, lambda body: _traces(runtime, body, media))
    content = encode_response(result.rejected_spans, result.message, media)
    headers = {
        "Tripwire-Accepted": str(result.accepted),
        "Tripwire-Duplicates": str(result.duplicates),
        "Tripwire-Ignored-Spans": str(result.ignored_spans),
    }
    return Response(content, media_type=media, headers=headers)


@router.post("/v1/otlp/logs", dependencies=[requires("ingest")], responses=OTLP_RESPONSES)
async def post_logs(request: Request, runtime: RuntimeDep) -> Response:
    """Join GenAI content log records (`gen_ai.*.message`, `gen_ai.choice`,
    `gen_ai.client.inference.operation.details`) to their span's output, whichever arrives
    first, and store `gen_ai.evaluation.result` records as `score` events.

    Answers 200 with an `ExportLogsServiceResponse` once every record is durably stored;
    `partial_success` names the records that were refused. Other log records are ignored.
    """
    media = _media(request)
    result = await _admitted(request, runtime, lambda body: _logs(runtime, body, media))
    content = encode_logs_response(result.rejected, result.message, media)
    headers = {
        "Tripwire-Accepted": str(result.accepted),
        "Tripwire-Duplicates": str(result.duplicates),
        "Tripwire-Ignored-Records": str(result.ignored),
    }
    return Response(content, media_type=media, headers=headers)


def _media(request: Request) -> str:
    media = media_type(request.headers.get("content-type"))
    if media is None:
        raise ApiError(415, f"send OTLP/HTTP as {PROTOBUF} or {JSON}")
    return media


async def _admitted(
    request: Request, runtime: Runtime, ingest: Callable[[bytes], Result]
) -> Result:
    try:
        with runtime.admission.slot():
            body = await read_limited(request, runtime.settings.max_body_bytes)
            return await run_in_threadpool(ingest, body)
    except Saturated as exc:
        raise ApiError(
            429, "ingest is saturated; retry later", headers={"Retry-After": str(exc.retry_after)}
        ) from None


def _join_limits(runtime: Runtime) -> JoinLimits:
    return JoinLimits.from_settings(runtime.settings)


def _traces(runtime: Runtime, body: bytes, media: str) -> OtlpResult:
    try:
        request = decode_request(body, media)
    except OtlpDecodeError as exc:
        raise ApiError(400, str(exc)) from None
    max_events = runtime.settings.max_batch_events
    try:
        return ingest_traces(runtime.db, request, runtime.clock, max_events, _join_limits(runtime))
    except TooManyEvents as exc:
        raise ApiError(413, str(exc)) from None


def _logs(runtime: Runtime, body: bytes, media: str) -> LogsResult:
    try:
        request = decode_logs_request(body, media)
    except OtlpDecodeError as exc:
        raise ApiError(400, str(exc)) from None
    max_events = runtime.settings.max_batch_events
    try:
        return ingest_logs(runtime.db, request, runtime.clock, max_events, _join_limits(runtime))
    except TooManyEvents as exc:
        raise ApiError(413, str(exc)) from None
    except JoinFull as exc:
        raise ApiError(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
