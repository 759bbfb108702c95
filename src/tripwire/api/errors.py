"""One error shape for every API response: `{"error": "...", ...details}`."""

from __future__ import annotations

import email.message
import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ApiError(Exception):
    """Raise from a route to answer `status` with `{"error": message, **extra}`."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers
        self.extra = extra


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        body = {"error": exc.message, **exc.extra}
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = getattr(exc, "headers", None)
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        return JSONResponse({"error": _what_to_fix(request, exc), "details": details}, 422)


def _what_to_fix(request: Request, exc: RequestValidationError) -> str:
    """A JSON body sent without its content type (curl -d sends a form) is not parsed: say so,
    rather than that the body is not an object."""
    whole_body = any(tuple(e["loc"]) == ("body",) for e in exc.errors())
    if whole_body and request.method != "GET" and not _read_as_json(request):
        return "the body must be JSON sent with Content-Type: application/json"
    return "invalid request"


def _read_as_json(request: Request) -> bool:
    """Whether FastAPI parsed the body as JSON: its own test (the type's case aside)."""
    message = email.message.Message()
    message["content-type"] = request.headers.get("content-type", "")
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


REQUEST_ID_HEADER = "x-request-id"
BUSY_RETRY_AFTER_S = 1
log = logging.getLogger("tripwire.api")


def is_busy(exc: BaseException) -> bool:
    """SQLite stayed locked by another writer past the busy timeout: a retry will succeed."""
    text = str(exc).lower()
    return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)


class ErrorBoundary:
    """ASGI middleware giving every request an id (`X-Request-Id`, echoed in error bodies) and
    turning any exception that escapes a route into the one error shape: `503` + `Retry-After`
    while the database stays busy (nothing was changed; retry), else `500`. The traceback is
    logged with the request id, never sent to the client."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            await self._failed(exc, request_id, started, scope, receive, send_with_id)

    @staticmethod
    async def _failed(
        exc: Exception, request_id: str, started: bool, scope: Scope, receive: Receive, send: Send
    ) -> None:
        where = f"{scope.get('method')} {scope.get('path')}"
        if is_busy(exc):
            log.warning("request %s (%s): database busy: %s", request_id, where, exc)
            body = {
                "error": f"the database is busy; nothing was changed, retry in "
                f"{BUSY_RETRY_AFTER_S} s",
                "request_id": request_id,
            }
            headers = {"Retry-After": str(BUSY_RETRY_AFTER_S)}
            response = JSONResponse(body, status_code=503, headers=headers)
        else:
            log.error("request %s (%s) failed", request_id, where, exc_info=exc)
            body = {
                "error": f"internal error; the server log has the details under request id "
                f"{request_id}",
                "request_id": request_id,
            }
            response = JSONResponse(body, status_code=500)
        if started:
            return  # the response is half sent; the log is all that can be done
        await response(scope, receive, send)
