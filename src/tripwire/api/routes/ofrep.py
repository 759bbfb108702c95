"""OFREP: any OpenFeature SDK reads Tripwire's flags and kill switches over this protocol."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from tripwire.api.body import read_limited
from tripwire.api.deps import RuntimeDep
from tripwire.api.errors import ApiError
from tripwire.api.routes.flags import read_flags
from tripwire.flags import ofrep, service
from tripwire.flags.model import etag_matches, etag_of
from tripwire.ingest import jsonbody

router = APIRouter(tags=["flags"])
MAX_OFREP_BODY = 256 * 1024


async def _context(request: Request) -> dict[str, Any]:
    try:
        raw = await read_limited(request, MAX_OFREP_BODY)
    except ApiError as exc:
        raise ofrep.OfrepError(400, "PARSE_ERROR", exc.message) from None
    if not raw.strip():
        return {}
    try:
        return ofrep.check_request(jsonbody.loads(raw))
    except jsonbody.JsonBodyError as exc:
        raise ofrep.OfrepError(400, "PARSE_ERROR", str(exc)) from None


def _failure(exc: Exception, key: str | None) -> JSONResponse:
    if isinstance(exc, ofrep.OfrepError):
        return JSONResponse(exc.body(key), status_code=exc.status)
    # Anything else goes to the error boundary: a 503 when the database is busy, else a 500
    # with a request id and the traceback in the log.
    raise exc


@router.post("/ofrep/v1/evaluate/flags/{key}", dependencies=[read_flags()])
async def evaluate_flag(key: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Evaluate one flag (OFREP single evaluation)."""
    try:
        await _context(request)
        with runtime.db.session() as session:
            service.seed_declared(session, runtime.config.flags, runtime.clock.now())
            # No flag holds a NUL (and PostgreSQL takes none as a parameter).
            flag = None if "\x00" in key else service.find_flag(session, key)
        if flag is None:
            raise ofrep.not_found(key)
        return JSONResponse({**ofrep.evaluate(flag), "cacheable": False})
    except Exception as exc:
        return _failure(exc, key)


@router.post("/ofrep/v1/evaluate/flags", dependencies=[read_flags()])
async def evaluate_all(request: Request, runtime: RuntimeDep) -> Response:
    """Evaluate every flag (OFREP bulk evaluation); `304` when `If-None-Match` still holds."""
    try:
        await _context(request)
        with runtime.db.session() as session:
            service.seed_declared(session, runtime.config.flags, runtime.clock.now())
            flags = service.list_flags(session)
        body = {"flags": [ofrep.evaluate(f) for f in flags]}
    except Exception as exc:
        return _failure(exc, None)
    etag = etag_of(body)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(body, headers={"ETag": etag})


@router.get("/ofrep/v1/configuration", dependencies=[read_flags()])
def configuration(request: Request, runtime: RuntimeDep) -> Response:
    """What this server supports: polling (with its minimum interval) and the value types."""
    body = ofrep.configuration(
        runtime.config.service_name, runtime.config.flags.min_polling_interval_ms
    )
    etag = etag_of(body)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(body, headers={"ETag": etag})
