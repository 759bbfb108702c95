"""Every request body is read with a size limit and, when it is JSON, a nesting limit, before
any route sees it.

The ingest routes (`/v1/events`, `/v1/otlp/...`) stream and bound their own bodies (10 MiB after
decompression, see `api/body.py`), and OFREP bounds and parses its own so its errors keep the
OFREP shape: they are left alone. Every other body is at most `MAX_BODY_BYTES` as sent, refused
with 413 as soon as it passes that, and refused with 400 when its JSON nests deeper than
`jsonbody.MAX_DEPTH`, so no parser downstream can run out of memory or recursion, or holds what
is not data (NaN, Infinity, float overflow, lone surrogates), which FastAPI's own parser would
pass to the route (stored as null, or a 500 at the database).
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tripwire.ingest import jsonbody

MAX_BODY_BYTES = 1024 * 1024
SELF_LIMITED = ("/v1/events", "/v1/otlp/", "/ofrep/")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NOT_JSON = ("application/x-www-form-urlencoded", "multipart/form-data", "application/x-protobuf")


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BodyLimits:
    """ASGI middleware: reads the body (bounded), checks it, then replays it to the app; refuses
    a path, query or form field holding a NUL on every route."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if _path_holds_nul(scope, path):
            # PostgreSQL takes no NUL as a parameter (a 500 there, a 200 or 404 on SQLite).
            message = "the path or query holds a NUL character (%00), which no database stores"
            await JSONResponse({"error": message}, status_code=400)(scope, receive, send)
            return
        if (
            scope["type"] != "http"
            or scope.get("method") not in _BODY_METHODS
            or path.startswith(SELF_LIMITED)
        ):
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(scope, receive)
            if _is_json(scope, body):
                jsonbody.check_strict(body)
            elif _form_holds_nul(scope, body):
                raise _Refused(400, "a form field holds a NUL character, which no database stores")
        except _Refused as exc:
            await JSONResponse({"error": exc.message}, status_code=exc.status)(scope, receive, send)
            return
        except jsonbody.JsonBodyError as exc:
            await JSONResponse({"error": str(exc)}, status_code=400)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes:
        declared = _header(scope, b"content-length")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_bytes:
            raise _too_large(self.max_bytes)
        parts: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Refused(400, "the client went away while sending the body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise _too_large(self.max_bytes)
            parts.append(chunk)
            if not message.get("more_body", False):
                return b"".join(parts)


def _too_large(limit: int) -> _Refused:
    return _Refused(413, f"body larger than {limit} bytes; this route takes small JSON bodies")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _is_json(scope: Scope, body: bytes) -> bool:
    # A compressed body is checked once inflated, by `api/body.py`'s reader.
    content_type = _header(scope, b"content-type").lower()
    encoding = _header(scope, b"content-encoding").lower() or "identity"
    return bool(body) and encoding == "identity" and not content_type.startswith(_NOT_JSON)


def _path_holds_nul(scope: Scope, path: str) -> bool:
    # OFREP answers in its own shape (a flag key with a NUL is not found): see its route.
    if scope["type"] != "http" or path.startswith("/ofrep/"):
        return False
    return "\x00" in path or b"%00" in scope["query_string"]


def _form_holds_nul(scope: Scope, body: bytes) -> bool:
    # A page's fields are all text (no route takes a file upload), stored as sent.
    content_type = _header(scope, b"content-type").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        return b"%00" in body or b"\x00" in body
    return content_type.startswith("multipart/form-data") and b"\x00" in body


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as a server would

    return replayed
